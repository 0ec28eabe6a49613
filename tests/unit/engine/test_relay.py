"""The legacy builder's package-index relay: pure URL rewriting, then a live relay between a real
HTTP client and a real local HTTPS index whose certificate only the given CA bundle trusts."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlenv.engine.argv import build_argv
from dlenv.engine.base import BuildRequest
from dlenv.engine.relay import (
    PYPI_SIMPLE,
    Relay,
    index_hosts,
    relay_env,
    relayed_url,
    rewrite_links,
    serve_relay,
)

WHEEL = b"PK\x03\x04 pretend wheel bytes " * 1000


def test_relayed_url_turns_https_into_http_only() -> None:
    assert relayed_url("https://download.pytorch.org/whl/cpu") == "http://download.pytorch.org/whl/cpu"
    assert relayed_url("http://mirror.local/simple") == "http://mirror.local/simple"


def test_links_to_allowed_hosts_are_rewritten_and_others_kept() -> None:
    page = (
        b'<a href="https://files.pythonhosted.org/packages/ab/numpy.whl#sha256=00">numpy</a>'
        b'<a href="https://evil.example/x.whl">x</a>'
    )
    assert rewrite_links(page, ["files.pythonhosted.org"]) == (
        b'<a href="http://files.pythonhosted.org/packages/ab/numpy.whl#sha256=00">numpy</a>'
        b'<a href="https://evil.example/x.whl">x</a>'
    )


def test_index_hosts_and_build_environment() -> None:
    hosts = index_hosts(["https://download.pytorch.org/whl/cu128", ""], managed_python=False)
    assert hosts == ("download.pytorch.org", "files.pythonhosted.org", "pypi.org")
    assert "github.com" in index_hosts([], managed_python=True)
    assert relay_env(managed_python=False) == (
        f"PIP_INDEX_URL={PYPI_SIMPLE} PIP_TRUSTED_HOST='pypi.org files.pythonhosted.org' "
        f"UV_DEFAULT_INDEX={PYPI_SIMPLE} "
    )
    assert "UV_PYTHON_INSTALL_MIRROR=http://github.com/" in relay_env(managed_python=True)


def test_build_args_are_predefined_proxy_arguments_and_the_ca_is_not_among_them() -> None:
    relay = Relay(41479, frozenset({"pypi.org"}))
    args = relay.build_args()
    assert args["http_proxy"] == args["HTTP_PROXY"] == "http://127.0.0.1:41479"
    request = BuildRequest(Path("/ctx"), "localhost/dlenv/x:1", build_args=args, network="host")
    argv = build_argv("docker", request)
    assert "--secret" not in argv and not any("ca-certificates" in a for a in argv)
    assert argv[-4:] == ("--force-rm", "--network", "host", "/ctx")


# A live relay ---------------------------------------------------------------------------------
class _Index(http.server.BaseHTTPRequestHandler):
    """A tiny index: a simple page linking a file by absolute https URL, the file, a redirect."""

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        port = self.server.server_address[1]
        if self.path == "/simple/Demo":
            self.send_response(301)
            self.send_header("Location", f"https://localhost:{port}/simple/demo/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/simple/demo/":
            data = f'<a href="https://localhost:{port}/files/demo-1.0-py3-none-any.whl">d</a>'.encode()
            kind = "text/html"
        elif self.path == "/files/demo-1.0-py3-none-any.whl":
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
        status, _, page = _through(relay, f"http://localhost:{https_index}/simple/demo/")
        assert status == 200
        assert page == (
            f'<a href="http://localhost:{https_index}/files/demo-1.0-py3-none-any.whl">d</a>'
        ).encode()
        status, headers, data = _through(
            relay, f"http://localhost:{https_index}/files/demo-1.0-py3-none-any.whl"
        )
        assert (status, data) == (200, WHEEL)
        status, headers, data = _through(
            relay, f"http://localhost:{https_index}/files/demo-1.0-py3-none-any.whl", "HEAD"
        )
        assert (status, headers["Content-Length"], data) == (200, str(len(WHEEL)), b"")


def test_redirects_go_back_to_the_client_rewritten(
    certificate: tuple[Path, Path], https_index: int
) -> None:
    with serve_relay(certificate[0], ["localhost"]) as relay:
        status, headers, _ = _through(relay, f"http://localhost:{https_index}/simple/Demo")
    assert status == 301
    assert headers["Location"] == f"http://localhost:{https_index}/simple/demo/"


def test_an_upstream_the_ca_bundle_does_not_trust_is_refused(
    https_index: int, tmp_path: Path
) -> None:
    other_ca = Path("/etc/ssl/certs/ca-certificates.crt")
    if not other_ca.exists():
        pytest.skip("no system CA bundle")
    with serve_relay(other_ca, ["localhost"]) as relay:
        status, _, body = _through(relay, f"http://localhost:{https_index}/simple/demo/")
    assert status == 502
    assert b"CERTIFICATE_VERIFY_FAILED" in body or b"certificate verify failed" in body


def test_other_plain_http_passes_through_unchanged(
    certificate: tuple[Path, Path], plain_index: int
) -> None:
    # apt's mirror is plain http:// and sees the same http_proxy; it must keep working.
    with serve_relay(certificate[0], ["localhost"]) as relay:
        status, _, data = _through(
            relay, f"http://127.0.0.1:{plain_index}/files/demo-1.0-py3-none-any.whl"
        )
    assert (status, data) == (200, WHEEL)


def test_connect_is_refused(certificate: tuple[Path, Path]) -> None:
    import http.client

    with serve_relay(certificate[0], []) as relay:
        connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=5)
        connection.request("CONNECT", "pypi.org:443")
        assert connection.getresponse().status == 405
        connection.close()
