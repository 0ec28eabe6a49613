"""Steps that read the same on every distro: Secure Boot enrolment, nouveau, the engine's service
and group, GPU runtime configuration (stage 5) and the sample workload."""

from __future__ import annotations

import shlex

from dlenv.knowledge.drivers import branch
from dlenv.setup import sources as src
from dlenv.setup.context import Context
from dlenv.setup.plan import After, Component, Engine, Step
from dlenv.setup.shell import backup

# "Disabling Nouveau" (CUDA Installation Guide for Linux,
# https://docs.nvidia.com/cuda/cuda-installation-guide-linux/): this file, with "blacklist nouveau"
# and "options nouveau modeset=0", then regenerate the initramfs.
NOUVEAU_BLACKLIST = "/etc/modprobe.d/blacklist-nouveau.conf"
# The rootless daemon's configuration file (https://docs.docker.com/engine/security/rootless/);
# the rootful one is /etc/docker/daemon.json (https://docs.docker.com/engine/daemon/). The
# `nvidia-ctk runtime configure` and `no-cgroups` steps: toolkit install guide, "Configuring
# Docker" and "Rootless mode".
ROOTLESS_DOCKER_CONFIG = "$HOME/.config/docker/daemon.json"


def driver_install_reason(ctx: Context, how: str) -> str:
    """The reason of every family's driver.install step: which kernel modules and why, how they
    are built (`how`), and the oldest driver this host's GPUs need."""
    if ctx.open_only_gpu:
        modules = "open GPU kernel modules (a GPU here runs only with them)"
    elif ctx.open_modules:
        modules = "open GPU kernel modules (NVIDIA's default for Turing and newer)"
    else:
        modules = "proprietary kernel modules: a GPU here predates Turing"
    first = ctx.first_driver
    floor = f"; the GPUs here need driver {branch(first)} or newer (>= {first})" if first else ""
    return modules + how + floor


def mok_enroll(ctx: Context, key: str) -> list[Step]:
    """Enrol the module-signing key where the distro builds kernel modules locally."""
    if ctx.host.secure_boot is False:
        return []
    return [
        Step(
            id="driver.mok-enroll",
            component=Component.DRIVER,
            reason="Secure Boot loads only modules signed by an enrolled key; enrol the one "
            "that signs the locally built NVIDIA module",
            check=(
                "! mokutil --sb-state 2>/dev/null | grep -q 'SecureBoot enabled'"
                f" || mokutil --test-key {shlex.quote(key)} 2>&1 | grep -q 'already enrolled'"
            ),
            commands=(f"mokutil --import {shlex.quote(key)}",),
            after=After.REBOOT,
            interactive=True,
            hint="mokutil asks for a one-time password; at the next boot choose 'Enroll MOK' "
            "in the blue MOK manager screen and type it. Keep Secure Boot on.",
        )
    ]


def nouveau(initramfs: str) -> Step:
    return Step(
        id="driver.nouveau",
        component=Component.DRIVER,
        reason="nouveau holds the GPU while it is loaded, so the NVIDIA module cannot bind",
        check="! grep -q '^nouveau ' /proc/modules",
        commands=(
            backup(NOUVEAU_BLACKLIST),
            f"printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' > {NOUVEAU_BLACKLIST}",
            initramfs,
        ),
        after=After.REBOOT,
    )


def driver_loaded() -> Step:
    return Step(
        id="driver.loaded",
        component=Component.DRIVER,
        reason="the NVIDIA kernel module must be loaded for nvidia-smi, CDI and containers",
        check="test -r /proc/driver/nvidia/version",
        commands=("modprobe nvidia",),
        hint="if Secure Boot is on, its key must be enrolled (driver.mok-enroll); "
        "otherwise `dmesg | grep -i nvidia` says why the module did not load",
    )


def docker_service(ctx: Context) -> list[Step]:
    """Enable the rootful daemon (after giving the user its group), or hand Docker to the user's
    own rootless daemon."""
    if not ctx.options.rootless:
        return [
            *docker_group(ctx),
            Step(
                id="engine.docker-service",
                component=Component.ENGINE,
                reason="the Docker daemon must run now and after every boot",
                check="systemctl is-enabled --quiet docker && systemctl is-active --quiet docker",
                commands=("systemctl enable --now docker",),
            ),
        ]
    # "$USER" expands in the user's own shell when no login is known.
    user = shlex.quote(ctx.login) if ctx.login else '"$USER"'
    return [
        Step(
            id="engine.docker-rootful-off",
            component=Component.ENGINE,
            reason="rootless Docker replaces the system daemon (Docker's rootless guide)",
            check="! systemctl is-enabled --quiet docker.service docker.socket",
            commands=("systemctl disable --now docker.service docker.socket",),
        ),
        Step(
            id="engine.docker-linger",
            component=Component.ENGINE,
            reason="keeps the user's Docker daemon running without a login session",
            check=f"test -e /var/lib/systemd/linger/{user}",
            commands=(f"loginctl enable-linger {user}",),
        ),
        Step(
            id="engine.docker-rootless",
            component=Component.ENGINE,
            reason="installs and starts a Docker daemon owned by the user",
            check="systemctl --user is-active --quiet docker",
            commands=(
                "dockerd-rootless-setuptool.sh install",
                "systemctl --user enable --now docker",
            ),
            needs_root=False,
        ),
    ]


