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
upgraded to HTTPS; other plain-HTTP requests (apt's mirror) pass
through unchanged, since `http_proxy` applies to every RUN step. GET and HEAD only, loopback
only, and the server lives only inside a `with` block around the build.
"""

from __future__ import annotations

import functools
import http.client
import http.server
import re
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

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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


def _handler(
    hosts: TrustedHosts, context: ssl.SSLContext
) -> type[http.server.BaseHTTPRequestHandler]:
    upstream = _Upstream(context)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._relay("GET")

        def do_HEAD(self) -> None:  # uv asks HEAD first to learn whether ranges are served
            self._relay("HEAD")

        def _relay(self, method: str) -> None:
            target = urllib.parse.urlsplit(self.path)
            if target.scheme != "http" or not target.hostname:
                self.send_error(400, "dlenv relay: expected an absolute http:// URL")
                return
            # Index hosts are upgraded to verified HTTPS; anything else (apt's Debian mirror)
            # passes through as the plain HTTP it asked for, as any forward proxy would.
            scheme = "https" if target.hostname in hosts else "http"
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
    context = ssl.create_default_context(cafile=str(ca_bundle))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(allowed, context))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="dlenv-relay", daemon=True)
    thread.start()
    try:
        yield Relay(_port(server.socket), allowed)
    finally:
        server.shutdown()
        server.server_close()


def _port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])
