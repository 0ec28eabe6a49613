"""The one place that runs programs.

Everything that runs a program takes a `Runner`, so unit tests substitute a fake that replays
real captured output, and the rest of the code stays free of subprocess details.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, Protocol

from dlenv.errors import DlenvError


@dataclass(frozen=True)
class Command:
    """A program to run: argv, extra environment, and text to feed on stdin.

    `finish_on_interrupt` marks a host change that must not be cut off half-way (a package
    manager's transaction): when `stream` is interrupted it waits for the program to end; a
    second interrupt stops it. `own_session` also runs it in a session of its own, so that the
    terminal's Ctrl-C reaches dlenv only; a program that may need the terminal (sudo asking for
    a password) must keep dlenv's.

    `ends_its_containers_on_interrupt` marks a builder that runs each step in a container of its
    own (`podman build`): when `stream` is interrupted, the step's container is ended, so that
    the builder fails the step and removes its working containers itself (see
    `_end_containers_then_interrupt`); a second interrupt stops the builder at once.
    """

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: str | None = None
    finish_on_interrupt: bool = False
    own_session: bool = False
    ends_its_containers_on_interrupt: bool = False

    @classmethod
    def of(cls, *argv: str, env: Mapping[str, str] | None = None) -> Command:
        return cls(tuple(argv), dict(env or {}))

    def display(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Result:
    command: Command
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandFailed(DlenvError):
    """A program exited non-zero where success was required. Shows argv, code and output."""

    def __init__(self, result: Result, what: str | None = None):
        output = (result.stderr.strip() or result.stdout.strip())[-4000:]
        super().__init__(
            f"{what or 'command failed'}: `{result.command.display()}` exited {result.returncode}",
            details=output or None,
        )
        self.result = result


class Runner(Protocol):
    """Runs commands. `run` captures output; `stream` yields output lines as they come."""

    def run(
        self, command: Command, *, check: bool = False, timeout: float | None = None
    ) -> Result: ...

    def stream(self, command: Command, on_line: Callable[[str], None]) -> Result: ...

    def which(self, program: str) -> str | None: ...

    def interactive(self, command: Command) -> int:
        """Run attached to the user's terminal (shell, logs -f); return the exit code."""
        ...


