"""Host facts + options -> Plan. Pure: the same inputs always give the same plan."""

from __future__ import annotations

from dlenv.errors import DlenvError
from dlenv.host.os_release import Distro, Family, check_setup_values, detect_family
from dlenv.knowledge.drivers import branch
from dlenv.setup import common
from dlenv.setup import sources as src
from dlenv.setup.context import Context, SetupOptions
from dlenv.setup.families import REGISTRY
from dlenv.setup.host_state import HostState, check_arch
from dlenv.setup.plan import Component, Engine, Plan, Step, Target

MANUAL_STEPS = (
    "install the NVIDIA driver (open kernel modules for Turing and newer), the NVIDIA Container "
    "Toolkit, and Podman or Docker by hand, following "
    "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html; "
    "`dlenv doctor` then checks the result"
)


class UnsupportedHost(DlenvError):
    """This distro (or this combination of options on it) has no plan yet."""


def build_plan(host: HostState, options: SetupOptions) -> Plan:
    # host_state() checked these where it read them; a HostState made elsewhere is checked too,
    # since every value here may reach a root script.
    check_arch(host.arch)
    distro = _distro(host)
    ctx = Context(distro, host, options)
    family = REGISTRY[distro.family]
    reason = family.unsupported(ctx)
    if reason is not None:
        raise UnsupportedHost(
            f"dlenv setup does not support {distro.os.display_name} yet: {reason}",
            hint=MANUAL_STEPS,
        )
    builders = {
        Component.DRIVER: family.driver,
        Component.TOOLKIT: family.toolkit,
        Component.ENGINE: family.engine,
        Component.RUNTIME: common.runtime,
        Component.VERIFY: common.verify,
    }
    steps: list[Step] = []
    for component in Component:  # always in run order, whatever order --only listed them
        if component in options.components:
            steps += builders[component](ctx)
    return Plan(
        target=Target(
            distro=distro.os.display_name,
            family=distro.family.value,
            matched_by=distro.matched_by,
            version=distro.base_version,
            arch=host.arch,
        ),
        engine=options.engine,
        rootless=options.rootless,
        components=tuple(c for c in Component if c in options.components),
        steps=tuple(steps),
        notes=_notes(ctx),
    )


def _distro(host: HostState) -> Distro:
    if host.os_release is None:
        raise UnsupportedHost(
            "cannot tell which Linux distribution this is: no etc/os-release or usr/lib/os-release",
            hint="with --root, point at a directory holding the host's etc/os-release; "
            f"otherwise {MANUAL_STEPS}",
        )
    distro = detect_family(check_setup_values(host.os_release))
    if distro is None:
        like = " ".join(host.os_release.id_like) or "none"
        raise UnsupportedHost(
            f"dlenv setup does not support {host.os_release.display_name} yet "
            f"(ID={host.os_release.id}, ID_LIKE={like})",
            hint=f"supported: Ubuntu and derivatives, Debian, Fedora, RHEL/Rocky/AlmaLinux/"
            f"CentOS Stream/Oracle Linux, openSUSE/SLES, Amazon Linux 2023. Meanwhile, "
            f"{MANUAL_STEPS}",
        )
    return distro


def _notes(ctx: Context) -> tuple[str, ...]:
    notes: list[str] = []
    if Component.DRIVER in ctx.options.components:
        if not ctx.host.gpu_device_ids:
            notes.append("no NVIDIA GPU found under sys/bus/pci: planning the open kernel modules")
        elif ctx.host.pre_turing_gpu and ctx.open_only_gpu:
            notes.append(
                "a GPU predates Turing and another runs only with the open kernel modules: no "
                "one driver flavour serves both; planning the open modules"
            )
        elif ctx.host.pre_turing_gpu:
            notes.append("a GPU predates Turing: planning the proprietary kernel modules")
        if ctx.first_driver:
            notes.append(
                f"the GPUs here need NVIDIA driver {branch(ctx.first_driver)} or newer "
                f"(>= {ctx.first_driver}); an older installed driver does not see them"
            )
        if ctx.host.secure_boot is None:
            notes.append("Secure Boot state unknown: the key enrolment step checks it when run")
    notes += _docker_group_notes(ctx)
    notes += _unpinned_key_notes(ctx)
    return tuple(notes)


def _unpinned_key_notes(ctx: Context) -> list[str]:
    """Repository keys trusted without a pinned fingerprint (src: no source states one)."""
    if Component.DRIVER not in ctx.options.components:
        return []
    if ctx.distro.family is Family.FEDORA:
        return [
            "RPM Fusion's signing keys come in its release packages, fetched over HTTPS, and dnf "
            "imports them on first use: they change with every Fedora release and dlenv pins "
            "no fingerprint for them; compare the ones dnf shows with https://rpmfusion.org/keys"
        ]
    if ctx.distro.os.id == "opensuse-tumbleweed":
        return [
            "the key of NVIDIA's openSUSE driver repository has no pinned fingerprint: "
            "driver.repo lets zypper show it and asks you, rather than importing it unseen"
        ]
    return []


def _docker_group_notes(ctx: Context) -> list[str]:
    """What the docker group means, or why no one is added to it (src.DOCKER_POSTINSTALL_GUIDE)."""
    options = ctx.options
    if (
        options.engine is not Engine.DOCKER
        or options.rootless
        or Component.ENGINE not in options.components
    ):
        return []
    rootless = (
        "`dlenv setup --engine docker --rootless`, run as that user: rootless Docker needs no "
        f"group ({src.DOCKER_ROOTLESS_GUIDE})"
    )
    login = ctx.login
    if login is None:
        who = (
            "the invoking user is root, who reaches the Docker socket without it"
            if options.user == "root"
            else "no invoking user is known"
        )
        return [
            f"engine.docker-group skipped: {who}. To let a user run docker without sudo, "
            f"pass --user NAME (group {src.DOCKER_GROUP} is root-equivalent), or use {rootless}"
        ]
    return [
        f"engine.docker-group adds {login} to group {src.DOCKER_GROUP}, as Docker's "
        f"post-installation steps do ({src.DOCKER_POSTINSTALL_GUIDE}). The group is "
        f'root-equivalent; Docker warns: "{src.DOCKER_GROUP_WARNING}" It applies from '
        f"{login}'s next login (or in a shell started with `newgrp {src.DOCKER_GROUP}`). "
        f"The alternative is {rootless}"
    ]
