"""Steps shared by the dnf families (Fedora, RHEL and rebuilds, Amazon Linux 2023)."""

from __future__ import annotations

import shlex

from dlenv.setup import common
from dlenv.setup import sources as src
from dlenv.setup.context import Context
from dlenv.setup.plan import Component, Step
from dlenv.setup.shell import none_installed_rpm, rpm_installed, rpm_remove_installed

INITRAMFS = "dracut --force"


def add_repo(url: str, *, dnf5: bool) -> str:
    """DNF5 (Fedora 41+) renamed the config-manager verbs; DNF4 needs dnf-plugins-core for it."""
    if dnf5:
        return f"dnf config-manager addrepo --overwrite --from-repofile={shlex.quote(url)}"
    return f"dnf -y install dnf-plugins-core && dnf config-manager --add-repo {shlex.quote(url)}"


def toolkit(ctx: Context) -> list[Step]:
    return [
        Step(
            id="toolkit.repo",
            component=Component.TOOLKIT,
            reason="NVIDIA's libnvidia-container repository",
            check="test -s /etc/yum.repos.d/nvidia-container-toolkit.repo",
            commands=(
                f"curl -fsSL {shlex.quote(src.TOOLKIT_RPM_REPO_URL)}"
                " -o /etc/yum.repos.d/nvidia-container-toolkit.repo",
            ),
        ),
        Step(
            id="toolkit.install",
            component=Component.TOOLKIT,
            reason="nvidia-ctk and the container runtime hook (CDI and Docker both use them)",
            check=rpm_installed(src.TOOLKIT_PACKAGE),
            commands=(f"dnf install -y {shlex.quote(src.TOOLKIT_PACKAGE)}",),
        ),
    ]


def podman() -> list[Step]:
    return [
        Step(
            id="engine.podman",
            component=Component.ENGINE,
            reason="Podman from the distribution's own repositories: daemonless, rootless",
            check=rpm_installed("podman"),
            commands=("dnf install -y podman",),
        )
    ]


def docker_ce(ctx: Context, *, repo_url: str, conflicts: tuple[str, ...], dnf5: bool) -> list[Step]:
    rootless = (src.DOCKER_ROOTLESS_PACKAGE,) if ctx.options.rootless else ()
    packages = src.DOCKER_PACKAGES + rootless
    return [
        Step(
            id="engine.docker-conflicts",
            component=Component.ENGINE,
            reason="distribution Docker/Podman/runc packages conflict with Docker CE's",
            check=none_installed_rpm(conflicts),
            commands=(rpm_remove_installed(conflicts, "dnf remove -y"),),
        ),
        Step(
            id="engine.docker-repo",
            component=Component.ENGINE,
            reason="Docker's own rpm repository",
            check=f"test -s {shlex.quote(src.DOCKER_RPM_REPO)}",
            commands=(add_repo(repo_url, dnf5=dnf5),),
        ),
        Step(
            id="engine.docker-install",
            component=Component.ENGINE,
            reason="Docker Engine, CLI, containerd and the buildx/compose plugins",
            check=rpm_installed(*packages),
            commands=("dnf install -y " + " ".join(map(shlex.quote, packages)),),
        ),
        *common.docker_service(ctx),
    ]