class SubprocessRunner:
    """The real runner."""

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        try:
            done = subprocess.run(
                command.argv,
                input=command.stdin,
                capture_output=True,
                text=True,
                env=_merged_env(command.env),
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise DlenvError(f"program not found: {command.argv[0]}") from exc
        except subprocess.TimeoutExpired as exc:
            raise DlenvError(
                f"`{command.display()}` did not finish within {timeout:.0f} s"
            ) from exc
        result = Result(command, done.returncode, done.stdout, done.stderr)
        if check and not result.ok:
            raise CommandFailed(result)
        return result

    def stream(self, command: Command, on_line: Callable[[str], None]) -> Result:
        """Run with stdout and stderr merged, calling `on_line` per line; keep the tail."""
        tail: list[str] = []
        # An interrupt that lands while Popen starts the child would unwind out of Popen with
        # the child already running and nobody to stop it, or to wait for it (CI once caught
        # apt-get left so). Until `with proc` below owns the child, interrupts only count.
        spawning = _InterruptsDeferred()
        try:
            proc = subprocess.Popen(
                command.argv,
                stdin=subprocess.PIPE if command.stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                env=_merged_env(command.env),
                start_new_session=command.own_session,
            )
        except BaseException:
            spawning.end()
            raise
        with proc:
            stdout = proc.stdout
            assert stdout is not None

            def follow() -> int:
                for line in _lines(stdout):
                    on_line(line)
                    tail.append(line)
                    if len(tail) > 400:
                        del tail[:200]
                return proc.wait()

            try:
                spawning.end()  # raises the interrupt that came while spawning, now handled
                if command.stdin is not None and proc.stdin is not None:
                    proc.stdin.write(command.stdin)
                    proc.stdin.close()
                returncode = follow()
            except KeyboardInterrupt:
                if command.ends_its_containers_on_interrupt:
                    _end_containers_then_interrupt(proc, follow)
                if not command.finish_on_interrupt:
                    _stop(proc)
                    raise
                _finish_then_interrupt(proc, follow, group=command.own_session)
            except BaseException:
                # Interrupted (Ctrl-C reaches the child too; SIGTERM reaches only dlenv): stop
                # the child before unwinding, so a build does not run on unattended.
                _stop(proc)
                raise
        return Result(command, returncode, "\n".join(tail), "")

    def which(self, program: str) -> str | None:
        return shutil.which(program)

    def interactive(self, command: Command) -> int:
        try:
            return subprocess.call(command.argv, env=_merged_env(command.env))
        except FileNotFoundError as exc:
            raise DlenvError(f"program not found: {command.argv[0]}") from exc


class _InterruptsDeferred:
    """From creation until `end()`, SIGINT and SIGTERM are held back: recorded, not acted on.
    `end()` puts the previous handlers back and delivers what came to them. A signal being
    ignored stays ignored. Only the main thread may set handlers (signal docs); in any other
    thread this does nothing."""

    def __init__(self) -> None:
        self._arrived: list[int] = []
        self._previous: dict[int, Any] = {}
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(signum) not in (signal.SIG_IGN, None):  # None: set outside Python
                self._previous[signum] = signal.signal(signum, self._record)

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self._arrived.append(signum)

    def end(self) -> None:
        previous, self._previous = self._previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        arrived, self._arrived = self._arrived, []
        for signum in dict.fromkeys(arrived):
            signal.raise_signal(signum)  # to the handler just put back: KeyboardInterrupt, mostly


# Long enough for a builder to clean up its working container after SIGTERM.
_STOP_GRACE_SECONDS = 20.0


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=_STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _finish_then_interrupt(
    proc: subprocess.Popen[str], follow: Callable[[], int], *, group: bool
) -> NoReturn:
    """The first interrupt lets the command end, still streaming its output, then unwinds; a
    second one stops it (with `group`, the whole process group it leads: bash, apt-get, dpkg) and
    unwinds at once."""
    # Imported here: the console (Rich) is not needed by commands that are never interrupted.
    from dlenv.console import warn  # noqa: PLC0415

    # No command line here: setup printed it before running it.
    warn(
        "interrupted: letting the running command finish, so that no package database is left "
        "half-changed; interrupt again to stop it now"
    )
    try:
        follow()
    except KeyboardInterrupt:
        warn("stopping it half-way; `dlenv setup` checks every step again next time")
        if group:
            with contextlib.suppress(ProcessLookupError):  # the group is gone already
                os.killpg(proc.pid, signal.SIGTERM)
        _stop(proc)
    raise KeyboardInterrupt


# Long enough for the layer commit under way when the interrupt came (30 s for a 900 MB layer
# on the CI machine, bench/RESULTS.md): the next step's container is ended as it starts.
_STEP_GRACE_SECONDS = 90.0


def _end_containers_then_interrupt(
    proc: subprocess.Popen[str], follow: Callable[[], int]
) -> NoReturn:
    """Interrupt a builder the way that leaves nothing behind, then unwind.

    SIGTERM to `podman build` ends podman but not the RUN step's container, which runs on with
    nobody to wait for it, and leaves the build's working containers in storage, seen only by
    `podman ps --external` (podman-build(1), the NOTE on "external containers" left when "users
    kill the podman build process"; measured with podman 4.3.1: three left by one interrupted
    build, and the step's process still running). Ending the step's container instead fails the
    step, and a failed build removes its working containers (podman-build(1), --force-rm:
    "even if the build fails (default true)"): measured, podman exits 0.3 s later, nothing left.
    Between steps (a layer commit) there is no container: the next one is ended as it starts,
    or, after `_STEP_GRACE_SECONDS`, the builder is stopped. Its output is still read meanwhile:
    a full pipe would block it.
    """
    # Imported here: the console (Rich) is not needed by commands that are never interrupted.
    from dlenv.console import warn  # noqa: PLC0415

    warn(
        "interrupted: ending the build's running step, so that the builder removes what it "
        "made; interrupt again to stop it at once"
    )
    finished = threading.Event()
    ender = threading.Thread(target=_end_containers, args=(proc, finished), daemon=True)
    ender.start()
    try:
        follow()
    except KeyboardInterrupt:
        _stop(proc)
    finally:
        finished.set()
        ender.join()
    raise KeyboardInterrupt


def _end_containers(proc: subprocess.Popen[str], finished: threading.Event) -> None:
    """Until `proc` ends: SIGKILL the first process of every container it runs. After the
    grace, SIGTERM to `proc` itself."""
    deadline = time.monotonic() + _STEP_GRACE_SECONDS
    while not finished.is_set() and proc.poll() is None:
        if time.monotonic() > deadline:
            proc.terminate()
            return
        for pid in containers_below(proc.pid):
            with contextlib.suppress(OSError):  # gone already, or not ours to end
                os.kill(pid, signal.SIGKILL)
        finished.wait(0.1)


_PROC = Path("/proc")


def containers_below(root: int) -> list[int]:
    """The processes below `root` (children, grandchildren, ...) that are the first of a PID
    namespace other than `root`'s, nearest first: each container's first process, not what it
    runs. A RUN step's is one (measured with podman 4.3.1 and runc: `/bin/sh -c ...` under
    podman's buildah-oci-runtime helper, in a PID namespace of its own), and when a PID
    namespace's first process ends, the kernel ends every other in it (pid_namespaces(7)).
    Parents come from /proc/PID/stat (proc(5)): the field after the state, which follows the
    command name's closing parenthesis (a name may hold any character)."""
    namespace = _pid_namespace(root)
    children: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in sorted(children.get(todo.pop(0), [])):
            theirs = _pid_namespace(child)
            if theirs is None:  # ended meanwhile, or not ours to look at
                continue
            (found if theirs != namespace else todo).append(child)
    return found


def _pid_namespace(pid: int) -> str | None:
    try:
        return str((_PROC / str(pid) / "ns" / "pid").readlink())
    except OSError:
        return None


def _lines(stream: Iterator[str]) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\n")


def _merged_env(extra: Mapping[str, str]) -> dict[str, str] | None:
    if not extra:
        return None
    env = dict(os.environ)
    env.update(extra)
    return env
