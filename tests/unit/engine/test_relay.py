"""The legacy builder's package-index relay: pure URL rewriting, then a live relay between a real
HTTP client and a real local HTTPS index whose certificate only the given CA bundle trusts."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlenv.engine.argv import build_argv
from dlenv.engine.base import BuildRequest
from dlenv.engine.relay import Relay, TrustedHosts, passes_through, serve_relay
from dlenv.engine.relay_urls import python_download_base, relayed_url, url_hosts
from tests.support.index_config import index_url, loopback_url

WHEEL = b"PK\x03\x04 pretend wheel bytes " * 1000
DEMO_WHEEL = "/files/demo-1.0-py3-none-any.whl"


def served(port: int, path: str) -> str:
    """Where the local HTTPS index serves `path` (its certificate names localhost)."""
    return loopback_url(port, path, host="localhost", scheme="https")


def via_relay(port: int, path: str) -> str:
    """The same over plain http, as a build asks the relay for it."""
    return loopback_url(port, path, host="localhost")


def test_relayed_url_turns_https_into_http_only() -> None:
    relayed = index_url("index", "/whl/cpu", scheme="http")
    assert relayed_url(index_url("index", "/whl/cpu")) == relayed
    assert relayed_url(index_url("mirror", scheme="http")) == index_url("mirror", scheme="http")


def test_hosts_of_the_chosen_indexes_are_the_first_trusted() -> None:
    assert url_hosts([index_url("b", "/whl/cu128"), index_url("a"), ""]) == (
        "a.test",
        "b.test",
    )


def test_trust_follows_links_of_trusted_answers_and_every_https_link_is_relayed() -> None:
    hosts = TrustedHosts(["index.test"])
    page = (
        b'<a href="https://files.test/packages/ab/numpy.whl#sha256=00">numpy</a>'
        b'<a href="https://other.test:8443/x.whl">x</a>'
    )
    assert hosts.learn(page) == (
        b'<a href="http://files.test/packages/ab/numpy.whl#sha256=00">numpy</a>'
        b'<a href="http://other.test:8443/x.whl">x</a>'
    )
    assert hosts.snapshot() == {"index.test", "files.test", "other.test"}
    assert "files.test" in hosts and "unlinked.test" not in hosts


def test_uv_python_mirror_is_the_part_before_release_and_file() -> None:
    # The URL form `uv python list --only-downloads --output-format json` printed (uv 0.13.9).
    url = (
        index_url("downloads", "/python-build-standalone/releases/download/20261110/")
        + "cpython-3.12.16%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
    )
    assert python_download_base(url) == (
        index_url("downloads", "/python-build-standalone/releases/download")
    )


def test_build_args_are_predefined_proxy_arguments_and_the_ca_is_not_among_them() -> None:
    relay = Relay(41479, TrustedHosts(["index.test"]), "per-build-secret")
    args = relay.build_args()
    expected = "http://dlenv:per-build-secret@127.0.0.1:41479"
    assert args["http_proxy"] == args["HTTP_PROXY"] == expected
    request = BuildRequest(Path("/ctx"), "localhost/dlenv/x:1", build_args=args, network="host")
    argv = build_argv("docker", request)
    assert "--secret" not in argv and not any("ca-certificates" in a for a in argv)
    assert not any("per-build-secret" in a for a in argv)  # by environment, not argv
    assert argv[-4:] == ("--force-rm", "--network", "host", "/ctx")


def test_only_apt_repository_paths_pass_through_to_untrusted_hosts() -> None:
    def split(url: str) -> urllib.parse.SplitResult:
        return urllib.parse.urlsplit(url)

    def apt(path: str) -> urllib.parse.SplitResult:  # any host: apt's mirror is the base's own
        return split(index_url("apt-mirror", path, scheme="http"))

    assert passes_through(apt("/debian/dists/bookworm/InRelease"))
    assert passes_through(apt("/ubuntu/pool/main/t/tmux/t.deb"))
    assert passes_through(apt("/debian/dists/x/by-hash/SHA256/ab"))
    assert not passes_through(split("http://169.254.169.254/latest/meta-data/iam/"))
    assert not passes_through(split(index_url("intranet", "/admin?next=/dists/", scheme="http")))
    assert not passes_through(split(index_url("evil", "/distsx/pool", scheme="http")))


# A live relay ---------------------------------------------------------------------------------
# Every header any _Index was sent, to prove what the relay forwards and what it keeps.
SEEN_HEADERS: list[dict[str, str]] = []


class _Index(http.server.BaseHTTPRequestHandler):
    """A tiny index: a simple page linking a file by absolute https URL, the file, a redirect;
    and an apt repository's package file."""

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        SEEN_HEADERS.append(dict(self.headers.items()))
        port = self.server.server_address[1]
        if self.path == "/debian/pool/main/d/demo_1.0_all.deb":
            self.path = DEMO_WHEEL  # the same bytes serve as a package
        if self.path == "/simple/Demo":
            self.send_response(301)
            self.send_header("Location", served(port, "/simple/demo/"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/simple/demo/":
            data = f'<a href="{served(port, DEMO_WHEEL)}">d</a>'.encode()
            kind = "text/html"
        elif self.path == DEMO_WHEEL:
            data, kind = WHEEL, "application/octet-stream"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


def _serve(server: http.server.HTTPServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def https_index(certificate: tuple[Path, Path]) -> Iterator[int]:
    cert, key = certificate
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)


@pytest.fixture(scope="module")
def plain_index() -> Iterator[int]:
    yield from _serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Index))


