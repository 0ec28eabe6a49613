"""The readiness probe: it reaches Jupyter directly, and the token never reaches a proxy."""

from __future__ import annotations

import http.server
import itertools
import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

import dlenv.readiness as readiness
from dlenv.readiness import Endpoints, jupyter_status, poll_intervals, wait_until_ready

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


class _Banner(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")


@pytest.fixture
def sshd() -> Iterator[int]:
    """Something that greets like sshd: the probe reads only the banner."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Banner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_poll_intervals_start_short_and_grow_to_a_ceiling() -> None:
    first = list(itertools.islice(poll_intervals(), 8))
    assert first[0] == readiness.FIRST_INTERVAL
    assert first == sorted(first)
    assert first[-1] == readiness.MAX_INTERVAL
    assert first[1] == pytest.approx(readiness.FIRST_INTERVAL * readiness.BACKOFF)


def test_ready_when_both_answer(sshd: int, jupyter: tuple[int, list[str]]) -> None:
    endpoints = Endpoints("127.0.0.1", sshd, jupyter[0], TOKEN)
    wait_until_ready(endpoints, still_running=lambda: True, timeout=10)
    assert len(jupyter[1]) == 1  # one probe found it ready: nothing probed it again


def test_a_stopped_container_ends_the_wait(
    sshd: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readiness, "RUNNING_CHECK_INTERVAL", 0.0)
    endpoints = Endpoints("127.0.0.1", sshd, _closed_port(), TOKEN)
    with pytest.raises(RuntimeError, match="stopped while starting"):
        wait_until_ready(endpoints, still_running=lambda: False, timeout=10)


def test_the_timeout_names_what_did_not_answer(sshd: int) -> None:
    endpoints = Endpoints("127.0.0.1", sshd, _closed_port(), TOKEN)
    progress: list[str] = []
    with pytest.raises(TimeoutError, match=r"^Jupyter did not answer"):
        wait_until_ready(
            endpoints, still_running=lambda: True, timeout=0.5, on_progress=progress.append
        )
    assert progress and set(progress) == {"waiting for Jupyter"}


class _SlowJupyter(_Recorder):
    """Answers 503 (as Jupyter does not, but a proxy might) to its first requests, then 200."""

    def do_GET(self) -> None:
        self.seen.append(self.requestline)
        self.send_response(503 if len(self.seen) <= 3 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_the_engine_is_asked_as_soon_as_ssh_answers(sshd: int) -> None:
    # `up` reports the container as this check saw it, instead of asking once more after the
    # wait: the check must come while Jupyter is still starting, not a second in.
    seen: list[str] = []
    handler = type("Handler", (_SlowJupyter,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    asked: list[float] = []
    started = time.monotonic()

    def still_running() -> bool:
        asked.append(time.monotonic() - started)
        return True

    try:
        endpoints = Endpoints("127.0.0.1", sshd, server.server_address[1], TOKEN)
        wait_until_ready(endpoints, still_running=still_running, timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert len(seen) == 4  # three answers that were not ready, then ready
    assert asked and asked[0] < readiness.RUNNING_CHECK_INTERVAL / 2
