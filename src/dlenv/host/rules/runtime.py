"""Container toolkit, CDI and engine findings: can a container see the GPU?"""

from __future__ import annotations

from collections.abc import Callable

from dlenv.host.findings import Finding, Group, fail, ok, warn
from dlenv.host.gpus import HostGpu
from dlenv.host.inventory import EngineProbe, Inventory
from dlenv.host.parse.kernel import match_known_errors
from dlenv.host.parse.toolkit import CDI_GENERATE, CDI_KIND
from dlenv.setup.sources import (
    DOCKER_GROUP_WARNING,
    DOCKER_POSTINSTALL_GUIDE,
    DOCKER_ROOTLESS_GUIDE,
)

T, E = Group.TOOLKIT, Group.ENGINES


def toolkit_findings(inv: Inventory, gpus: list[HostGpu]) -> list[Finding]:
    if not gpus:
        return []
    if inv.ctk_version is None:
        return [
            fail(
                "toolkit.missing",
                T,
                "NVIDIA Container Toolkit is not installed (no nvidia-ctk)",
                "Without it no engine can hand the GPU to a container: Docker says `could "
                "not select "
                'device driver "" with capabilities: [[gpu]]` (NVIDIA/nvidia-docker#1034).',
                fix="`dlenv setup --only toolkit`",
            )
        ]
    found = [ok("toolkit.version", T, f"NVIDIA Container Toolkit {inv.ctk_version}")]
    found.extend(_cdi_findings(inv, gpus))
    podman = inv.engine("podman")
    for hook in inv.oci_hooks:
        if podman and podman.installed:
            found.append(
                fail(
                    "podman.oci_hook_conflict",
                    T,
                    f"legacy OCI hook {hook} conflicts with CDI",
                    "Podman runs this hook and CDI injection together; GPU containers then fail.",
                    fix=f"sudo rm {hook}",
                )
            )
    return found


def _cdi_findings(inv: Inventory, gpus: list[HostGpu]) -> list[Finding]:
    specs = [s for s in inv.cdi_specs if s.kind == CDI_KIND]
    found: list[Finding] = []
    for broken in (s for s in inv.cdi_specs if s.error):
        found.append(
            fail(
                "cdi.invalid", T, f"{broken.path} cannot be read: {broken.error}", fix=CDI_GENERATE
            )
        )
    podman = inv.engine("podman")
    if not specs:
        if podman and podman.installed:
            found.append(
                fail(
                    "cdi.missing",
                    T,
                    "no CDI spec for nvidia.com/gpu: Podman cannot use the GPU",
                    "Podman hands GPUs to containers through CDI (`--device nvidia.com/gpu=all`); "
                    "looked in /etc/cdi and /var/run/cdi. Toolkit 1.18+ writes it at boot "
                    "(nvidia-cdi-refresh); older toolkits need it regenerated after every "
                    "driver change.",
                    fix=f"`dlenv setup --only runtime` (runs `{CDI_GENERATE}`)",
                )
            )
        return found
    driver = inv.driver_version
    for spec in specs:
        stale = driver and spec.driver_versions and driver not in spec.driver_versions
        if stale:
            found.append(
                fail(
                    "cdi.stale",
                    T,
                    f"{spec.path} was generated for driver {', '.join(spec.driver_versions)}, "
                    f"but driver {driver} is loaded",
                    "After a driver upgrade the spec mounts libraries that no longer exist, and "
                    "containers fail to start (NVIDIA/nvidia-container-toolkit#885 and #48 "
                    "threads).",
                    fix=f"`dlenv setup --only runtime` (runs `{CDI_GENERATE}`)",
                )
            )
            continue
        indexes = [d for d in spec.devices if d.isdigit()]
        if len(indexes) < len(gpus):
            found.append(
                warn(
                    "cdi.devices",
                    T,
                    f"{spec.path} names {len(indexes)} GPU(s); the host has {len(gpus)}",
                    fix=CDI_GENERATE,
                )
            )
        else:
            found.append(ok("cdi.spec", T, f"CDI spec {spec.path}: {', '.join(spec.devices)}"))
    if len(specs) > 1:
        found.append(
            warn(
                "cdi.duplicate",
                T,
                f"{len(specs)} CDI specs define nvidia.com/gpu: "
                + ", ".join(s.path for s in specs),
                "Two specs for one kind make device names ambiguous; keep one.",
                fix="remove /etc/cdi/nvidia.yaml when nvidia-cdi-refresh writes "
                    "/var/run/cdi/nvidia.yaml",
            )
        )
    return found


