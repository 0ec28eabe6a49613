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


def _child(tmp_path: Path, after_start: str) -> tuple[str, Path]:
    """A child that records its pid and session, says 'started', then runs `after_start`."""
    facts = tmp_path / "child.facts"
    script = (
        "import os, sys, time\n"
        f"open({str(facts)!r}, 'w').write(f'{{os.getpid()}} {{os.getsid(0)}}')\n"
        "print('started', flush=True)\n" + after_start
    )
    return script, facts


def test_an_interrupted_host_change_finishes_in_its_own_session(tmp_path: Path) -> None:
    # What `dlenv setup` runs (apt-get, dnf, zypper): cut off half-way, a package manager can
    # leave its database for the user to repair, so the first interrupt waits for it.
    done = tmp_path / "done"
    script, facts = _child(
        tmp_path, f"time.sleep(0.5)\nopen({str(done)!r}, 'w').write('ok')\nprint('finished')\n"
    )
    lines: list[str] = []

    def interrupt_once(line: str) -> None:
        lines.append(line)
        if line == "started":
            raise KeyboardInterrupt

    command = Command((sys.executable, "-c", script), finish_on_interrupt=True, own_session=True)
    with pytest.raises(KeyboardInterrupt):
        SubprocessRunner().stream(command, interrupt_once)
    assert done.read_text() == "ok"
    assert lines == ["started", "finished"]  # its output still shown while it finished
    pid, session = (int(n) for n in facts.read_text().split())
    assert session == pid != os.getsid(0)  # a terminal's Ctrl-C reaches dlenv, not the child


def test_a_second_interrupt_stops_the_host_change(tmp_path: Path) -> None:
    script, facts = _child(tmp_path, "print('working', flush=True)\ntime.sleep(120)\n")

    def interrupt(line: str) -> None:
        raise KeyboardInterrupt

    started = time.monotonic()
    command = Command((sys.executable, "-c", script), finish_on_interrupt=True, own_session=True)
    with pytest.raises(KeyboardInterrupt):
        SubprocessRunner().stream(command, interrupt)
    assert time.monotonic() - started < 30
    pid = int(facts.read_text().split()[0])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
