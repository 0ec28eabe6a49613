"""What the run flags depend on: the engine's own report of itself plus the host's CDI specs.

`engine_host` is pure (captured `docker info` / `podman info` JSON and CDI spec texts in, facts
out), so every host setup is tested from real captures; `CliEngine.host()` gathers the inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dlenv.host.parse.engines import parse_docker_info, parse_podman_info
from dlenv.host.parse.toolkit import CDI_KIND, CdiSpec
from dlenv.host.probe import cdi_specs
from dlenv.host.reader import HostReader


@dataclass(frozen=True)
class EngineHost:
    program: str  # "docker" or "podman"
    reachable: bool = True
    rootless: bool = False
    selinux: bool = False  # podman: SELinux labels are applied to containers
    nvidia_runtime: bool = False  # docker: an "nvidia" entry under Runtimes
    cdi_enabled: bool = False  # podman always; docker 25+ when it reports CDISpecDirs
    cdi_devices: frozenset[str] = frozenset()  # names in the nvidia.com/gpu CDI specs
    cdi_problem: str | None = None  # a spec that cannot be read
    version: str | None = None


def engine_host(program: str, info_json: str, cdi_specs: Iterable[CdiSpec] = ()) -> EngineHost:
    devices: set[str] = set()
    problem = None
    for spec in cdi_specs:
        if spec.error:
            problem = f"{spec.path}: {spec.error}"
        elif spec.kind == CDI_KIND:
            devices.update(spec.devices)
    if program == "podman":
        podman = parse_podman_info(info_json)
        if podman is None:
            return EngineHost(program, reachable=False)
        return EngineHost(
            program,
            rootless=podman.rootless,
            selinux=podman.selinux_enabled,
            cdi_enabled=True,  # Podman reads CDI specs natively (4.1+)
            cdi_devices=frozenset(devices),
            cdi_problem=problem,
            version=podman.version,
        )
    docker = parse_docker_info(info_json)
    return EngineHost(
        program,
        reachable=docker.reachable,
        rootless=docker.rootless,
        nvidia_runtime=docker.has_nvidia_runtime,
        cdi_enabled=bool(docker.cdi_spec_dirs),
        cdi_devices=frozenset(devices),
        cdi_problem=problem,
        version=docker.server_version,
    )


def read_cdi_specs(root: Path = Path("/")) -> tuple[CdiSpec, ...]:
    """Every CDI spec under the CDI directories (root: `/`, or a captured tree in tests), read
    through the one host reader, as `dlenv doctor` reads them."""
    return cdi_specs(HostReader(root=root))