def engine_findings(inv: Inventory, gpus: list[HostGpu]) -> list[Finding]:
    docker, podman = inv.engine("docker"), inv.engine("podman")
    installed = [e for e in inv.engines if e.installed]
    if not installed:
        return [
            fail(
                "engine.none",
                E,
                "no container engine: neither podman nor docker is installed",
                fix="`dlenv setup --only engine`",
            )
        ]
    found: list[Finding] = []
    if docker and docker.installed:
        found.extend(_docker_findings(inv, docker, gpus, only=len(installed) == 1))
    if podman and podman.installed:
        found.extend(_podman_findings(inv, podman))
    if not any(e.ok for e in installed):
        found.append(
            fail(
                "engine.unusable",
                E,
                "no container engine answers",
                "See the engine findings above.",
                fix="make one engine answer: the fix of its finding above, or "
                "`dlenv setup --only engine`",
            )
        )
    return found


def _known_errors(engine: EngineProbe) -> list[Finding]:
    return [
        fail(k.id, E, k.message, engine.output[-600:], fix=k.fix)
        for k in match_known_errors(engine.output)
    ]


def _socket_permission(
    inv: Inventory, socket: str, error: str, severity: Callable[..., Finding]
) -> Finding:
    """The daemon runs but its socket refuses this user: Docker's post-installation step (the
    docker group) was never done, or not yet picked up by this login session."""
    user = inv.user or "this user"
    warning = (
        f'Group docker is root-equivalent: Docker warns "{DOCKER_GROUP_WARNING}" '
        f"({DOCKER_POSTINSTALL_GUIDE}). Rootless Docker needs no group "
        f"({DOCKER_ROOTLESS_GUIDE})."
    )
    if "docker" in inv.groups:
        # `id -nG` lists the session's groups: the user has the group, yet the socket refuses.
        return severity(
            "docker.socket_permission",
            E,
            f"permission denied on the Docker socket {socket}, although {user} is in group docker",
            f"{error}\nThe socket is not group docker's (the group was made after the daemon "
            "started), or DOCKER_HOST names another daemon's socket. " + warning,
            fix="`ls -l /var/run/docker.sock` must show group docker: `sudo systemctl "
            "restart docker` (and docker.socket where Docker has one); check DOCKER_HOST "
            "(`docker context ls`)",
        )
    return severity(
        "docker.socket_permission",
        E,
        f"permission denied on the Docker socket {socket}: {user} may not use Docker",
        f"{error}\n{user} is not in group docker in this login session (`id -nG`: "
        f"{' '.join(inv.groups) or '?'}); `docker` and `dlenv up` fail until it is. " + warning,
        fix="`sudo usermod -aG docker $USER`, then log out and back in (or `newgrp docker`); "
        "or `dlenv setup --engine docker --only engine`, which does that. Without the "
        "root-equivalent group: rootless Docker, `dlenv setup --engine docker --rootless`",
    )


