"""openSUSE Leap, Tumbleweed and SLES: zypper, NVIDIA's CUDA repository (Leap/SLES) or NVIDIA's
openSUSE driver repository (Tumbleweed), pre-signed kernel modules, the distribution's Docker.

Sources: NVIDIA driver installation guide (opensuse.html, sles.html, kernel-modules.html);
https://en.opensuse.org/SDB:NVIDIA_drivers; NVIDIA Container Toolkit install guide ("With
zypper"); SLES 15 container guide (Docker from the Containers Module).
"""

from __future__ import annotations

import shlex

from dlenv.setup import common
from dlenv.setup import sources as src
from dlenv.setup.context import Context
from dlenv.setup.plan import After, Component, Engine, Step
from dlenv.setup.shell import import_rpm_key, rpm_installed

ZYPPER = "zypper --non-interactive"
INITRAMFS = "dracut --force"
SUPPORTED_MAJOR = 15


def unsupported(ctx: Context) -> str | None:
    if ctx.options.engine is Engine.DOCKER and ctx.options.rootless:
        return "SUSE's docker package has no rootless setup tool; drop --rootless or use Podman"
    if not _tumbleweed(ctx) and ctx.distro.major_version != SUPPORTED_MAJOR:
        return "only openSUSE Leap 15, SLES 15 and Tumbleweed are planned so far"
    return None


def _tumbleweed(ctx: Context) -> bool:
    return ctx.distro.os.id == "opensuse-tumbleweed"


def _sles(ctx: Context) -> bool:
    return ctx.distro.os.id in ("sles", "sled")


def driver(ctx: Context) -> list[Step]:
    packages: tuple[str, ...]
    if _tumbleweed(ctx):
        repo_check = f"{ZYPPER} lr -u | grep -q {shlex.quote(src.TUMBLEWEED_NVIDIA_REPO)}"
        add = f"{ZYPPER} addrepo --refresh {shlex.quote(src.TUMBLEWEED_NVIDIA_REPO)} NVIDIA"
        packages = (
            (src.TUMBLEWEED_OPEN_KMP, src.SUSE_COMPUTE_UTILS)
            if ctx.open_modules
            else (src.TUMBLEWEED_PROPRIETARY_KMP, src.SUSE_COMPUTE_UTILS)
        )
        # No pinned fingerprint for this key (sources.py): zypper shows it and asks, instead
        # of importing it unseen.
        repo = Step(
            id="driver.repo",
            component=Component.DRIVER,
            reason="NVIDIA's openSUSE driver repository; its key has no pinned fingerprint, so "
            "zypper shows it and you decide",
            check=f"{repo_check} && {ZYPPER} refresh NVIDIA >/dev/null 2>&1",
            commands=(f"{repo_check} || {add}", "zypper refresh NVIDIA"),
            interactive=True,
            hint="zypper asks whether to trust the repository's key: compare the fingerprint "
            "it shows with one NVIDIA publishes before answering 'a' or 't'",
        )
    else:
        distro = "sles15" if _sles(ctx) else "opensuse15"
        base = f"{src.CUDA_REPO_BASE}/{distro}/{ctx.cuda_arch}"
        repo_check = f"{ZYPPER} lr -u | grep -q {shlex.quote(f'compute/cuda/repos/{distro}')}"
        add = f"{ZYPPER} addrepo --refresh {shlex.quote(f'{base}/cuda-{distro}.repo')}"
        packages = (
            (src.SUSE_OPEN_KMP, src.SUSE_COMPUTE_UTILS)
            if ctx.open_modules
            else (src.PROPRIETARY_DRIVER_PACKAGE,)
        )
        # The checked key goes into rpm's database first: zypper trusts it from there, and
        # never told to import keys on its own, it refuses any other key the repository offers.
        repo = Step(
            id="driver.repo",
            component=Component.DRIVER,
            reason="NVIDIA's CUDA repository for this release, trusted only with its pinned key",
            check=f"test -s {shlex.quote(src.CUDA_RPM_KEY)} && {repo_check}",
            commands=(
                *import_rpm_key(
                    f"{base}/{src.CUDA_RPM_KEY_FILE}",
                    src.CUDA_RPM_KEY_FINGERPRINT,
                    "NVIDIA CUDA repository",
                    src.CUDA_RPM_KEY,
                ),
                f"{repo_check} || {add}",
                f"{ZYPPER} refresh",
            ),
        )
    return [
        repo,
        Step(
            id="driver.install",
            component=Component.DRIVER,
            reason=common.driver_install_reason(
                ctx, "; SUSE's KMPs come signed, so Secure Boot needs no local key"
            ),
            check=rpm_installed(*packages),
            commands=(f"{ZYPPER} install " + " ".join(map(shlex.quote, packages)),),
            after=After.REBOOT,
        ),
        common.nouveau(INITRAMFS),
        common.driver_loaded(),
    ]


def toolkit(ctx: Context) -> list[Step]:
    toolkit_repo = f"{ZYPPER} lr -u | grep -q nvidia.github.io/libnvidia-container"
    return [
        Step(
            id="toolkit.repo",
            component=Component.TOOLKIT,
            reason="NVIDIA's libnvidia-container repository, trusted only with its pinned key",
            check=f"test -s {shlex.quote(src.TOOLKIT_RPM_KEY)} && {toolkit_repo}",
            commands=(
                *import_rpm_key(
                    src.TOOLKIT_GPG_KEY,
                    src.TOOLKIT_KEY_FINGERPRINT,
                    "NVIDIA Container Toolkit",
                    src.TOOLKIT_RPM_KEY,
                ),
                f"{toolkit_repo} || {ZYPPER} addrepo {shlex.quote(src.TOOLKIT_RPM_REPO_URL)}",
            ),
        ),
        Step(
            id="toolkit.install",
            component=Component.TOOLKIT,
            reason="nvidia-ctk and the container runtime hook (CDI and Docker both use them)",
            check=rpm_installed(src.TOOLKIT_PACKAGE),
            commands=(f"{ZYPPER} install {shlex.quote(src.TOOLKIT_PACKAGE)}",),
        ),
    ]


def engine(ctx: Context) -> list[Step]:
    if ctx.options.engine is Engine.PODMAN:
        return [
            Step(
                id="engine.podman",
                component=Component.ENGINE,
                reason="Podman from the distribution's own repositories: daemonless, rootless",
                check=rpm_installed("podman"),
                commands=(f"{ZYPPER} install podman",),
            )
        ]
    steps: list[Step] = []
    if _sles(ctx):
        # VERSION_ID is a host value (checked against VERSION_ID_PATTERN where it was read):
        # quoted as a word of its own, outside the double quotes that `$(uname -m)` needs.
        module = shlex.quote(f"sle-module-containers/{ctx.distro.os.version_id or ''}/")
        steps.append(
            Step(
                id="engine.sles-containers-module",
                component=Component.ENGINE,
                reason="SLES ships Docker in its Containers Module, which must be activated",
                check=f"{ZYPPER} --quiet search --match-exact docker >/dev/null 2>&1",
                commands=(f'SUSEConnect -p {module}"$(uname -m)"',),
            )
        )
    steps += [
        Step(
            id="engine.docker-install",
            component=Component.ENGINE,
            reason="Docker from the distribution (Docker CE has no x86_64 SUSE packages)",
            check=rpm_installed(src.DISTRO_DOCKER_PACKAGE),
            commands=(f"{ZYPPER} install {shlex.quote(src.DISTRO_DOCKER_PACKAGE)}",),
        ),
        *common.docker_service(ctx),
    ]
    return steps
