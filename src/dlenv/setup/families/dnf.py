"""Steps shared by the dnf families (Fedora, RHEL and rebuilds, Amazon Linux 2023)."""

from __future__ import annotations

import shlex

from dlenv.setup import common
from dlenv.setup import sources as src
from dlenv.setup.context import Context
from dlenv.setup.plan import Component, Step
from dlenv.setup.shell import (
    import_rpm_key,
    none_installed_rpm,
    pin_repo_key,
    repo_key_pinned,
    rpm_installed,
    rpm_remove_installed,
)

INITRAMFS = "dracut --force"


def add_repo(url: str, *, dnf5: bool) -> str:
    """DNF5 (Fedora 41+) renamed the config-manager verbs; DNF4 needs dnf-plugins-core for it."""
    if dnf5:
        return f"dnf config-manager addrepo --overwrite --from-repofile={shlex.quote(url)}"
    return f"dnf -y install dnf-plugins-core && dnf config-manager --add-repo {shlex.quote(url)}"


def repo_file(url: str) -> str:
    """Where `dnf config-manager` (DNF4 --add-repo, DNF5 addrepo --from-repofile) saves a repo
    file: /etc/yum.repos.d/ and the file's own name."""
    return "/etc/yum.repos.d/" + url.rsplit("/", 1)[-1]


def pinned_repo(
    url: str, *, key_url: str, fingerprint: str, what: str, key: str, dnf5: bool
) -> tuple[str, ...]:
    """Import the checked key first, then add the repository and point its gpgkey= at that key,
    so dnf neither downloads nor auto-imports another one on first use."""
    return (
        *import_rpm_key(key_url, fingerprint, what, key),
        add_repo(url, dnf5=dnf5),
        pin_repo_key(repo_file(url), key),
    )


def cuda_repo(url: str) -> tuple[str, ...]:
    """NVIDIA's CUDA repository (RHEL, Amazon Linux) with its pinned D42D0685 key, which NVIDIA
    publishes beside the repo file."""
    return pinned_repo(
        url,
        key_url=url.rsplit("/", 1)[0] + "/" + src.CUDA_RPM_KEY_FILE,
        fingerprint=src.CUDA_RPM_KEY_FINGERPRINT,
        what="NVIDIA CUDA repository",
        key=src.CUDA_RPM_KEY,
        dnf5=False,
    )


def toolkit(ctx: Context) -> list[Step]:
    return [
        Step(
            id="toolkit.repo",
            component=Component.TOOLKIT,
            reason="NVIDIA's libnvidia-container repository, trusted only with its pinned key",
            check=repo_key_pinned(src.TOOLKIT_RPM_REPO, src.TOOLKIT_RPM_KEY),
            commands=(
                *import_rpm_key(
                    src.TOOLKIT_GPG_KEY,
                    src.TOOLKIT_KEY_FINGERPRINT,
                    "NVIDIA Container Toolkit",
                    src.TOOLKIT_RPM_KEY,
                ),
                f"curl -fsSL {shlex.quote(src.TOOLKIT_RPM_REPO_URL)}"
                f" -o {shlex.quote(src.TOOLKIT_RPM_REPO)}",
                pin_repo_key(src.TOOLKIT_RPM_REPO, src.TOOLKIT_RPM_KEY),
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
            reason="Docker's own rpm repository, trusted only with its pinned key",
            check=repo_key_pinned(src.DOCKER_RPM_REPO, src.DOCKER_RPM_KEY),
            commands=pinned_repo(
                repo_url,
                key_url=repo_url.rsplit("/", 1)[0] + "/gpg",
                fingerprint=src.DOCKER_RPM_KEY_FINGERPRINT,
                what="Docker",
                key=src.DOCKER_RPM_KEY,
                dnf5=dnf5,
            ),
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
