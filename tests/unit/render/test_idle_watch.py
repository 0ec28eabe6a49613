"""The idle watcher the image carries (render/templates/idle_watch.py.j2), run in-process on
real inputs: process titles captured inside an environment, and Jupyter Server's answers replayed
by a loopback HTTP server (tests/fixtures/captured/README.md, idle/)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from dlenv.render.context import CONFIG_PATHS
from tests.unit.render.test_render import render_case

CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured" / "idle"


@pytest.fixture
def watcher(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("DLENV_IDLE_STOP", "20")
    namespace: dict[str, Any] = {"__name__": "dlenv_idle_watch"}
    exec(render_case("cpu-system-ca").files[CONFIG_PATHS["idle_watch.py"]], namespace)
    return namespace


def titles(name: str) -> list[str]:
    return [line.split(None, 1)[1] for line in (CAPTURED / name).read_text().splitlines()]


@pytest.mark.parametrize("capture", ["ps-ssh-notty-ci.txt", "ps-ssh-pty-ci.txt"])
def test_only_a_session_process_counts_as_an_ssh_session(
    watcher: dict[str, Any], capture: str
) -> None:
    matched = [t for t in titles(capture) if watcher["SESSION"].match(t)]
    assert matched == [next(t for t in titles(capture) if "@" in t)]
    assert watcher["SESSION"].match("sshd-session: dev@pts/3")  # OpenSSH 9.8's name
    assert watcher["INTERVAL"] == 5


class _Replay(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, bytes]] = {}
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        body = self.answers.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def jupyter() -> Iterator[str]:
    _Replay.answers = {
        "/api/status": (CAPTURED / "api-status-jupyter-server-2.21.1.json").read_bytes(),
        "/api/kernels?no_track_activity=1": (
            CAPTURED / "api-kernels-none-jupyter-server-2.21.1.json"
        ).read_bytes(),
    }
    _Replay.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_jupyter_activity_is_last_activity_asked_with_the_token(
    watcher: dict[str, Any], jupyter: str, tmp_path: Path
) -> None:
    (tmp_path / "token").write_text("t0ken\n")
    watcher["BASE"], watcher["TOKEN_FILE"] = jupyter, tmp_path / "token"
    expected = datetime(2026, 12, 1, 5, 16, 42, 790862, tzinfo=UTC).timestamp()
    assert watcher["jupyter_activity"]() == pytest.approx(expected)
    assert ("/api/kernels?no_track_activity=1", "token t0ken") in _Replay.seen


def test_an_unanswering_jupyter_counts_as_activity(
    watcher: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "token").write_text("t0ken\n")
    watcher["BASE"], watcher["TOKEN_FILE"] = "http://127.0.0.1:9", tmp_path / "token"
    before = datetime.now(UTC).timestamp()
    assert watcher["jupyter_activity"]() >= before
