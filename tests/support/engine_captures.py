"""Captured engine facts (sources in the fixture folders' READMEs) and EngineHost values
built from them."""

from __future__ import annotations

from pathlib import Path

from dlenv.engine.host import EngineHost, engine_host
from dlenv.host.parse.toolkit import CdiSpec, parse_cdi_spec
from dlenv.verify.script import parse_gpu_list

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURED = FIXTURES / "captured"
ENGINE_INFO = FIXTURES / "engine-info"

DOCKER_NVIDIA_RUNTIME = CAPTURED / "docker-info/rootful-nvidia-systemd-ubuntu2204.json"
DOCKER_CI_NO_GPU = CAPTURED / "docker-info/rootful-debian12-ci.json"
DOCKER_CDI = ENGINE_INFO / "docker-info/cdi-ubuntu2404-29.6.1.json"
PODMAN_ROOTFUL = CAPTURED / "podman-info/rootful-debian12-ci.json"
PODMAN_ROOTLESS = CAPTURED / "podman-info/rootless-debian12-ci.json"
PODMAN_SELINUX = ENGINE_INFO / "podman-info/rootless-selinux-fedora33.json"
CDI_520 = CAPTURED / "cdi/nvidia-520.61.05.yaml"
CDI_MINIMAL = CAPTURED / "cdi/nvidia-minimal.json"
MIG_LIST = CAPTURED / "nvidia-smi/mig-list-a100-sxm4-80gb.txt"


def cdi(path: Path) -> CdiSpec:
    return parse_cdi_spec(f"/etc/cdi/{path.name}", path.read_text())


def host(program: str, info: Path, *specs: Path) -> EngineHost:
    return engine_host(program, info.read_text(), [cdi(p) for p in specs])


def mig_cdi_spec() -> CdiSpec:
    """The CDI device names `nvidia-ctk cdi generate` gives the captured MIG GPU (see README)."""
    gpus = parse_gpu_list(MIG_LIST.read_text())
    names = ["all"]
    for gpu in gpus:
        names += [str(gpu["index"]), gpu["uuid"]]
        for mig in gpu["mig"]:
            names += [f"{gpu['index']}:{mig['device']}", mig["uuid"]]
    return CdiSpec("/var/run/cdi/nvidia.yaml", "nvidia.com/gpu", tuple(names), ())


def engine_host_with(program: str, info: Path, spec: CdiSpec) -> EngineHost:
    return engine_host(program, info.read_text(), [spec])
