"""Ubuntu (and derivatives, keyed by the Ubuntu base) and Debian: apt, NVIDIA's CUDA repository
via its cuda-keyring package, Docker CE from download.docker.com.

Sources: NVIDIA driver installation guide, ubuntu.html / debian.html and kernel-modules.html;
NVIDIA Container Toolkit install guide ("With apt"); docs.docker.com/engine/install/{ubuntu,debian}.
"""

from __future__ import annotations

import shlex

from dlenv.host.os_release import Family
from dlenv.setup import common
from dlenv.setup import sources as src
from dlenv.setup.context import Context
from dlenv.setup.plan import After, Component, Engine, Step
from dlenv.setup.shell import (
    APT_UPDATE,
    MAKE_TMP,
    REMOVE_TMP,
    TMP,
    apt_install,
    apt_remove_installed,
    backup,
    dpkg_installed,
    fail,
    none_installed_dpkg,
    require_fingerprint,
    verified_key,
)

INITRAMFS = "update-initramfs -u"


def unsupported(ctx: Context) -> str | None:
    if not ctx.distro.codename or not ctx.distro.base_version:
        return "its os-release names no release codename or version to pick repositories by"
    return None


def _cuda_distro(ctx: Context) -> str:
    # ubuntu2404, debian12: the release number without dots, as NVIDIA names its repositories.
    name = "ubuntu" if ctx.distro.family is Family.UBUNTU else "debian"
    version = ctx.distro.base_version or ""
    return name + (version.replace(".", "") if name == "ubuntu" else version.split(".")[0])


def driver(ctx: Context) -> list[Step]:
    # Every part is a constant or a checked host value (VERSION_ID_PATTERN, host_state.ARCHES).
    repo = f"{src.CUDA_REPO_BASE}/{_cuda_distro(ctx)}/{ctx.cuda_arch}/{src.CUDA_KEYRING_DEB}"
    deb = f"{TMP}/{src.CUDA_KEYRING_DEB}"
    package = src.OPEN_DRIVER_PACKAGE if ctx.open_modules else src.PROPRIETARY_DRIVER_PACKAGE
    steps: list[Step] = []
    if ctx.distro.family is Family.DEBIAN:
        steps.append(
            Step(
                id="driver.contrib",
                component=Component.DRIVER,
                reason="the CUDA repository's driver packages depend on Debian's contrib section",
                check="grep -Eqrs '^[^#]*(deb .* contrib|Components:.*contrib)' "
                "/etc/apt/sources.list /etc/apt/sources.list.d/",
                commands=(
                    apt_install("software-properties-common"),
                    "add-apt-repository -y contrib",
                ),
            )
        )
    steps += [
        Step(
            id="driver.repo",
            component=Component.DRIVER,
            reason="NVIDIA's CUDA repository carries current drivers; cuda-keyring adds it "
            "with its signing key",
            check=dpkg_installed("cuda-keyring"),
            commands=(
                APT_UPDATE,
                apt_install("ca-certificates", "curl", "gnupg"),
                *MAKE_TMP,
                f"curl -fsSL -o {deb} {shlex.quote(repo)}",
                # Verify before dpkg runs anything of it: it must be cuda-keyring, and the
                # keyring it installs must hold NVIDIA's repository key and no other.
                f'test "$(dpkg-deb --field {deb} Package)" = {src.CUDA_KEYRING_PACKAGE} || '
                + fail(f"{src.CUDA_KEYRING_DEB} is not the {src.CUDA_KEYRING_PACKAGE} package"),
                f"dpkg-deb -x {deb} {TMP}/deb",
                require_fingerprint(
                    f"{TMP}/deb/{src.CUDA_ARCHIVE_KEYRING}",
                    src.CUDA_REPO_KEY_FINGERPRINT,
                    src.CUDA_KEYRING_DEB,
                ),
                f"dpkg -i {deb}",
                REMOVE_TMP,
            ),
        ),
        Step(
            id="driver.install",
            component=Component.DRIVER,
            reason=common.driver_install_reason(
                ctx, ", built by DKMS against the running kernel's headers"
            ),
            check=dpkg_installed(package),
            commands=(
                APT_UPDATE,
                apt_install('"linux-headers-$(uname -r)"'),
                apt_install(package),
            ),
            after=After.REBOOT,
        ),
        *common.mok_enroll(
            ctx, src.UBUNTU_MOK_KEY if ctx.distro.family is Family.UBUNTU else src.DKMS_MOK_KEY
        ),
        common.nouveau(INITRAMFS),
        common.driver_loaded(),
    ]
    return steps


