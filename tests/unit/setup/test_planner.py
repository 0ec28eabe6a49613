"""Planning decisions that depend on host facts and options."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.context import invoking_user
from dlenv.errors import UsageError
from dlenv.host.os_release import read_os_release
from dlenv.setup import sources as src
from dlenv.setup.context import SetupOptions
from dlenv.setup.host_state import HostState, read_host_state
from dlenv.setup.plan import Component, Engine, Plan
from dlenv.setup.planner import UnsupportedHost, build_plan

FIXTURES = Path(__file__).parents[2] / "fixtures" / "os-release"


def _host(name: str, gpus: tuple[int, ...] = (), secure_boot: bool | None = None) -> HostState:
    return HostState(read_os_release(FIXTURES / name), "x86_64", gpus, secure_boot)


def _commands(plan: Plan) -> str:
    return "\n".join(c for s in plan.steps for c in s.commands)


def test_pre_turing_gpu_gets_proprietary_modules() -> None:
    volta = 0x1DB1  # Tesla V100
    plan = build_plan(_host("ubuntu-24.04", gpus=(volta,)), SetupOptions())
    assert "apt-get install -y cuda-drivers" in _commands(plan)
    assert "nvidia-open" not in _commands(plan)


def test_turing_and_newer_get_open_modules() -> None:
    plan = build_plan(_host("rocky-9.5", gpus=(0x2330,)), SetupOptions())  # H100
    assert "dnf module enable -y nvidia-driver:open-dkms" in _commands(plan)
    assert "dnf install -y nvidia-open" in _commands(plan)


def test_secure_boot_off_skips_key_enrolment() -> None:
    ids = [s.id for s in build_plan(_host("fedora-41", secure_boot=False), SetupOptions()).steps]
    assert "driver.mok-enroll" not in ids and "driver.mok-key" not in ids
    ids = [s.id for s in build_plan(_host("fedora-41", secure_boot=True), SetupOptions()).steps]
    # RPM Fusion order: make the key, enrol it, then build the module.
    order = [ids.index(i) for i in ("driver.mok-key", "driver.mok-enroll", "driver.install")]
    assert order == sorted(order)


def test_dnf5_and_dnf4_syntax() -> None:
    docker = SetupOptions(engine=Engine.DOCKER)
    f41 = _commands(build_plan(_host("fedora-41"), docker))
    f40 = _commands(build_plan(_host("fedora-40"), docker))
    assert "dnf config-manager addrepo --overwrite --from-repofile=" in f41
    assert "dnf mark user akmod-nvidia" in f41
    assert f"dnf config-manager --add-repo {src.DOCKER_BASE}/fedora/" in f40
    assert "dnf mark install akmod-nvidia" in f40


def test_derivative_uses_ubuntu_base_codename() -> None:
    plan = build_plan(_host("pop-22.04"), SetupOptions(engine=Engine.DOCKER))
    assert f'{src.DOCKER_BASE}/ubuntu" jammy stable' in _commands(plan)
    assert "/repos/ubuntu2204/x86_64/cuda-keyring" in _commands(plan)


def test_only_keeps_run_order_and_selection() -> None:
    options = SetupOptions(components=(Component.ENGINE, Component.TOOLKIT))
    plan = build_plan(_host("debian-12"), options)
    assert {s.component for s in plan.steps} == {Component.TOOLKIT, Component.ENGINE}
    assert [s.component for s in plan.steps] == sorted(
        (s.component for s in plan.steps), key=list(Component).index
    )


def test_rootless_docker_uses_user_config_and_no_cgroups() -> None:
    plan = build_plan(_host("ubuntu-24.04"), SetupOptions(engine=Engine.DOCKER, rootless=True))
    by_id = {s.id: s for s in plan.steps}
    assert "engine.docker-group" not in by_id
    assert not by_id["engine.docker-rootless"].needs_root
    assert '--config="$HOME/.config/docker/daemon.json"' in _commands(plan)
    assert "nvidia-container-cli.no-cgroups --in-place" in _commands(plan)
    assert "docker-ce-rootless-extras" in _commands(plan)


def test_rootful_docker_adds_user_to_group_and_flags_relogin() -> None:
    plan = build_plan(_host("rhel-9.2"), SetupOptions(engine=Engine.DOCKER, user="ana"))
    group = next(s for s in plan.steps if s.id == "engine.docker-group")
    assert group.commands[-1] == "usermod -aG docker ana"
    assert group.after.value == "relogin"
    assert f"{src.DOCKER_BASE}/rhel/docker-ce.repo" in _commands(plan)


# Every family that installs Docker (Amazon Linux has Docker only; Podman needs no group).
DOCKER_HOSTS = [
    "ubuntu-22.04",
    "ubuntu-24.04",
    "pop-22.04",
    "debian-12",
    "fedora-40",
    "fedora-41",
    "rhel-9.2",
    "rocky-9.5",
    "opensuse-leap-15.6",
    "opensuse-tumbleweed",
    "sles-15-sp2",
    "amzn-2023",
]


@pytest.mark.parametrize("name", DOCKER_HOSTS)
def test_docker_gives_the_invoking_user_the_docker_group(name: str) -> None:
    # Docker's post-installation steps: create group docker if missing, add the user, and the
    # membership applies from the next login; the group comes before the daemon starts, which
    # hands its socket to the group.
    plan = build_plan(_host(name), SetupOptions(engine=Engine.DOCKER, user="alice"))
    ids = [s.id for s in plan.steps]
    group = plan.steps[ids.index("engine.docker-group")]
    assert group.commands == (
        "getent group docker >/dev/null || groupadd docker",
        "usermod -aG docker alice",
    )
    assert group.check == "id -nG alice | tr ' ' '\\n' | grep -qx docker"
    assert group.after.value == "relogin" and group.needs_root
    assert ids.index("engine.docker-group") < ids.index("engine.docker-service")
    note = next(n for n in plan.notes if "engine.docker-group" in n)
    assert "https://docs.docker.com/engine/install/linux-postinstall/" in note
    assert "root-equivalent" in note and "grants root-level privileges" in note
    assert "next login" in note and "newgrp docker" in note
    assert "--rootless" in note


@pytest.mark.parametrize("name", ["ubuntu-24.04", "fedora-41"])
def test_root_gets_no_docker_group_but_a_note(name: str) -> None:
    plan = build_plan(_host(name), SetupOptions(engine=Engine.DOCKER, user="root"))
    assert "engine.docker-group" not in [s.id for s in plan.steps]
    assert "usermod" not in _commands(plan)
    note = next(n for n in plan.notes if "engine.docker-group" in n)
    assert "skipped: the invoking user is root" in note and "--rootless" in note


def test_podman_and_rootless_docker_plan_no_docker_group() -> None:
    for options in (
        SetupOptions(engine=Engine.PODMAN, user="alice"),
        SetupOptions(engine=Engine.DOCKER, rootless=True, user="alice"),
    ):
        plan = build_plan(_host("ubuntu-24.04"), options)
        assert "engine.docker-group" not in [s.id for s in plan.steps]
        assert not any("engine.docker-group" in n for n in plan.notes)


@pytest.mark.parametrize(
    "user", ["a b", "$(reboot)", "alice;id", "Alice", "-rf", "1abc", "a" * 33, "al'ice"]
)
def test_a_user_name_outside_the_strict_pattern_never_reaches_a_script(user: str) -> None:
    with pytest.raises(UsageError, match="not one dlenv puts in a setup script"):
        build_plan(_host("ubuntu-24.04"), SetupOptions(engine=Engine.DOCKER, user=user))


def test_a_samba_style_name_is_quoted_with_shlex() -> None:
    plan = build_plan(_host("debian-12"), SetupOptions(engine=Engine.DOCKER, user="host1$"))
    assert "usermod -aG docker 'host1$'" in _commands(plan)


@pytest.mark.parametrize(
    ("environ", "euid", "expected"),
    [
        ({"SUDO_USER": "alice", "USER": "root"}, 0, "alice"),  # sudo dlenv setup
        ({"USER": "root"}, 0, "root"),  # a root shell
        ({"USER": "bob"}, 1000, "bob"),  # dlenv setup as bob (it uses sudo itself)
        ({"SUDO_USER": "alice", "USER": "bob"}, 1000, "bob"),  # sudo -u bob: bob uses it
    ],
)
def test_invoking_user(environ: dict[str, str], euid: int, expected: str) -> None:
    names = {0: "root", 1000: "bob"}
    assert invoking_user(environ, euid, names.get) == expected


def test_every_step_that_edits_a_config_backs_it_up_first() -> None:
    plan = build_plan(_host("ubuntu-22.04"), SetupOptions(engine=Engine.DOCKER))
    step = next(s for s in plan.steps if s.id == "runtime.docker-nvidia")
    assert step.commands[0].startswith("if [ -e /etc/docker/daemon.json ]")
    assert "daemon.json.dlenv-backup" in step.commands[0]


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("archlinux", SetupOptions(), "does not support Arch Linux yet (ID=arch"),
        ("amzn-2023", SetupOptions(engine=Engine.PODMAN), "ships no Podman package"),
        ("sles-15-sp2", SetupOptions(engine=Engine.DOCKER, rootless=True), "no rootless"),
    ],
)
def test_unsupported_is_a_clear_error(name: str, options: SetupOptions, expected: str) -> None:
    with pytest.raises(UnsupportedHost) as raised:
        build_plan(_host(name), options)
    assert expected in raised.value.message
    assert raised.value.hint and "by hand" in raised.value.hint


def test_missing_os_release(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedHost, match="no etc/os-release"):
        build_plan(read_host_state(tmp_path), SetupOptions())


def test_host_state_reads_gpus_and_secure_boot(tmp_path: Path) -> None:
    # Shapes as in sysfs: vendor/device/class files hold 0x-prefixed hex; the EFI variable has
    # 4 attribute bytes then the value.
    dev = tmp_path / "sys/bus/pci/devices/0000:01:00.0"
    dev.mkdir(parents=True)
    (dev / "vendor").write_text("0x10de\n")
    (dev / "device").write_text("0x1db1\n")
    (dev / "class").write_text("0x030200\n")
    audio = tmp_path / "sys/bus/pci/devices/0000:01:00.1"
    audio.mkdir()
    (audio / "vendor").write_text("0x10de\n")
    (audio / "device").write_text("0x10f0\n")
    (audio / "class").write_text("0x040300\n")
    efi = tmp_path / "sys/firmware/efi/efivars"
    efi.mkdir(parents=True)
    # The name as in a real efivars listing (tests/fixtures/captured/efivars).
    (efi / "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c").write_bytes(b"\x06\x00\x00\x00\x01")
    state = read_host_state(tmp_path)
    assert state.gpu_device_ids == (0x1DB1,)
    assert state.pre_turing_gpu
    assert state.secure_boot is True


def test_blackwell_gets_open_modules_and_the_plan_names_its_minimum_driver() -> None:
    rtx_5090 = 0x2B85
    plan = build_plan(_host("ubuntu-24.04", gpus=(rtx_5090,)), SetupOptions())
    assert "apt-get install -y nvidia-open" in _commands(plan)
    install = next(s for s in plan.steps if s.id == "driver.install")
    assert "runs only with them" in install.reason
    assert "R570 or newer (>= 570.86.16)" in install.reason
    assert any("NVIDIA driver R570 or newer" in note for note in plan.notes)


def test_blackwell_beside_a_pre_turing_gpu_still_gets_open_modules() -> None:
    plan = build_plan(_host("ubuntu-24.04", gpus=(0x1DB1, 0x2B85)), SetupOptions())  # V100 + 5090
    assert "apt-get install -y nvidia-open" in _commands(plan)
    assert any("no one driver flavour serves both" in note for note in plan.notes)
