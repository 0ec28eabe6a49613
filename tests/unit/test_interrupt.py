"""Interrupts: SIGTERM ends dlenv like Ctrl-C (exit 130), and a streamed child is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dlenv.cli import EXIT_INTERRUPTED, run
from dlenv.process import Command, Result, SubprocessRunner, containers_below
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


class _InterruptedWhileSpawning(subprocess.Popen[str]):
    """Popen that is sent SIGINT once the child runs, before Popen returns: the window in which
    CI once saw apt-get left running with dlenv gone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)


@pytest.fixture
def sigint_handled() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, as in a terminal, whatever the test runner was started
    with: a background job of a non-interactive shell (`bash .ci/run &`) starts with SIGINT
    ignored (POSIX shells), and an ignored signal stays ignored (the test below this one)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("finish_on_interrupt", [True, False])
@pytest.mark.usefixtures("sigint_handled")
def test_an_interrupt_while_the_child_starts_is_handled_like_any_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, finish_on_interrupt: bool
) -> None:
    done = tmp_path / "done"
    script, facts = _child(
        tmp_path, f"time.sleep(0.5)\nopen({str(done)!r}, 'w').write('ok')\nprint('finished')\n"
    )
    monkeypatch.setattr(subprocess, "Popen", _InterruptedWhileSpawning)
    before = signal.getsignal(signal.SIGINT)
    lines: list[str] = []
    command = Command((sys.executable, "-c", script), finish_on_interrupt=finish_on_interrupt)
    with pytest.raises(KeyboardInterrupt):
        SubprocessRunner().stream(command, lines.append)
    assert signal.getsignal(signal.SIGINT) is before
    pid = int(facts.read_text().split()[0]) if facts.exists() else None
    if finish_on_interrupt:
        assert done.read_text() == "ok"  # waited for, not orphaned
        assert lines == ["started", "finished"]
    else:
        time.sleep(1)  # past the child's 0.5 s, had it been left running
        assert not done.exists()  # stopped, not left running unattended
    if pid is not None:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # ended and reaped


def test_an_ignored_interrupt_stays_ignored_while_the_child_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A background job of a script (`dlenv setup &`) starts with SIGINT ignored (POSIX shells).
    monkeypatch.setattr(subprocess, "Popen", _InterruptedWhileSpawning)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = SubprocessRunner().stream(
            Command((sys.executable, "-c", "print('ran')")), lambda line: None
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.ok
    assert result.stdout == "ran"


# A builder that runs each step in a container of its own (`podman build`) -----------------
# A container here is a PID namespace of its own, as the OCI runtime makes for a RUN step;
# without root, inside a user namespace of the test's own (user_namespaces(7)).
UNSHARE = ("unshare", "--pid", "--fork") + (
    () if os.geteuid() == 0 else ("--user", "--map-root-user")
)


def _builder(tmp_path: Path, step: tuple[str, ...]) -> tuple[str, Path]:
    """A stand-in for `podman build`: it runs `step`, says 'started', prints a line every 0.2 s
    while the step runs, and, when the step ends, writes 'removed' (as a failed build removes
    its working containers) and exits 1. SIGTERM ends it without that: the case that left
    working containers behind."""
    removed = tmp_path / "removed"
    script = (
        "import subprocess, sys, time\n"
        f"step = subprocess.Popen({list(step)!r})\n"
        "print('started', flush=True)\n"
        "while step.poll() is None:\n"
        "    print('tick', flush=True)\n"
        "    time.sleep(0.2)\n"
        f"open({str(removed)!r}, 'w').write('ok')\n"
        "sys.exit(1)\n"
    )
    return script, removed


def test_an_interrupted_builder_has_its_step_ended_and_cleans_up_itself(tmp_path: Path) -> None:
    marker = tmp_path / "step-ran-on"
    # Two processes in the step's container: its first one's end ends the other too.
    step = (*UNSHARE, "sh", "-c", f"(sleep 3; touch {marker}) & sleep 120")
    script, removed = _builder(tmp_path, step)

    def interrupt_once_started(line: str) -> None:
        if line == "tick":
            raise KeyboardInterrupt

    started = time.monotonic()
    command = Command(
        (sys.executable, "-c", script), own_session=True, ends_its_containers_on_interrupt=True
    )
    with pytest.raises(KeyboardInterrupt):
        SubprocessRunner().stream(command, interrupt_once_started)
    assert time.monotonic() - started < 10  # the step's 120 s were not waited for
    assert removed.read_text() == "ok"  # the builder ended by itself, after its step
    time.sleep(4)
    assert not marker.exists()  # nothing of the step ran on


def test_a_second_interrupt_stops_the_builder_at_once(tmp_path: Path) -> None:
    # A step in no container (as a layer commit runs in the builder itself): the first
    # interrupt waits for the next step's container; the second one does not wait.
    script, removed = _builder(tmp_path, ("sleep", "120"))
    ticks: list[str] = []

    def interrupt_twice(line: str) -> None:
        if line == "started" or (line == "tick" and len(ticks) == 3):
            raise KeyboardInterrupt
        ticks.append(line)

    started = time.monotonic()
    command = Command(
        (sys.executable, "-c", script), own_session=True, ends_its_containers_on_interrupt=True
    )
    with pytest.raises(KeyboardInterrupt):
        SubprocessRunner().stream(command, interrupt_twice)
    assert time.monotonic() - started < 30
    assert ticks == ["tick"] * 3  # its output was read on between the two interrupts
    assert not removed.exists()  # stopped from outside, as asked


def test_containers_below_are_the_first_processes_of_other_pid_namespaces(
    tmp_path: Path,
) -> None:
    pids = tmp_path / "pids"
    script = (
        "import subprocess, time\n"
        "same = subprocess.Popen(['sleep', '60'])\n"
        f"other = subprocess.Popen({[*UNSHARE, 'sh', '-c', 'sleep 60 & wait']!r})\n"
        f"open({str(pids)!r}, 'w').write(f'{{same.pid}} {{other.pid}}')\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 10
        while not pids.exists() or not pids.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        same, unshare = (int(pid) for pid in pids.read_text().split())
        while not (first := _children(unshare)):  # unshare forks the namespace's first process
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # Not `same`, not unshare (both in the test's namespace), not the sleep `first` runs.
        assert containers_below(parent.pid) == first
        assert same not in first
        assert containers_below(first[0]) == []
    finally:
        for pid in containers_below(parent.pid):
            os.kill(pid, signal.SIGKILL)
        subprocess.run(["pkill", "-KILL", "-P", str(parent.pid)], check=False)
        parent.kill()
        parent.wait()


def _children(pid: int) -> list[int]:
    """proc(5), /proc/PID/task/TID/children."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
