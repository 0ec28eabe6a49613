"""A loopback package-index relay: how the legacy Docker builder installs behind a TLS proxy.

The legacy builder has no build secrets and no bind mounts, so a CA bundle could only reach a
RUN step by being copied into a layer or passed as a build argument, and both end up in the
image. Instead the CA stays on the host: dlenv serves the package indexes over plain HTTP on
127.0.0.1 for the length of the build, fetching each request from the real index over HTTPS
verified with the host's CA. The Containerfile names each https index by the same URL over
plain http (dlenv.engine.relay_urls), and the build reaches this relay through `http_proxy`, a
predefined build argument that the builder keeps out of the image history and out of its layer
cache key (Docker's Dockerfile reference, "Predefined ARGs"). Integrity does not rest on the
plain-HTTP hop: index pages carry each file's sha256, which uv and pip check.

Only trusted hosts (the chosen indexes', and those their verified answers link to) are
upgraded to HTTPS. The build runs with `--network host` and `http_proxy` applies to every RUN
step, so the relay must not become a door to whatever the host can reach. Two locks:

- **Per-build credentials.** Every request must carry `Proxy-Authorization: Basic` with the user
  `dlenv` and a random secret made for this build (`secrets.token_urlsafe`); anything else gets
  407. The build learns them from `http_proxy=http://dlenv:SECRET@127.0.0.1:PORT`, a predefined
  build argument, so they stay out of the image history and the cache key, and the engine reads
  them from its environment, not its argv (dlenv.engine.argv). apt (`http_proxy`, "the format
  http://[[user][:pass]@]host[:port]/", apt.conf(5)), pip (requests takes proxy auth from the
  URL's userinfo) and uv (reqwest does the same) send it on every request. Another local user
  or process, which could otherwise borrow the host's network, CA and upstream proxy through
  127.0.0.1 for the length of a build, has no secret. The secret is never forwarded upstream.
- **Pass-through only for apt.** Plain HTTP to an untrusted host is what apt needs: the base
  image's mirror (sources.list) cannot be known before the build, and behind a proxy apt has no
  other way out than this relay. So pass-through is kept, but only for the Debian repository
  layout that apt asks for (a `/dists/` or `/pool/` path segment; "Debian Repository Format",
  https://wiki.debian.org/DebianRepository/Format); any other request to an untrusted host gets
  403. Refusing pass-through entirely would break apt on every proxied host; an allow-list of
  mirror host names would break every custom or national mirror.

GET and HEAD only, loopback only, and the server lives only inside a `with` block around the
build.
"""

from __future__ import annotations

import base64
import functools
import hmac
import http.client
import http.server
import re
import secrets
import shutil
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Bodies of these types hold links; https:// links in them are turned into http://. The Simple
# API's types: PEP 691 (application/vnd.pypi.simple.v1+json / +html) and PEP 503 (text/html),
# https://packaging.python.org/en/latest/specifications/simple-repository-api/. Not forwarded:
# hop-by-hop headers (RFC 9110 section 7.6.1, "Connection") and those describing a body the
# relay decodes and rewrites (content-length, content-encoding, transfer-encoding).
_LINK_TYPES = ("text/html", "application/vnd.pypi.simple", "application/json")
_HOP_BY_HOP = {
    "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding",
    "proxy-authenticate", "proxy-connection",
}
_HTTPS_HOST = re.compile(rb"https://([A-Za-z0-9.-]+(?::[0-9]+)?)")
# The two top-level trees of a Debian/Ubuntu archive: indexes under dists/, packages under pool/.
_APT_PATH = re.compile(r"/(?:dists|pool)/")
# The user name in the relay's proxy URL; the password is the per-build secret.
PROXY_USER = "dlenv"