def docker_group(ctx: Context) -> list[Step]:
    """Docker's post-installation step: the invoking user joins group `docker`, so `docker` and
    `dlenv up` work without sudo (src.DOCKER_POSTINSTALL_GUIDE). It comes before the daemon
    starts, because the daemon gives its socket to the group that exists when it starts. The
    plan's notes say that the group is root-equivalent, and when there is nobody to add."""
    login = ctx.login
    if login is None:
        return []
    user = shlex.quote(login)
    group = shlex.quote(src.DOCKER_GROUP)
    return [
        Step(
            id="engine.docker-group",
            component=Component.ENGINE,
            reason=f"lets {login} use Docker without sudo: group {group}, as Docker's "
            "post-installation steps give it (root-equivalent; applies from the next login)",
            check=f"id -nG {user} | tr ' ' '\\n' | grep -qx {group}",
            commands=(
                f"getent group {group} >/dev/null || groupadd {group}",
                f"usermod -aG {group} {user}",
            ),
            after=After.RELOGIN,
            hint=f"{login} must be a user on this host; pass --user NAME to add another one",
        )
    ]


def runtime(ctx: Context) -> list[Step]:
    if ctx.options.engine is Engine.PODMAN:
        return _podman_cdi()
    if ctx.options.rootless:
        return _docker_rootless_runtime()
    return _docker_runtime()


def _podman_cdi() -> list[Step]:
    return [
        Step(
            id="runtime.oci-hook",
            component=Component.RUNTIME,
            reason="the legacy NVIDIA OCI hook injects GPUs into every container and conflicts "
            "with CDI",
            check=f"test ! -e {shlex.quote(src.OCI_HOOK)}",
            commands=(backup(src.OCI_HOOK), f"rm -f {shlex.quote(src.OCI_HOOK)}"),
        ),
        Step(
            id="runtime.cdi",
            component=Component.RUNTIME,
            reason="Podman finds GPUs through a CDI spec (nvidia.com/gpu=all)",
            check="nvidia-ctk cdi list 2>/dev/null | grep -q 'nvidia.com/gpu=all'",
            # Toolkit 1.18+ ships nvidia-cdi-refresh, which rewrites /var/run/cdi/nvidia.yaml on
            # boot and on driver changes; a static spec beside it would go stale, so generate one
            # only for older toolkits (and then after every driver update).
            commands=(
                "if systemctl list-unit-files nvidia-cdi-refresh.path >/dev/null 2>&1; then"
                " systemctl enable --now nvidia-cdi-refresh.path;"
                " systemctl start nvidia-cdi-refresh.service;"
                f" else nvidia-ctk cdi generate --output={src.CDI_STATIC_SPEC}; fi",
            ),
            hint="`nvidia-ctk cdi list` must list nvidia.com/gpu=all; the driver must be loaded",
        ),
    ]


def _docker_runtime() -> list[Step]:
    return [
        Step(
            id="runtime.docker-nvidia",
            component=Component.RUNTIME,
            reason="registers the nvidia runtime with Docker so `--gpus` works",
            check="grep -qs '\"nvidia\"' /etc/docker/daemon.json",
            commands=(
                backup("/etc/docker/daemon.json"),
                "nvidia-ctk runtime configure --runtime=docker",
                "systemctl restart docker",
            ),
        )
    ]


def _docker_rootless_runtime() -> list[Step]:
    return [
        Step(
            id="runtime.docker-rootless-nvidia",
            component=Component.RUNTIME,
            reason="registers the nvidia runtime with the user's rootless Docker daemon",
            check=f'grep -qs \'"nvidia"\' "{ROOTLESS_DOCKER_CONFIG}"',
            commands=(
                backup(ROOTLESS_DOCKER_CONFIG),
                "nvidia-ctk runtime configure --runtime=docker"
                f' --config="{ROOTLESS_DOCKER_CONFIG}"',
                "systemctl --user restart docker",
            ),
            needs_root=False,
        ),
        Step(
            id="runtime.no-cgroups",
            component=Component.RUNTIME,
            reason="a rootless daemon cannot manage device cgroups; the toolkit must not try",
            check=f"grep -Eqs '^[[:space:]]*no-cgroups[[:space:]]*=[[:space:]]*true' "
            f"{src.TOOLKIT_CONFIG}",
            commands=(
                backup(src.TOOLKIT_CONFIG),
                "nvidia-ctk config --set nvidia-container-cli.no-cgroups --in-place",
            ),
        ),
    ]


def verify(ctx: Context) -> list[Step]:
    if ctx.options.engine is Engine.PODMAN:
        command = (
            "podman run --rm --device nvidia.com/gpu=all --security-opt=label=disable "
            f"{src.SAMPLE_IMAGE} nvidia-smi"
        )
        as_user = True  # rootless is Podman's normal mode
    else:
        command = f"docker run --rm --runtime=nvidia --gpus all {src.SAMPLE_IMAGE} nvidia-smi"
        as_user = ctx.options.rootless
    return [
        Step(
            id="verify.sample-workload",
            component=Component.VERIFY,
            reason="runs nvidia-smi in a container: the whole chain works end to end",
            commands=(command,),
            needs_root=not as_user,
            hint="`dlenv doctor` explains which link of the chain is broken",
        )
    ]
