"""Argv of engine calls (golden), build-step parsing on real builder output, engine choice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dlenv.engine.argv import build_argv, run_argv
from dlenv.engine.base import BuildRequest, Mount, RunConfig
from dlenv.engine.caps import BuilderCaps
from dlenv.engine.cli_engine import CliEngine, EngineKind, parse_build_step
from dlenv.engine.detect import choose_engine
from dlenv.errors import DlenvError, UsageError
from dlenv.process import Command, Result

CONFIG = RunConfig(
    name="vision",
    image="localhost/dlenv/vision:0123456789ab",
    bind="127.0.0.1",
    ports={2222: 22, 8888: 8888},
    mounts=(
        Mount("vision-workspace", "/home/dev/workspace"),
        Mount("vision-sshd", "/etc/dlenv/hostkeys"),
        Mount("/state/authorized_keys", "/etc/dlenv/authorized_keys", read_only=True),
    ),
    labels={"dev.dlenv.name": "vision", "dev.dlenv.managed": "true"},
    tmpfs=("/run/dlenv:rw,size=1m,mode=0700",),
    shm_size="8g",
    gpu_flags=("--device", "nvidia.com/gpu=all"),
)


def test_run_argv_golden() -> None:
    assert run_argv("podman", CONFIG) == (
        "podman", "run", "--detach", "--name", "vision", "--hostname", "vision",
        "--publish", "127.0.0.1:2222:22", "--publish", "127.0.0.1:8888:8888",
        "--volume", "vision-workspace:/home/dev/workspace",
        "--volume", "vision-sshd:/etc/dlenv/hostkeys",
        "--volume", "/state/authorized_keys:/etc/dlenv/authorized_keys:ro",
        "--tmpfs", "/run/dlenv:rw,size=1m,mode=0700",
        "--shm-size", "8g",
        "--label", "dev.dlenv.managed=true", "--label", "dev.dlenv.name=vision",
        "--restart=on-failure",
        "--security-opt=no-new-privileges", "--cap-drop=ALL",
        "--cap-add=AUDIT_WRITE", "--cap-add=CHOWN", "--cap-add=DAC_READ_SEARCH",
        "--cap-add=FOWNER", "--cap-add=KILL", "--cap-add=NET_BIND_SERVICE",
        "--cap-add=SETGID", "--cap-add=SETUID", "--cap-add=SYS_CHROOT",
        "--device", "nvidia.com/gpu=all",
        "localhost/dlenv/vision:0123456789ab",
    )  # fmt: skip


def test_containers_drop_every_capability_sshd_does_not_need_and_gain_none() -> None:
    argv = run_argv("docker", CONFIG)
    # no-new-privileges: a setuid binary in the image cannot gain what was dropped.
    assert "--security-opt=no-new-privileges" in argv
    # Dropping ALL comes before the few adds (order matters to neither engine, but to readers).
    assert argv.index("--cap-drop=ALL") < argv.index("--cap-add=SYS_CHROOT")
    added = {a.removeprefix("--cap-add=") for a in argv if a.startswith("--cap-add=")}
    # The default set's dangerous members stay dropped.
    assert not added & {"SYS_ADMIN", "NET_RAW", "MKNOD", "SETFCAP", "SETPCAP", "DAC_OVERRIDE"}
    # What sshd's privilege separation cannot run without.
    assert {"SYS_CHROOT", "SETUID", "SETGID"} <= added


def test_build_argv_passes_ca_as_secret_and_proxies_as_build_args() -> None:
    request = BuildRequest(
        context=Path("/ctx"),
        tag="localhost/dlenv/x:1",
        labels={"dev.dlenv.context-digest": "abc"},
        ca_bundle=Path("/etc/ssl/certs/ca-certificates.crt"),
        build_args={"https_proxy": "http://proxy:3128"},
    )
    assert build_argv("podman", request) == (
        "podman", "build", "--tag", "localhost/dlenv/x:1", "--file", "/ctx/Containerfile",
        "--label", "dev.dlenv.context-digest=abc",
        "--build-arg", "https_proxy",
        "--secret", "id=dlenv-ca,src=/etc/ssl/certs/ca-certificates.crt",
        "/ctx",
    )  # fmt: skip
    assert "--progress=plain" in build_argv("docker", request, buildkit_progress=True)
    assert build_argv("docker", BuildRequest(Path("/c"), "t", no_cache=True))[-2] == "--no-cache"


class _Recording:
    """A Runner that records what it was asked to stream and succeeds."""

    def __init__(self) -> None:
        self.commands: list[Command] = []

    def stream(self, command: Command, on_line: Callable[[str], None]) -> Result:
        self.commands.append(command)
        return Result(command, 0, "", "")


@pytest.mark.parametrize("program", ["podman", "docker"])
def test_proxy_values_reach_the_engine_by_environment_never_by_argv(program: str) -> None:
    # `ps` shows every process's argv to every user: a proxy password must not be in it.
    secret = "http://alice:s3cret@proxy.test:3128"
    runner = _Recording()
    engine = CliEngine(EngineKind(program, BuilderCaps()), runner)  # type: ignore[arg-type]
    args = {"https_proxy": secret, "HTTPS_PROXY": secret, "no_proxy": ""}
    engine.build(BuildRequest(Path("/ctx"), "t", build_args=args), lambda _: None)
    (command,) = runner.commands
    assert not any("s3cret" in a or "proxy.test" in a for a in command.argv)
    for key in args:
        assert command.argv[command.argv.index(key) - 1] == "--build-arg"
        assert command.env[key] == args[key]  # the engine takes each value from here


# Lines as the builders print them (captured from podman 4.3 / buildah 1.28 on Debian 12,
# docker 20.10's legacy builder, and BuildKit's plain progress).
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("STEP 11/24: RUN --mount=type=cache,target=/var/cache/uv     uv pip install numpy",
         (11, 24, "RUN --mount=type=cache,target=/var/cache/uv uv pip install numpy")),
        ("Step 3/21 : ENV LANG=C.UTF-8     LC_ALL=C.UTF-8",
         (3, 21, "ENV LANG=C.UTF-8 LC_ALL=C.UTF-8")),
        ("#7 [4/20] RUN set -eux; apt-get update", (4, 20, "RUN set -eux; apt-get update")),
        ("[linux/arm64] STEP 2/9: ARG DEBIAN_FRONTEND=noninteractive",
         (2, 9, "ARG DEBIAN_FRONTEND=noninteractive")),
        ("#9 [stage-1 2/5] COPY entrypoint.sh /x", (2, 5, "COPY entrypoint.sh /x")),
    ],
)  # fmt: skip
def test_parse_build_step(line: str, expected: tuple[int, int, str]) -> None:
    step = parse_build_step(line)
    assert step is not None
    assert (step.number, step.total, step.instruction) == expected


@pytest.mark.parametrize(
    "line", ["--> Using cache 707840f331a9", "Collecting uv==0.13.9", "#7 DONE 0.3s", ""]
)
def test_other_build_lines_are_not_steps(line: str) -> None:
    assert parse_build_step(line) is None


def test_engine_choice_prefers_flag_then_spec_then_podman() -> None:
    both = {"podman": True, "docker": True}
    assert choose_engine("docker", "podman", both).program == "docker"
    assert choose_engine(None, "docker", both).reason == "chosen by the spec's `engine`"
    assert choose_engine(None, "auto", both).program == "podman"
    assert choose_engine(None, "auto", {"podman": False, "docker": True}).program == "docker"


def test_missing_engine_points_to_setup() -> None:
    with pytest.raises(DlenvError) as caught:
        choose_engine(None, "auto", {"podman": False, "docker": False})
    assert "dlenv setup --only engine" in (caught.value.hint or "")
    with pytest.raises(DlenvError) as caught:
        choose_engine("docker", "auto", {"podman": True, "docker": False})
    assert "docker was asked for by --engine but is not installed" in caught.value.message


def test_unknown_engine_is_bad_input() -> None:
    with pytest.raises(UsageError):
        choose_engine("lxc", "auto", {"podman": True})


def test_mount_option_is_one_csv_record_as_docker_reads_it() -> None:
    assert Mount("demo-workspace", "/home/dev/workspace").mount_option() == (
        "type=volume,source=demo-workspace,target=/home/dev/workspace"
    )
    assert Mount("/state/token", "/etc/dlenv/secrets/t", read_only=True).mount_option() == (
        "type=bind,source=/state/token,target=/etc/dlenv/secrets/t,readonly"
    )
    # A comma in a path stays inside its field (docker/cli opts/mount.go reads a CSV record).
    assert Mount("/a,b/token", "/t").mount_option() == 'type=bind,"source=/a,b/token",target=/t'