def _docker_findings(
    inv: Inventory, engine: EngineProbe, gpus: list[HostGpu], only: bool
) -> list[Finding]:
    info = engine.docker
    if info is None or not info.reachable:
        error = info.error if info and info.error else engine.output
        known = _known_errors(engine)
        if known:
            return known
        severity = fail if only else warn
        if info is not None and info.socket_denied:
            return [_socket_permission(inv, info.socket_denied, error, severity)]
        return [
            severity(
                "docker.unreachable",
                E,
                "Docker is installed but its daemon does not answer",
                error,
                fix="`sudo systemctl enable --now docker` (rootless: "
                "`systemctl --user start docker`), or check DOCKER_HOST",
            )
        ]
    mode = "rootless" if info.rootless else "rootful"
    found = [
        ok(
            "docker.engine",
            E,
            f"Docker {info.server_version} ({mode}, cgroup driver {info.cgroup_driver or '?'})",
            f"runtimes: {', '.join(info.runtimes)}; images in {info.root_dir}",
        )
    ]
    if not gpus:
        return found
    cdi = bool(info.cdi_spec_dirs)
    if not info.has_nvidia_runtime and not cdi:
        found.append(
            fail(
                "docker.no_gpu_runtime",
                E,
                "Docker has no nvidia runtime and no CDI: `--gpus` will fail",
                'Containers fail with `could not select device driver "" with capabilities: '
                '[[gpu]]` '
                "(NVIDIA/nvidia-docker#1034, replicate/cog#280).",
                fix="`dlenv setup --only runtime` (runs `sudo nvidia-ctk runtime configure "
                "--runtime=docker && sudo systemctl restart docker`"
                + (
                    "; rootless: add `--config=$HOME/.config/docker/daemon.json`)"
                    if info.rootless
                    else ")"
                ),
            )
        )
    config = inv.toolkit_config
    if info.rootless and not (config and config.no_cgroups):
        found.append(
            fail(
                "docker.rootless_no_cgroups",
                E,
                "rootless Docker needs no-cgroups = true in the toolkit config",
                "Rootless containers cannot edit device cgroups; without the setting GPU "
                "containers fail "
                "(NVIDIA/nvidia-container-toolkit#85, #106).",
                fix="`sudo nvidia-ctk config --set nvidia-container-cli.no-cgroups --in-place`",
            )
        )
    if not info.rootless and config and config.no_cgroups:
        found.append(
            warn(
                "toolkit.no_cgroups_rootful",
                E,
                "no-cgroups = true while Docker runs rootful",
                "The setting is for rootless engines; rootful containers then get no device cgroup "
                "entries (NVIDIA/nvidia-container-toolkit#85, #106).",
                fix="`sudo nvidia-ctk config --set nvidia-container-cli.no-cgroups=false "
                    "--in-place`",
            )
        )
    if info.cgroup_driver == "systemd" and not cdi:
        found.append(
            warn(
                "docker.nvml_unknown_risk",
                E,
                "systemd cgroup driver without CDI: containers lose the GPU after "
                "`systemctl daemon-reload`",
                "They then fail with `Failed to initialize NVML: Unknown Error` "
                "(NVIDIA/nvidia-container-toolkit#48, #251, #1227).",
                fix="`sudo nvidia-ctk runtime configure --runtime=docker --cdi.enabled && "
                "sudo systemctl restart docker` (dlenv then uses --device nvidia.com/gpu=all)",
            )
        )
    return found


def _podman_findings(inv: Inventory, engine: EngineProbe) -> list[Finding]:
    info = engine.podman
    if info is None:
        return _known_errors(engine) or [
            warn(
                "podman.info_failed",
                E,
                "Podman is installed but `podman info` failed",
                engine.output[-600:],
                fix="run `podman info` to see the full error",
            )
        ]
    mode = "rootless" if info.rootless else "rootful"
    found = [
        ok(
            "podman.engine",
            E,
            f"Podman {info.version or '?'} ({mode}, runtime {info.oci_runtime or '?'}, "
            f"cgroups {info.cgroup_version or '?'})",
            f"images in {info.graph_root}",
        )
    ]
    if info.oci_runtime == "crun" and inv.cgroup_hybrid and info.cgroup_version == "v1":
        found.append(
            fail(
                "podman.crun_hybrid_cgroups",
                E,
                "crun cannot run containers on this host: cgroups in hybrid mode are not supported",
                fix='use runc: set `runtime = "runc"` under [engine] in containers.conf',
            )
        )
    found.extend(_known_errors(engine))
    return found
