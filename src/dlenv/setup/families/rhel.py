"""RHEL and its rebuilds (Rocky, AlmaLinux, CentOS Stream, Oracle Linux): NVIDIA's CUDA repository
for the driver (DKMS from EPEL), Docker CE's rhel or centos repository.

Sources: NVIDIA driver installation guide (rhel.html, rocky.html, oracle-linux.html,
kernel-modules.html); docs.docker.com/engine/install/{rhel,centos}/; NVIDIA Container Toolkit
install guide ("With dnf").
"""

from __future__ import annotations

import shlex

from dlenv.setup import common
from dlenv.setup import sources as src
from dlenv.setup.context import Context
from dlenv.setup.families import dnf
from dlenv.setup.plan import After, Component, Engine, Step
from dlenv.setup.shell import repo_key_pinned, rpm_installed

OLDEST_MAJOR = 8
# From EL10 the driver is no longer packaged as a dnf module stream (kernel-modules.html).
LAST_MODULAR_MAJOR = 9


def unsupported(ctx: Context) -> str | None:
    major = ctx.distro.major_version
    if major is None:
        return "its os-release has no VERSION_ID"
    if major < OLDEST_MAJOR:
        return f"release {major} is past its end of life and NVIDIA no longer builds for it"
    return None


def _epel(ctx: Context, major: int) -> Step:
    # CRB/EPEL commands and repository names: the "Preparation" sections of the driver guide's
    # rhel.html, rocky.html and oracle-linux.html.
    distro_id = ctx.distro.os.id
    if distro_id == "rhel":
        crb = (
            f'subscription-manager repos --enable "codeready-builder-for-rhel-{major}-$(arch)-rpms"'
        )
        epel = "dnf install -y " + src.EPEL_RELEASE_RPM.format(major=major)
        package = "epel-release"
    elif distro_id == "ol":
        crb = f"dnf config-manager --set-enabled ol{int(major)}_codeready_builder"
        package = f"oracle-epel-release-el{major}"
        epel = f"dnf install -y {shlex.quote(package)}"
    else:
        # Rocky, AlmaLinux, CentOS Stream (and unknown rebuilds): CRB, called PowerTools on EL8.
        crb = "dnf config-manager --set-enabled " + ("powertools" if major == 8 else "crb")
        package = "epel-release"
        epel = f"dnf install -y {shlex.quote(package)}"
    return Step(
        id="driver.epel",
        component=Component.DRIVER,
        reason="DKMS, which builds the NVIDIA module for each kernel, comes from EPEL (which "
        "needs CodeReady Builder)",
        check=rpm_installed(package),
        commands=("dnf -y install dnf-plugins-core", crb, epel),
    )


def driver(ctx: Context) -> list[Step]:
    major = ctx.distro.major_version or OLDEST_MAJOR
    repo = f"{src.CUDA_REPO_BASE}/rhel{major}/{ctx.cuda_arch}/cuda-rhel{major}.repo"
    # Preparation, step 2 of rhel.html / rocky.html / oracle-linux.html: kernel-devel-matched on
    # EL9+, kernel-devel-$(uname -r) on EL8.
    headers = (
        "dnf install -y kernel-devel-matched kernel-headers"
        if major >= 9
        else 'dnf install -y "kernel-devel-$(uname -r)" kernel-headers'
    )
    package = src.OPEN_DRIVER_PACKAGE if ctx.open_modules else src.PROPRIETARY_DRIVER_PACKAGE
    stream = src.DNF_MODULE_OPEN if ctx.open_modules else src.DNF_MODULE_PROPRIETARY
    install: tuple[str, ...] = (headers,)
    if major <= LAST_MODULAR_MAJOR:
        install += (f"dnf module enable -y {shlex.quote(stream)}",)
    install += (f"dnf install -y {shlex.quote(package)}",)
    return [
        _epel(ctx, major),
        Step(
            id="driver.repo",
            component=Component.DRIVER,
            reason="NVIDIA's CUDA repository for this release carries the driver; trusted "
            "only with its pinned key",
            check=repo_key_pinned(dnf.repo_file(repo), src.CUDA_RPM_KEY),
            commands=dnf.cuda_repo(repo),
        ),
        Step(
            id="driver.install",
            component=Component.DRIVER,
            reason=common.driver_install_reason(
                ctx, ", built by DKMS against the running kernel's headers"
            ),
            check=rpm_installed(package),
            commands=install,
            after=After.REBOOT,
        ),
        *common.mok_enroll(ctx, src.DKMS_MOK_KEY),
        common.nouveau(dnf.INITRAMFS),
        common.driver_loaded(),
    ]


def toolkit(ctx: Context) -> list[Step]:
    return dnf.toolkit(ctx)


def engine(ctx: Context) -> list[Step]:
    if ctx.options.engine is Engine.PODMAN:
        return dnf.podman()
    # Docker publishes a "rhel" repository for RHEL and a "centos" one for the rebuilds.
    flavour = "rhel" if ctx.distro.os.id == "rhel" else "centos"
    return dnf.docker_ce(
        ctx,
        repo_url=f"{src.DOCKER_BASE}/{flavour}/docker-ce.repo",
        conflicts=src.DOCKER_CONFLICTS_EL,
        dnf5=False,
    )
