"""Spec (+ host facts when known) -> ResolvedEnv: everything the renderer needs, decided.

This is the only place that turns "auto" into concrete choices. It is pure: host facts come in
as data, so the same spec and facts always resolve to the same environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dlenv.errors import UsageError
from dlenv.spec.model import Spec

PYPI_NVIDIA = "https://pypi.nvidia.com"
TORCH_INDEX = "https://download.pytorch.org/whl/{variant}"

# Used until the compatibility knowledge (dlenv.knowledge) picks from host facts: the newest
# CUDA that PyTorch ships stable wheels for, on the newest Ubuntu LTS with an nvidia/cuda tag.
DEFAULT_CUDA = "13.0"
DEFAULT_CUDA_TAG = {"13.0": "13.0.2", "12.8": "12.8.1", "12.6": "12.6.3"}
CPU_BASE_IMAGE = "docker.io/library/ubuntu:24.04"


@dataclass(frozen=True)
class GpuFact:
    name: str
    compute_capability: str | None = None  # "8.6"
    uuid: str | None = None


@dataclass(frozen=True)
class HostFacts:
    """What the resolver may know of the host. Empty means "plan without a host"."""

    gpus: tuple[GpuFact, ...] = ()
    driver: str | None = None
    arch: str = "x86_64"


@dataclass(frozen=True)
class PackageLayer:
    """One image layer of Python packages, installed with one `uv pip install`."""

    name: str
    requirements: tuple[str, ...]
    index_url: str | None = None  # replaces PyPI for this layer (PyTorch's index)
    extra_index_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolvedEnv:
    spec: Spec
    base_image: str
    cuda: str | None  # "13.0"; None for the CPU profile
    torch_variant: str | None  # "cu130", "cpu"; None when torch is off
    layers: tuple[PackageLayer, ...]
    warnings: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def python(self) -> str:
        return self.spec.python.version

    @property
    def is_gpu(self) -> bool:
        return self.spec.profile == "gpu"


# Group -> packages per CUDA major ("cpu" for the CPU profile). Heaviest groups first.
_GROUP_PACKAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "rapids": {"12": ("cudf-cu12", "cuml-cu12"), "13": ("cudf-cu13", "cuml-cu13")},
    "dali": {"12": ("nvidia-dali-cuda120",), "13": ("nvidia-dali-cuda130",)},
    "cupy": {"12": ("cupy-cuda12x",), "13": ("cupy-cuda13x",)},
    "xgboost": {"12": ("xgboost",), "13": ("xgboost",), "cpu": ("xgboost",)},
    "polars": {"12": ("polars",), "13": ("polars",), "cpu": ("polars",)},
}
_GPU_GROUPS_BEFORE_CORE = ("rapids", "dali", "cupy")
_NVIDIA_INDEX_GROUPS = {"rapids", "dali"}


def resolve(spec: Spec, host: HostFacts | None = None) -> ResolvedEnv:
    del host  # host-aware choices come with the compatibility knowledge
    warnings: list[str] = []
    if spec.profile == "gpu":
        cuda = DEFAULT_CUDA if spec.image.cuda == "auto" else spec.image.cuda
        if cuda not in DEFAULT_CUDA_TAG:
            raise UsageError(
                f"image.cuda = {cuda!r} has no known nvidia/cuda image",
                hint=f"Use one of: {', '.join(sorted(DEFAULT_CUDA_TAG))}, or \"auto\".",
            )
        major = cuda.split(".")[0]
        variant = "cu" + cuda.replace(".", "")
        base = spec.image.base
        if base == "auto":
            base = f"docker.io/nvidia/cuda:{DEFAULT_CUDA_TAG[cuda]}-cudnn-{spec.image.flavor}-ubuntu24.04"
    else:
        cuda, major, variant = None, "cpu", "cpu"
        base = CPU_BASE_IMAGE if spec.image.base == "auto" else spec.image.base
        for group in spec.python.groups:
            if "cpu" not in _GROUP_PACKAGES[group]:
                raise UsageError(
                    f'python.groups: "{group}" needs a GPU and is not available with profile "cpu"',
                    hint=f'Remove "{group}" from python.groups, or use profile = "gpu".',
                )

    layers: list[PackageLayer] = []
    if spec.torch.enabled:
        torch_reqs = _pin_torch(spec)
        layers.append(PackageLayer("torch", torch_reqs, index_url=TORCH_INDEX.format(variant=variant)))
    for group in _GPU_GROUPS_BEFORE_CORE:
        if group in spec.python.groups:
            layers.append(_group_layer(group, major))
    layers.append(PackageLayer("core", tuple(spec.python.packages)))
    for group in spec.python.groups:
        if group not in _GPU_GROUPS_BEFORE_CORE:
            layers.append(_group_layer(group, major))
    if spec.python.extra:
        layers.append(PackageLayer("extra", tuple(spec.python.extra)))

    labels = {
        "dev.dlenv.profile": spec.profile,
        "dev.dlenv.base": base,
        "dev.dlenv.python": spec.python.version,
    }
    if cuda:
        labels["dev.dlenv.cuda"] = cuda
    if spec.torch.enabled:
        labels["dev.dlenv.torch"] = f"{spec.torch.version}+{variant}"
    return ResolvedEnv(
        spec=spec,
        base_image=base,
        cuda=cuda,
        torch_variant=variant if spec.torch.enabled else None,
        layers=tuple(layers),
        warnings=tuple(warnings),
        labels=labels,
    )


def _pin_torch(spec: Spec) -> tuple[str, ...]:
    if spec.torch.version == "auto":
        return tuple(spec.torch.packages)
    pinned = []
    for package in spec.torch.packages:
        pinned.append(f"{package}=={spec.torch.version}.*" if package == "torch" else package)
    return tuple(pinned)


def _group_layer(group: str, major: str) -> PackageLayer:
    packages = _GROUP_PACKAGES[group][major]
    extra = (PYPI_NVIDIA,) if group in _NVIDIA_INDEX_GROUPS else ()
    return PackageLayer(group, packages, extra_index_urls=extra)
