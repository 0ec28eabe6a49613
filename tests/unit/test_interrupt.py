"""Interrupts: SIGTERM ends dlenv like Ctrl-C (exit 130), and a streamed child is stopped."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from dlenv.cli import EXIT_INTERRUPTED, run
from dlenv.process import Command, Result, SubprocessRunner
from tests.support.context import make_context
from tests.support.fakes import FakeRunner


class TerminatedWhileAsking(FakeRunner):
    """The engine call during which a service manager sends dlenv SIGTERM."""

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        os.kill(os.getpid(), signal.SIGTERM)
        return super().run(command, check=check, timeout=timeout)


def test_sigterm_exits_130_like_ctrl_c_and_restores_the_handler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = TerminatedWhileAsking(
        responses={("podman",): (1, "", "")}, programs={"podman": "/usr/bin/podman"}
    )
    before = signal.getsignal(signal.SIGTERM)
    assert run(["status", "--name", "demo"], make_context(tmp_path, runner)) == EXIT_INTERRUPTED
    assert "Traceback" not in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) == before


def test_an_interrupted_stream_stops_its_child(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    script = (
        "import os, sys, time\n"
        f"open({str(marker)!r}, 'w').write(str(os.getpid()))\n"
        "print('started', flush=True)\n"
        "time.sleep(120)\n"
    )

    def interrupt(line: str) -> None:
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        SubprocessRunner().stream(Command((sys.executable, "-c", script)), interrupt)
    assert time.monotonic() - started < 30  # not the child's 120 s
    pid = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone (and reaped), not left running unattended