def _through(relay: Relay, url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": relay.proxy_url}), _NoFollow()
    )
    try:
        with opener.open(urllib.request.Request(url, method=method), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class _NoFollow(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_index_pages_are_fetched_over_verified_https_and_links_rewritten(
    certificate: tuple[Path, Path], https_index: int
) -> None:
    with serve_relay(certificate[0], ["localhost"]) as relay:
        status, _, page = _through(relay, via_relay(https_index, "/simple/demo/"))
        assert status == 200
        assert page == (
            f'<a href="{via_relay(https_index, DEMO_WHEEL)}">d</a>'
        ).encode()
        status, headers, data = _through(
            relay, via_relay(https_index, DEMO_WHEEL)
        )
        assert (status, data) == (200, WHEEL)
        status, headers, data = _through(
            relay, via_relay(https_index, DEMO_WHEEL), "HEAD"
        )
        assert (status, headers["Content-Length"], data) == (200, str(len(WHEEL)), b"")


def test_redirects_go_back_to_the_client_rewritten(
    certificate: tuple[Path, Path], https_index: int
) -> None:
    with serve_relay(certificate[0], ["localhost"]) as relay:
        status, headers, _ = _through(relay, via_relay(https_index, "/simple/Demo"))
    assert status == 301
    assert headers["Location"] == via_relay(https_index, "/simple/demo/")


def test_an_upstream_the_ca_bundle_does_not_trust_is_refused(
    https_index: int, tmp_path: Path
) -> None:
    other_ca = Path("/etc/ssl/certs/ca-certificates.crt")
    if not other_ca.exists():
        pytest.skip("no system CA bundle")
    with serve_relay(other_ca, ["localhost"]) as relay:
        status, _, body = _through(relay, via_relay(https_index, "/simple/demo/"))
    assert status == 502
    assert b"CERTIFICATE_VERIFY_FAILED" in body or b"certificate verify failed" in body


def test_apt_requests_pass_through_unchanged(
    certificate: tuple[Path, Path], plain_index: int
) -> None:
    # apt's mirror is plain http:// and sees the same http_proxy; it must keep working.
    with serve_relay(certificate[0], ["localhost"]) as relay:
        status, _, data = _through(
            relay, f"http://127.0.0.1:{plain_index}/debian/pool/main/d/demo_1.0_all.deb"
        )
    assert (status, data) == (200, WHEEL)


def test_other_plain_http_to_an_untrusted_host_is_refused(
    certificate: tuple[Path, Path], plain_index: int
) -> None:
    # Not an open proxy: a build (or anything else) cannot fetch arbitrary URLs through it.
    SEEN_HEADERS.clear()
    with serve_relay(certificate[0], ["localhost"]) as relay:
        status, _, body = _through(
            relay, f"http://127.0.0.1:{plain_index}/files/demo-1.0-py3-none-any.whl"
        )
    assert status == 403 and b"no package index of this build" in body
    assert SEEN_HEADERS == []  # refused before any upstream request


@pytest.mark.parametrize("credentials", [None, "dlenv:wrong", "other:{secret}"])
def test_requests_without_this_builds_credentials_are_refused(
    certificate: tuple[Path, Path], https_index: int, credentials: str | None
) -> None:
    # Another local user or process can reach 127.0.0.1 too; without the secret, nothing.
    SEEN_HEADERS.clear()
    with serve_relay(certificate[0], ["localhost"]) as relay:
        proxy = f"http://127.0.0.1:{relay.port}"
        if credentials is not None:
            proxy = f"http://{credentials.format(secret=relay.secret)}@127.0.0.1:{relay.port}"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(via_relay(https_index, "/simple/demo/"), timeout=10)
    assert refused.value.code == 407
    assert refused.value.headers["Proxy-Authenticate"] == 'Basic realm="dlenv relay"'
    assert SEEN_HEADERS == []


def test_each_build_gets_its_own_secret_and_it_never_goes_upstream(
    certificate: tuple[Path, Path], https_index: int
) -> None:
    SEEN_HEADERS.clear()
    with serve_relay(certificate[0], ["localhost"]) as first, serve_relay(
        certificate[0], ["localhost"]
    ) as second:
        assert first.secret != second.secret and len(first.secret) >= 40
        assert _through(first, via_relay(https_index, "/simple/demo/"))[0] == 200
    assert SEEN_HEADERS and all(
        "proxy-authorization" not in {k.lower() for k in headers} for headers in SEEN_HEADERS
    )


def test_connect_is_refused(certificate: tuple[Path, Path]) -> None:
    import http.client

    with serve_relay(certificate[0], []) as relay:
        connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=5)
        connection.request(
            "CONNECT", "index.test:443", headers={"Proxy-Authorization": "Basic x"}
        )
        assert connection.getresponse().status == 405
        connection.close()
