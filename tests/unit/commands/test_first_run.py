"""`dlenv up` on a fresh machine, in-process through `dlenv.cli.run` with a fake runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.cli import run
from dlenv.ssh_keys import KEY_NAME
from tests.support.context import make_context
from tests.support.fakes import FakeRunner
from tests.support.index_config import uv_answers
from tests.support.keygen import PUBLIC, KeygenRunner


def test_up_without_an_engine_says_so_first_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = FakeRunner()  # `which` finds nothing: no podman, no docker, no ssh-keygen
    assert run(["up"], make_context(tmp_path, runner)) == 1
    err = capsys.readouterr().err
    assert "no container engine found" in err
    assert "dlenv setup --only engine" in err
    # Before anything else: no nvidia-smi, no uv, no ssh-keygen, no key and no state made.
    assert runner.calls == []
    assert not (tmp_path / "home" / ".ssh").exists()
    assert not (tmp_path / "state").exists()


def test_up_without_a_key_makes_one_tells_the_user_and_carries_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = KeygenRunner(
        responses={
            **uv_answers(),
            ("ssh-keygen",): (0, "", ""),
            # The steps after the keys: the engine is asked about the host and the container.
            # Failing there ends the test where the real run would go on to build.
            ("podman", "info"): (125, "", "Error: cannot connect\n"),
            ("podman", "container", "inspect"): (0, '"stopped here by the test"\n', ""),
        },
        programs={"podman": "/usr/bin/podman", "ssh-keygen": "/usr/bin/ssh-keygen"},
    )
    ctx = make_context(tmp_path, runner)
    (tmp_path / "home").mkdir()
    assert run(["up", "--profile", "cpu"], ctx) == 1
    err = capsys.readouterr().err
    public = tmp_path / "home" / ".ssh" / f"{KEY_NAME}.pub"
    assert f"-i {public.with_suffix('')}" in err  # where it is, and how ssh uses it
    assert "stopped here by the test" in err  # carried on past the keys
    authorized = ctx.state_root / "envs" / "dlenv" / "authorized_keys"
    assert authorized.read_text() == PUBLIC
    assert [c for c in runner.calls if c[0] == "ssh-keygen"] == [
        ("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dlenv", "-f",
         str(public.with_suffix(""))),
    ]  # fmt: skip
