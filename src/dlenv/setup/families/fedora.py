"""Fedora: the driver from RPM Fusion (akmods), DNF5 from Fedora 41, Docker CE's Fedora repo.

Sources: https://rpmfusion.org/Configuration, https://rpmfusion.org/Howto/NVIDIA,
https://rpmfusion.org/Howto/Secure%20Boot, docs.docker.com/engine/install/fedora/,
NVIDIA Container Toolkit install guide ("With dnf"). Fedora 41 made DNF5 the default
(https://fedoraproject.org/wiki/Changes/SwitchToDnf5).
"""

from __future__ import annotations

from dlenv.setup import common
from dlenv.setup import sources as src
from dlenv.setup.context import Context
from dlenv.setup.families import dnf
from dlenv.setup.plan import After, Component, Engine, Step
from dlenv.setup.shell import rpm_installed

FIRST_DNF5_RELEASE = 41


def unsupported(ctx: Context) -> str | None:
    if ctx.distro.major_version is None:
        return "its os-release has no VERSION_ID"
    return None


def _dnf5(ctx: Context) -> bool:
    return (ctx.distro.major_version or 0) >= FIRST_DNF5_RELEASE


def driver(ctx: Context) -> list[Step]:
    # DNF5 renamed "mark install" to "mark user"; either keeps autoremove off the driver.
    mark = "dnf mark user akmod-nvidia" if _dnf5(ctx) else "dnf mark install akmod-nvidia"
    steps = [
        Step(
            id="driver.rpmfusion",
            component=Component.DRIVER,
            reason="Fedora ships no NVIDIA driver; RPM Fusion free + nonfree carry akmod-nvidia",
            check=rpm_installed("rpmfusion-free-release", "rpmfusion-nonfree-release"),
            commands=(f'dnf install -y "{src.RPMFUSION_FREE}" "{src.RPMFUSION_NONFREE}"',),
        ),
    ]
    if ctx.host.secure_boot is not False:
        steps.append(
            Step(
                id="driver.mok-key",
                component=Component.DRIVER,
                reason="akmods signs the modules it builds with a local key, made here",
                check=f"test -e {src.AKMODS_MOK_KEY}",
                commands=(
                    "dnf install -y " + " ".join(src.FEDORA_SECURE_BOOT_PACKAGES),
                    "kmodgenca -a",
                ),
            )
        )
        # RPM Fusion's order: enrol the key (and reboot) before the first module build.
        steps += common.mok_enroll(ctx, src.AKMODS_MOK_KEY)
    steps += [
        Step(
            id="driver.install",
            component=Component.DRIVER,
            reason="akmod-nvidia builds the module for each kernel (RPM Fusion picks open or "
            "proprietary for the GPU); xorg-x11-drv-nvidia-cuda brings nvidia-smi and CUDA libs",
            check=rpm_installed(*src.FEDORA_DRIVER_PACKAGES),
            commands=(
                "dnf install -y " + " ".join(src.FEDORA_DRIVER_PACKAGES),
                mark,
                # Build now rather than in the background, so the reboot finds the module ready.
                "akmods --force",
            ),
            after=After.REBOOT,
        ),
        common.nouveau(dnf.INITRAMFS),
        common.driver_loaded(),
    ]
    return steps


def toolkit(ctx: Context) -> list[Step]:
    return dnf.toolkit(ctx)


def engine(ctx: Context) -> list[Step]:
    if ctx.options.engine is Engine.PODMAN:
        return dnf.podman()
    return dnf.docker_ce(
        ctx,
        repo_url=f"{src.DOCKER_BASE}/fedora/docker-ce.repo",
        conflicts=src.DOCKER_CONFLICTS_FEDORA,
        dnf5=_dnf5(ctx),
    )
