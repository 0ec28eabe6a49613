"""The readiness probe: it reaches Jupyter directly, and the token never reaches a proxy."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from dlenv.readiness import jupyter_status

TOKEN = "s3cret-token-for-the-probe"


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request with `status`, keeping the request line and headers it saw."""

    status = 200
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(f"{self.requestline}\n{self.headers}")
        authorized = self.headers.get("Authorization") == f"token {TOKEN}"
        self.send_response(self.status if authorized else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def _server(status: int) -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"status": status, "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def jupyter() -> Iterator[tuple[int, list[str]]]:
    yield from _server(200)


@pytest.fixture
def proxy() -> Iterator[tuple[int, list[str]]]:
    # A proxy that would answer 200 to anything, so a proxied probe would even look "ready".
    yield from _server(200)


@pytest.mark.parametrize("variable", ["http_proxy", "HTTP_PROXY", "all_proxy"])
def test_the_token_never_reaches_a_proxy_from_the_environment(
    jupyter: tuple[int, list[str]],
    proxy: tuple[int, list[str]],
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy[0]}")
    assert jupyter_status(f"http://127.0.0.1:{jupyter[0]}", TOKEN) == 200
    assert proxy[1] == []  # the proxy saw no request at all, so no token
    assert len(jupyter[1]) == 1 and TOKEN in jupyter[1][0]


def test_without_a_token_jupyter_answers_403(jupyter: tuple[int, list[str]]) -> None:
    assert jupyter_status(f"http://127.0.0.1:{jupyter[0]}", None) == 403
