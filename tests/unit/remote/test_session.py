"""The one SSH connection to the box: exact ssh argv, forwards, and errors that say the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.process import Command
from dlenv.remote.address import parse_box
from dlenv.remote.session import BoxRunner, BoxSession
from tests.support.fakes import FakeRunner

CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured" / "remote"
BOX = parse_box("ana@gpu-box:2200")
OPTIONS = ("-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=15")


def _opened(runner: FakeRunner) -> BoxSession:
    session = BoxSession.open(BOX, runner)
    assert session.control_path.parent.stat().st_mode & 0o777 == 0o700
    return session


def test_open_starts_one_control_master_in_a_private_directory() -> None:
    runner = FakeRunner({("ssh", "-M"): (0, "", "")})
    session = _opened(runner)
    control = str(session.control_path)
    assert runner.calls == [
        ("ssh", "-M", "-f", "-N", "-S", control, "-o", "ControlPersist=300", *OPTIONS,
         "-p", "2200", "--", "ana@gpu-box"),
    ]  # fmt: skip
    runner.responses = {("ssh", "-S"): (0, "", "")}
    session.close()
    assert runner.calls[-1] == ("ssh", "-S", control, *OPTIONS, "-O", "exit",
                                "-p", "2200", "--", "ana@gpu-box")  # fmt: skip
    assert not session.control_dir.exists()


def test_commands_on_the_box_are_one_quoted_string_over_the_master() -> None:
    runner = FakeRunner({("ssh", "-M"): (0, "", ""), ("ssh", "-S"): (0, "x86_64\n", "")})
    session = _opened(runner)
    result = BoxRunner(session).run(Command(("uname", "-m"), {"LC_ALL": "C"}))
    assert result.stdout == "x86_64\n"
    assert result.command.argv == ("uname", "-m")
    assert runner.calls[-1][-1] == "env LC_ALL=C uname -m"
    session.shell('cat -- "$1"', "/etc/os release; rm -rf /")
    assert runner.calls[-1][-1] == "sh -c 'cat -- \"$1\"' sh '/etc/os release; rm -rf /'"
    session.close()


def test_a_remote_forward_returns_the_port_sshd_allocated() -> None:
    runner = FakeRunner({("ssh", "-M"): (0, "", "")})
    session = _opened(runner)
    allocated = (CAPTURED / "ssh-O-forward-R.txt").read_text()
    runner.responses = {("ssh", "-S"): (0, allocated, "")}
    assert session.forward_remote(41234) == int(allocated)
    assert runner.calls[-1][-8:] == (
        "-O", "forward", "-R", "127.0.0.1:0:127.0.0.1:41234", "-p", "2200", "--", "ana@gpu-box",
    )  # fmt: skip
    session.forward_local(40000, 8888)
    assert "127.0.0.1:40000:127.0.0.1:8888" in runner.calls[-1]
    session.close()


@pytest.mark.parametrize(
    ("stderr", "says"),
    [
        ("Host key verification failed.\n", "never accepts one"),
        ("ana@gpu-box: Permission denied (publickey).\n", "ssh-copy-id"),
        ("ssh: Could not resolve hostname gpu-box: Name or service not known\n", "works"),
    ],
)
def test_an_unreachable_box_says_what_to_fix(stderr: str, says: str) -> None:
    runner = FakeRunner({("ssh", "-M"): (255, "", stderr)})
    with pytest.raises(DlenvError) as caught:
        BoxSession.open(BOX, runner)
    assert "ssh -p 2200 -- ana@gpu-box" in (caught.value.hint or "")
    assert says in (caught.value.hint or "")
    assert caught.value.details == stderr.strip()
