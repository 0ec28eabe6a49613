"""`dlenv up` on a fresh machine, in-process through `dlenv.cli.run` with a fake runner."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from dlenv.cli import run
from dlenv.process import Command, Result
from dlenv.ssh_keys import KEY_NAME
from tests.support.context import make_context
from tests.support.fakes import FakeRunner
from tests.support.index_config import uv_answers
from tests.support.keygen import PUBLIC, KeygenRunner
from tests.support.ports import free_ports
from tests.unit.commands.test_in_process import podman


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


CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured"


def fresh_machine(
    image: tuple[int, str, str], **more: tuple[int, str, str]
) -> dict[tuple[str, ...], tuple[int, str, str]]:
    """`podman()`'s captured answers (no dlenv container, no volumes yet) with uv's and a
    captured `podman info`; `image` answers `image inspect`, `more` the commands after the
    survey."""
    info = (0, (CAPTURED / "podman-info" / "rootful-debian12-ci.json").read_text(), "")
    return {
        **uv_answers(),
        **podman(podman_info=info, podman_image_inspect=image, **more).responses,
    }


def up_cpu(tmp_path: Path, runner: FakeRunner) -> int:
    """`dlenv up` of the default spec's CPU profile, on free ports, with a given public key."""
    keys = tmp_path / "key.pub"
    keys.write_text(PUBLIC)
    ssh_port, jupyter_port = free_ports(2)
    argv = ["up", "--profile", "cpu", "--engine", "podman", "--authorized-keys", str(keys),
            "--ssh-port", str(ssh_port), "--jupyter-port", str(jupyter_port)]  # fmt: skip
    return run(argv, make_context(tmp_path, runner))


class SlowInfoRunner(KeygenRunner):
    """`podman info` answers only once a `volume create` has been asked, or after WAIT_S in
    vain."""

    WAIT_S = 5.0

    def __init__(self, responses: dict[tuple[str, ...], tuple[int, str, str]]) -> None:
        super().__init__(responses=responses, programs={"podman": "/usr/bin/podman"})
        self.volume_asked = threading.Event()
        self.volume_asked_during_info = False

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        if command.argv[:3] == ("podman", "volume", "create"):
            self.volume_asked.set()
        elif command.argv[:2] == ("podman", "info"):
            self.volume_asked_during_info = self.volume_asked.wait(self.WAIT_S)
        return super().run(command, check=check, timeout=timeout)


def test_a_first_up_creates_its_volumes_while_the_engine_facts_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = SlowInfoRunner(
        fresh_machine(
            (0, "sha256:" + "a" * 64 + "\n", ""),  # the image is built
            podman_volume_create=(0, "", ""),
            podman_run=(125, "", "Error: stopped here by the test\n"),
        )
    )
    assert up_cpu(tmp_path, runner) == 1
    assert "stopped here by the test" in capsys.readouterr().err
    assert runner.volume_asked_during_info  # not only once `podman info` had answered
    created = [i for i, c in enumerate(runner.calls) if c[:3] == ("podman", "volume", "create")]
    started = runner.calls.index(next(c for c in runner.calls if c[:2] == ("podman", "run")))
    assert len(created) >= 2 and max(created) < started  # all of them, before the container


def test_an_up_that_must_build_creates_no_volume_before_the_build_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = CAPTURED / "image-inspect"
    absent = (
        125, (images / "podman-absent-ci.stdout").read_text(),
        (images / "podman-absent-ci.stderr").read_text(),
    )  # fmt: skip
    runner = KeygenRunner(
        responses=fresh_machine(
            absent,
            # The build's first step, the base image's pull, fails.
            podman_pull=(125, "", "Error: stopped here by the test\n"),
            podman_version=(0, "4.3.1\n", ""),  # asked to explain the failure
        ),
        programs={"podman": "/usr/bin/podman"},
    )
    assert up_cpu(tmp_path, runner) == 1
    assert "stopped here by the test" in capsys.readouterr().err
    assert not any(c[:3] == ("podman", "volume", "create") for c in runner.calls)
