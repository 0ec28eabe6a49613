"""Damaged state is detected and repaired or reported (never a traceback), and the per-environment
lock serialises two dlenv runs and never outlives its holder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.errors import DlenvError
from dlenv.labels import USER_PATTERN, EnvLabels
from dlenv.state import EnvState

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WRITTEN = re.compile(r"[A-Za-z0-9_-]{43}")
REPO = Path(__file__).parents[2]


def _state(tmp_path: Path, tag: str) -> EnvState:
    return EnvState.for_env(tmp_path / tag, "demo")


def _plant(state: EnvState, content: bytes) -> None:
    state.ensure_directory()
    state.token_file.write_bytes(content)
    state.token_file.chmod(0o600)


def test_a_truncated_token_is_replaced_and_said(tmp_path: Path, capsys: object) -> None:
    state = _state(tmp_path, "t")
    good = state.jupyter_token()
    _plant(state, good[:20].encode())  # a write cut short
    assert state.read_token() is None  # reported, never shown in a URL
    renewed = state.jupyter_token()
    assert WRITTEN.fullmatch(renewed) and renewed != good[:20]
    assert state.token_file.read_text() == renewed + "\n"
    assert state.read_token() == renewed


@FUZZ
@given(content=st.binary(max_size=80) | st.text(max_size=80).map(str.encode))
def test_any_token_file_gives_a_valid_token_or_none(tmp_path: Path, content: bytes) -> None:
    state = _state(tmp_path, "fuzz")
    _plant(state, content)
    shown = state.read_token()
    assert shown is None or WRITTEN.fullmatch(shown)
    token = state.jupyter_token()
    assert WRITTEN.fullmatch(token)
    if shown is not None:
        assert token == shown  # a good token is kept: bookmarked URLs keep working


@FUZZ
@given(labels=st.dictionaries(
    st.sampled_from(["dev.dlenv.name", "dev.dlenv.user", "dev.dlenv.bind",
                     "dev.dlenv.ssh-port", "dev.dlenv.jupyter-port"]) | st.text(max_size=8),
    st.text(max_size=30) | st.sampled_from(["dev", "127.0.0.1", "::1", "2222", "0", "70000"]),
))  # fmt: skip
def test_any_container_labels_decode_to_safe_values(labels: dict[str, str]) -> None:
    decoded = EnvLabels.decode(labels, "fallback")
    assert USER_PATTERN.fullmatch(decoded.user)
    assert not any(c in decoded.bind for c in " ;\n$`")
    for port in (decoded.ssh_port, decoded.jupyter_port):
        assert port is None or 0 < port < 65536


def test_damaged_labels_read_as_defaults() -> None:
    decoded = EnvLabels.decode(
        {"dev.dlenv.user": "dev; rm -rf /", "dev.dlenv.bind": "127.0.0.1 -oProxyCommand=x",
         "dev.dlenv.ssh-port": "22x", "dev.dlenv.name": "../x"},
        "demo",
    )  # fmt: skip
    assert (decoded.user, decoded.bind, decoded.ssh_port, decoded.name) == (
        "dev",
        "127.0.0.1",
        None,
        "demo",
    )


def test_a_second_holder_waits_and_says_so(tmp_path: Path, capsys: object) -> None:
    state = _state(tmp_path, "lock")
    order: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def first() -> None:
        with state.exclusive("dlenv up"):
            order.append("first in")
            holding.set()
            release.wait(10)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    threading.Timer(0.5, release.set).start()
    with state.exclusive("dlenv up"):  # a new open file: flock(2) makes it wait like a process
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "another dlenv is running `dlenv up`" in err and f"process {os.getpid()}" in err


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    state = _state(tmp_path, "killed")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from dlenv.state import EnvState\n"
         "s = EnvState.for_env(Path(sys.argv[1]), 'demo')\n"
         "with s.exclusive('dlenv up'):\n    print('held', flush=True); time.sleep(60)\n",
         str(tmp_path / "killed")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()  # SIGKILL: no cleanup code runs
    holder.wait()
    started = time.monotonic()
    with state.exclusive("dlenv up"):
        pass
    assert time.monotonic() - started < 5
    assert state.lock_file.read_text() == f"{os.getpid()}\n"


def test_a_lock_path_that_is_not_a_regular_file_is_reported(tmp_path: Path) -> None:
    state = _state(tmp_path, "fifo")
    state.ensure_directory()
    os.mkfifo(state.lock_file)
    with pytest.raises(DlenvError, match="is not a regular file of yours"), state.exclusive("up"):
        pass