class TrustedHosts:
    """The hosts the relay upgrades to HTTPS: the indexes the resolver chose, plus every host an
    answer from a trusted host links or redirects to (PyPI's pages point at its file host, a
    release at its asset host). Trust follows verified answers only, never the build's asking."""

    def __init__(self, hosts: Iterable[str]):
        self._hosts = set(hosts)
        self._lock = threading.Lock()

    def __contains__(self, host: object) -> bool:
        with self._lock:
            return host in self._hosts

    def learn(self, body: bytes) -> bytes:
        """Trust the hosts `body` links to over https, and name them over http for the build."""
        found = {m.decode().split(":")[0] for m in _HTTPS_HOST.findall(body)}
        with self._lock:
            self._hosts |= found
        return _HTTPS_HOST.sub(rb"http://\1", body)

    def snapshot(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._hosts)


@dataclass(frozen=True)
class Relay:
    port: int
    hosts: TrustedHosts
    secret: str  # per build; the proxy password the build must send (Proxy-Authorization)

    @property
    def proxy_url(self) -> str:
        """The build's `http_proxy`: credentials in the userinfo, which apt, pip and uv send."""
        return f"http://{PROXY_USER}:{self.secret}@127.0.0.1:{self.port}"

    def build_args(self) -> dict[str, str]:
        """Proxy settings for the build: predefined arguments, so not in history or cache."""
        return {
            "http_proxy": self.proxy_url,
            "HTTP_PROXY": self.proxy_url,
            "no_proxy": "",
            "NO_PROXY": "",
        }


class _Upstream:
    """Connections to the real indexes, kept open per relay thread and upstream host.

    uv asks for hundreds of small pages and metadata files; a new TLS handshake for each made
    the relay about five times slower than a direct install (see the issue note's measurement).
    Redirects are not followed: they go back to the client, rewritten, so that relative links
    resolve as the index meant. A proxy in the host's environment is honoured (CONNECT for https).
    """

    def __init__(self, context: ssl.SSLContext):
        self._context = context
        self._local = threading.local()
        self._proxies = urllib.request.getproxies()

    def _pool(self) -> dict[tuple[str, str, int], http.client.HTTPConnection]:
        pool: dict[tuple[str, str, int], http.client.HTTPConnection] | None = getattr(
            self._local, "pool", None
        )
        if pool is None:
            pool = self._local.pool = {}
        return pool

    def _connect(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        proxy = None if urllib.request.proxy_bypass(host) else self._proxies.get(scheme)
        if proxy:
            via = urllib.parse.urlsplit(proxy)
            proxy_host, proxy_port = via.hostname or "", via.port or 80
            if scheme == "https":
                tunnel = http.client.HTTPSConnection(
                    proxy_host, proxy_port, timeout=60, context=self._context
                )
                tunnel.set_tunnel(host, port)
                return tunnel
            return http.client.HTTPConnection(proxy_host, proxy_port, timeout=60)
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=60, context=self._context)
        return http.client.HTTPConnection(host, port, timeout=60)

    def request(
        self, method: str, scheme: str, target: urllib.parse.SplitResult, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, Callable[[bool], None]]:
        """Send the request; the second value, called with "reusable", returns the connection."""
        host = target.hostname or ""
        port = target.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        path = urllib.parse.urlunsplit(("", "", target.path or "/", target.query, ""))
        pool = self._pool()
        for attempt in (1, 2):
            connection = pool.pop(key, None) or self._connect(scheme, host, port)
            plain_proxy = scheme == "http" and connection.host != host
            try:
                connection.request(
                    method,
                    urllib.parse.urlunsplit((scheme, target.netloc, path, "", ""))
                    if plain_proxy
                    else path,
                    headers={**headers, "Host": target.netloc},
                )
                response = connection.getresponse()
            except (http.client.HTTPException, OSError):
                connection.close()
                if attempt == 2:
                    raise
                continue  # a kept connection the server had closed: once more on a new one
            return response, functools.partial(self._release, key, connection, response)
        raise AssertionError("unreachable")

    def _release(
        self,
        key: tuple[str, str, int],
        connection: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        reusable: bool,
    ) -> None:
        if reusable and not response.will_close:
            self._pool()[key] = connection
        else:
            connection.close()


def proxy_authorization(secret: str) -> str:
    """The `Proxy-Authorization` value a client sends for the relay's proxy URL (RFC 7617)."""
    return "Basic " + base64.b64encode(f"{PROXY_USER}:{secret}".encode()).decode("ascii")


