"""Amazon Linux 2023: NVIDIA's amzn2023 CUDA repository (DKMS), Docker from Amazon's own archive.

Sources: NVIDIA driver installation guide (amazon-linux.html, kernel-modules.html); AL2023 user
guide, "Docker" (https://docs.aws.amazon.com/linux/al2023/ug/docker.html); NVIDIA Container
Toolkit install guide ("With dnf: RHEL/CentOS, Fedora, Amazon Linux").
"""

from __future__ import annotations

import shlex

from dlenv.setup import common
from dlenv.setup import sources as src
from dlenv.setup.context import Context
from dlenv.setup.families import dnf
from dlenv.setup.plan import After, Component, Engine, Step
from dlenv.setup.shell import repo_key_pinned, rpm_installed

SUPPORTED_VERSION = "2023"


def unsupported(ctx: Context) -> str | None:
    if ctx.distro.os.version_id != SUPPORTED_VERSION:
        return "only Amazon Linux 2023 is planned (Amazon Linux 2 is nearing end of support)"
    if ctx.options.engine is Engine.PODMAN:
        return "Amazon Linux 2023 ships no Podman package; use --engine docker"
    if ctx.options.rootless:
        return "Amazon's docker package has no rootless setup tool; drop --rootless"
    return None


def driver(ctx: Context) -> list[Step]:
    repo = f"{src.CUDA_REPO_BASE}/amzn2023/{ctx.cuda_arch}/cuda-amzn2023.repo"
    package = src.OPEN_DRIVER_PACKAGE if ctx.open_modules else src.PROPRIETARY_DRIVER_PACKAGE
    stream = src.DNF_MODULE_OPEN if ctx.open_modules else src.DNF_MODULE_PROPRIETARY
    return [
        Step(
            id="driver.repo",
            component=Component.DRIVER,
            reason="NVIDIA's CUDA repository for Amazon Linux 2023 carries the driver",
            check=repo_key_pinned(dnf.repo_file(repo), src.CUDA_RPM_KEY),
            commands=dnf.cuda_repo(repo),
        ),
        Step(
            id="driver.install",
            component=Component.DRIVER,
            reason=common.driver_install_reason(
                ctx, ", built by DKMS; the kernel's extra modules are a dependency"
            ),
            check=rpm_installed(package),
            commands=(
                'dnf install -y "kernel-devel-$(uname -r)" "kernel-headers-$(uname -r)"'
                ' "kernel-modules-extra-$(uname -r)"',
                f"dnf module enable -y {shlex.quote(stream)}",
                f"dnf install -y {shlex.quote(package)}",
            ),
            after=After.REBOOT,
        ),
        *common.mok_enroll(ctx, src.DKMS_MOK_KEY),
        common.nouveau(dnf.INITRAMFS),
        common.driver_loaded(),
    ]


def toolkit(ctx: Context) -> list[Step]:
    return dnf.toolkit(ctx)


def engine(ctx: Context) -> list[Step]:
    return [
        Step(
            id="engine.docker-install",
            component=Component.ENGINE,
            reason="Docker from Amazon Linux's own repository (Docker CE has no AL2023 build)",
            check=rpm_installed(src.DISTRO_DOCKER_PACKAGE),
            commands=(f"dnf install -y {shlex.quote(src.DISTRO_DOCKER_PACKAGE)}",),
        ),
        *common.docker_service(ctx),
    ]