def toolkit(ctx: Context) -> list[Step]:
    return [
        Step(
            id="toolkit.stale-lists",
            component=Component.TOOLKIT,
            reason="list files from older instructions name the same repository with another "
            "key and make apt fail with 'Conflicting values set for option Signed-By'",
            check=" && ".join(f"test ! -e {shlex.quote(path)}" for path in src.STALE_APT_LISTS),
            commands=tuple(
                cmd
                for path in src.STALE_APT_LISTS
                for cmd in (backup(path), f"rm -f {shlex.quote(path)}")
            ),
        ),
        Step(
            id="toolkit.repo",
            component=Component.TOOLKIT,
            reason="NVIDIA's libnvidia-container repository, signed by its own keyring",
            check=f"grep -qs 'signed-by={src.TOOLKIT_KEYRING}' {src.TOOLKIT_APT_LIST}",
            commands=(
                APT_UPDATE,
                apt_install("--no-install-recommends", "ca-certificates", "curl", "gnupg2"),
                *verified_key(
                    src.TOOLKIT_GPG_KEY, src.TOOLKIT_KEY_FINGERPRINT, "NVIDIA Container Toolkit"
                ),
                f"gpg --homedir {TMP} --batch --dearmor --yes -o {src.TOOLKIT_KEYRING} {TMP}/key",
                REMOVE_TMP,
                backup(src.TOOLKIT_APT_LIST),
                f"curl -fsSL {src.TOOLKIT_APT_LIST_URL}"
                f" | sed 's#deb https://#deb [signed-by={src.TOOLKIT_KEYRING}] https://#g'"
                f" > {src.TOOLKIT_APT_LIST}",
            ),
        ),
        Step(
            id="toolkit.install",
            component=Component.TOOLKIT,
            reason="nvidia-ctk and the container runtime hook (CDI and Docker both use them)",
            check=dpkg_installed(src.TOOLKIT_PACKAGE),
            commands=(APT_UPDATE, apt_install(src.TOOLKIT_PACKAGE)),
        ),
    ]


def engine(ctx: Context) -> list[Step]:
    if ctx.options.engine is Engine.PODMAN:
        return [
            Step(
                id="engine.podman",
                component=Component.ENGINE,
                reason="Podman from the distribution's own archive: daemonless, rootless",
                check=dpkg_installed("podman"),
                commands=(APT_UPDATE, apt_install("podman")),
            )
        ]
    name = "ubuntu" if ctx.distro.family is Family.UBUNTU else "debian"
    conflicts = (
        src.DOCKER_CONFLICTS_UBUNTU
        if ctx.distro.family is Family.UBUNTU
        else src.DOCKER_CONFLICTS_DEBIAN
    )
    rootless = (src.DOCKER_ROOTLESS_PACKAGE, "uidmap") if ctx.options.rootless else ()
    packages = src.DOCKER_PACKAGES + rootless
    return [
        Step(
            id="engine.docker-conflicts",
            component=Component.ENGINE,
            reason="distribution Docker/containerd packages conflict with Docker CE's",
            check=none_installed_dpkg(conflicts),
            commands=(apt_remove_installed(conflicts),),
        ),
        Step(
            id="engine.docker-repo",
            component=Component.ENGINE,
            reason="Docker's own apt repository, pinned to its key",
            check=f"test -s {src.DOCKER_APT_KEY} && grep -qs download.docker.com "
            f"{src.DOCKER_APT_LIST}",
            commands=(
                APT_UPDATE,
                apt_install("ca-certificates", "curl", "gnupg"),
                "install -m 0755 -d /etc/apt/keyrings",
                *verified_key(
                    f"{src.DOCKER_BASE}/{name}/gpg", src.DOCKER_APT_KEY_FINGERPRINT, "Docker"
                ),
                f"install -m 0644 {TMP}/key {src.DOCKER_APT_KEY}",
                REMOVE_TMP,
                # The codename is a host value: checked against CODENAME_PATTERN where it was
                # read, and quoted here as its own word, outside the double quotes.
                f'echo "deb [arch=$(dpkg --print-architecture) signed-by={src.DOCKER_APT_KEY}]'
                f' {src.DOCKER_BASE}/{name}" {shlex.quote(ctx.distro.codename or "")} stable'
                f" > {src.DOCKER_APT_LIST}",
            ),
        ),
        Step(
            id="engine.docker-install",
            component=Component.ENGINE,
            reason="Docker Engine, CLI, containerd and the buildx/compose plugins",
            check=dpkg_installed(*packages),
            commands=(APT_UPDATE, apt_install(*packages)),
        ),
        *common.docker_service(ctx),
    ]