def passes_through(target: urllib.parse.SplitResult) -> bool:
    """Whether a plain-HTTP request to an untrusted host may pass: apt's repository paths only."""
    return bool(_APT_PATH.search(target.path))


def _handler(
    hosts: TrustedHosts, context: ssl.SSLContext, secret: str
) -> type[http.server.BaseHTTPRequestHandler]:
    upstream = _Upstream(context)
    expected = proxy_authorization(secret).encode("ascii")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._relay("GET")

        def do_HEAD(self) -> None:  # uv asks HEAD first to learn whether ranges are served
            self._relay("HEAD")

        def _authorized(self) -> bool:
            given = self.headers.get("Proxy-Authorization", "").encode("utf-8", "replace")
            return hmac.compare_digest(given, expected)  # constant time: the secret stays one

        def _relay(self, method: str) -> None:
            if not self._authorized():
                self.send_response(407)
                self.send_header("Proxy-Authenticate", 'Basic realm="dlenv relay"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = urllib.parse.urlsplit(self.path)
            if target.scheme != "http" or not target.hostname:
                self.send_error(400, "dlenv relay: expected an absolute http:// URL")
                return
            # Index hosts are upgraded to verified HTTPS; apt's repository paths on any other
            # host pass through as the plain HTTP they asked for; nothing else goes anywhere.
            scheme = "https" if target.hostname in hosts else "http"
            if scheme == "http" and not passes_through(target):
                self.send_error(
                    403, f"dlenv relay: {target.hostname} is no package index of this build"
                )
                return
            try:
                response, release = upstream.request(
                    method, scheme, target, self._forwarded_headers()
                )
            except (http.client.HTTPException, OSError) as error:
                self.send_error(502, f"dlenv relay: {scheme}://{target.netloc}: {error}")
                return
            try:
                self._answer(response, body=method == "GET", trusted=scheme == "https")
            except BaseException:
                release(False)
                raise
            release(True)

        def do_CONNECT(self) -> None:  # https through the relay would need the CA in the build
            self.send_error(405, "dlenv relay: plain http:// index URLs only")

        def _forwarded_headers(self) -> dict[str, str]:
            keep = ("accept", "user-agent", "range", "if-none-match", "if-modified-since")
            headers = {k: v for k, v in self.headers.items() if k.lower() in keep}
            headers["Accept-Encoding"] = "identity"  # link rewriting needs the plain body
            return headers

        def _answer(
            self, response: http.client.HTTPResponse, *, body: bool, trusted: bool
        ) -> None:
            status = response.status
            kind = response.headers.get("Content-Type", "")
            self.send_response(status)
            for key, value in response.headers.items():
                if key.lower() in _HOP_BY_HOP:
                    continue
                if key.lower() == "location" and trusted:
                    self.send_header(key, hosts.learn(value.encode()).decode())
                else:
                    self.send_header(key, value)
            if not body:
                if "Content-Length" in response.headers:
                    self.send_header("Content-Length", response.headers["Content-Length"])
                self.end_headers()
                return
            if trusted and kind.startswith(_LINK_TYPES):
                page = hosts.learn(response.read())
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            length = response.headers.get("Content-Length")
            if length is not None:
                self.send_header("Content-Length", length)
                self.end_headers()
                shutil.copyfileobj(response, self.wfile, 1 << 20)
                return
            data = response.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return  # the build log already shows what was installed

    return Handler


@contextmanager
def serve_relay(ca_bundle: Path, hosts: Iterable[str]) -> Iterator[Relay]:
    """Serve the relay on 127.0.0.1 (a free port) until the block ends; `hosts` are the hosts
    of the indexes the resolver chose (dlenv.engine.relay_urls.url_hosts)."""
    allowed = TrustedHosts(hosts)
    secret = secrets.token_urlsafe(32)  # URL-safe: goes into the proxy URL's userinfo as is
    context = ssl.create_default_context(cafile=str(ca_bundle))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), _handler(allowed, context, secret)
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="dlenv-relay", daemon=True)
    thread.start()
    try:
        yield Relay(_port(server.socket), allowed, secret)
    finally:
        server.shutdown()
        server.server_close()


def _port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])
