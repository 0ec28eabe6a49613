"""Spec (+ host facts when known) -> ResolvedEnv: everything the renderer needs, decided.

This is the only place that turns "auto" into concrete choices, by asking the compatibility
knowledge (dlenv.knowledge.choose). It is pure: host facts come in as data, so the same spec and
facts always resolve to the same environment. Without host facts it plans for no particular GPU:
the newest CUDA that PyTorch ships stable wheels for, on the newest Ubuntu LTS with its image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from dlenv import labels as label
from dlenv.errors import DlenvError, UsageError
from dlenv.knowledge import Knowledge, load_knowledge
from dlenv.knowledge.choose import Choice, Gpu, Request, choose, gpu_from_model
from dlenv.knowledge.packages import PackageGroup
from dlenv.knowledge.versions import as_tuple, is_driver_version, parse_cc
from dlenv.knowledge.wheels import TorchWheel
from dlenv.resolve.indexes import IndexConfig
from dlenv.spec.model import Spec

CPU_BASE_IMAGE = "docker.io/library/ubuntu:24.04"  # Docker Official Image, hub.docker.com/_/ubuntu
# The image's NVIDIA_REQUIRE_CUDA (cuda>=X.Y) refuses hosts whose driver only runs X.Y through
# minor-version compatibility; this tells the NVIDIA container runtime to skip that check
# ("single switch to disable all the constraints of the form NVIDIA_REQUIRE_*": toolkit docs,
# "Specialized Configurations with Docker", Constraints,
# https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html).
DISABLE_REQUIRE = "NVIDIA_DISABLE_REQUIRE"
# Torch packages pinned to the version the resolver chose (others in torch.packages are left free).
_TORCH_COMPANIONS = ("torch", "torchvision", "torchaudio")


class IncompatibleError(DlenvError):
    """No CUDA / torch / package combination works for this spec on this host."""


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
    index_url: str | None = None  # replaces the default index for this layer (PyTorch's)
    extra_index_urls: tuple[str, ...] = ()  # searched before the default (NVIDIA's)


@dataclass(frozen=True)
class ResolvedEnv:
    spec: Spec
    base_image: str
    cuda: str | None  # "13.0"; None for the CPU profile
    torch_variant: str | None  # "cu130", "cpu"; None when torch is off
    layers: tuple[PackageLayer, ...]
    warnings: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    torch_version: str | None = None  # "2.9.1": the exact torch the layer pins
    runtime_env: Mapping[str, str] = field(default_factory=dict)  # container env (run time)
    minor_compat: bool = False  # the host driver runs `cuda` only by minor-version compatibility
    # Where each index is fetched from (the user's default index and mirrors); None: not read,
    # and every install uses the installer's default (pure tests of the resolver).
    indexes: IndexConfig | None = None

    def index_options(self, layer: PackageLayer) -> tuple[tuple[str, str], ...]:
        """(option, URL) pairs naming every index `layer` may read, and only those."""
        at = self.indexes.locate if self.indexes else (lambda url: url or "")
        default = at(layer.index_url)
        options = (("--default-index", default),) if default else ()
        return options + tuple(("--extra-index-url", at(u)) for u in layer.extra_index_urls)

    @property
    def python(self) -> str:
        return self.spec.python.version

    @property
    def is_gpu(self) -> bool:
        return self.spec.profile == "gpu"


# Packages that sit before the core layer: they are heavy and change rarely.
_GPU_GROUPS_BEFORE_CORE = ("rapids", "dali", "cupy")


def resolve(
    spec: Spec, host: HostFacts | None = None, indexes: IndexConfig | None = None
) -> ResolvedEnv:
    """The pure resolver. Commands reach it through `dlenv.environment.resolution.resolve_here`,
    which supplies this host's facts and the user's index configuration."""
    knowledge = load_knowledge()
    if spec.profile == "cpu":
        resolved = _resolve_cpu(spec, knowledge)
    else:
        resolved = _resolve_gpu(spec, host or HostFacts(), knowledge)
    return replace(resolved, indexes=indexes)


def _resolve_gpu(spec: Spec, host: HostFacts, knowledge: Knowledge) -> ResolvedEnv:
    gpus, warnings = _known_gpus(host, knowledge)
    driver = None
    if host.driver and is_driver_version(host.driver):
        driver = as_tuple(host.driver.strip())
    elif host.driver:
        warnings.append(f"driver version {host.driver!r} is not recognised; not checked")
    request = Request(
        gpus=gpus,
        driver=driver,
        cuda=spec.image.cuda,
        torch=spec.torch.version if spec.torch.enabled else None,
        groups=tuple(g for g in spec.python.groups if g in _GPU_GROUPS_BEFORE_CORE),
        python=None if spec.python.version == "system" else spec.python.version,
        flavor=spec.image.flavor,
    )
    verdict = choose(knowledge, request)
    if verdict.choice is None:
        raise IncompatibleError(
            "no CUDA / PyTorch / package combination fits this spec"
            + (" on this host" if host.gpus or host.driver else ""),
            details="\n".join(f"- {reason}" for reason in verdict.reasons),
            hint="Each line names the rule and its fix; `dlenv compat` explores alternatives.",
        )
    choice = verdict.choice
    warnings += choice.warnings
    if choice.wheel and not choice.stable:
        warnings.append(
            f"torch {choice.wheel.torch}+{choice.wheel.variant} is an experimental PyTorch "
            f"variant: the only one that fits this host"
        )
    base = choice.base_image if spec.image.base == "auto" else spec.image.base
    groups = {g.group: g for g in choice.groups}
    for name in spec.python.groups:
        if name not in groups:
            build = knowledge.packages.for_cuda(name, choice.cuda)
            if build is None:
                raise UsageError(f'python.groups: "{name}" has no build for CUDA {choice.cuda}')
            groups[name] = build
    layers = _layers(spec, choice.wheel, groups)
    labels = _labels(spec, base, choice.wheel)
    labels[label.CUDA] = choice.cuda
    runtime_env = {DISABLE_REQUIRE: "1"} if choice.minor_compat else {}
    return ResolvedEnv(
        spec=spec,
        base_image=base,
        cuda=choice.cuda,
        torch_variant=choice.wheel.variant if choice.wheel else None,
        layers=layers,
        warnings=tuple(warnings),
        labels=labels,
        torch_version=choice.wheel.torch if choice.wheel else None,
        runtime_env=runtime_env,
        minor_compat=choice.minor_compat,
    )


def _resolve_cpu(spec: Spec, knowledge: Knowledge) -> ResolvedEnv:
    groups: dict[str, PackageGroup] = {}
    for name in spec.python.groups:
        build = knowledge.packages.for_cuda(name, None)
        if build is None:
            raise UsageError(
                f'python.groups: "{name}" needs a GPU and is not available with profile "cpu"',
                hint=f'Remove "{name}" from python.groups, or use profile = "gpu".',
            )
        groups[name] = build
    wheel = _cpu_wheel(spec, knowledge) if spec.torch.enabled else None
    base = CPU_BASE_IMAGE if spec.image.base == "auto" else spec.image.base
    return ResolvedEnv(
        spec=spec,
        base_image=base,
        cuda=None,
        torch_variant="cpu" if wheel else None,
        layers=_layers(spec, wheel, groups),
        labels=_labels(spec, base, wheel),
        torch_version=wheel.torch if wheel else None,
    )


def _cpu_wheel(spec: Spec, knowledge: Knowledge) -> TorchWheel:
    wheels = [w for w in knowledge.torch.wheels if w.variant == "cpu"]
    if spec.torch.version != "auto":
        wheels = [w for w in wheels if w.minor == spec.torch.version]
    if spec.python.version != "system":
        wheels = [w for w in wheels if spec.python.version in w.pythons]
    if not wheels:
        raise IncompatibleError(
            f"no PyTorch CPU wheel for torch {spec.torch.version} and Python "
            f"{spec.python.version}",
            hint='Set torch.version = "auto", or a Python the wheels support (3.10-3.13).',
        )
    return wheels[-1]


def _known_gpus(host: HostFacts, knowledge: Knowledge) -> tuple[tuple[Gpu, ...], list[str]]:
    gpus: list[Gpu] = []
    warnings: list[str] = []
    for fact in host.gpus:
        model = knowledge.gpu_by_name(fact.name)
        if fact.compute_capability:
            cc = parse_cc(fact.compute_capability)
            arch = model.architecture if model else ""
            gpus.append(Gpu(fact.name, cc, arch))
        elif model:
            gpus.append(gpu_from_model(model))
        else:
            warnings.append(
                f"GPU {fact.name!r} is not in dlenv's GPU table and reported no compute "
                f"capability; its kernels are not checked"
            )
    return tuple(gpus), warnings


def _layers(
    spec: Spec, wheel: TorchWheel | None, groups: Mapping[str, PackageGroup]
) -> tuple[PackageLayer, ...]:
    layers: list[PackageLayer] = []
    if wheel:
        layers.append(PackageLayer("torch", _pin_torch(spec, wheel), index_url=wheel.index_url))
    for name in _GPU_GROUPS_BEFORE_CORE:
        if name in groups:
            layers.append(_group_layer(groups[name]))
    if spec.python.packages:
        layers.append(PackageLayer("core", tuple(spec.python.packages)))
    for name in spec.python.groups:
        if name not in _GPU_GROUPS_BEFORE_CORE:
            layers.append(_group_layer(groups[name]))
    if spec.jupyter.extensions:
        # After the core layer (JupyterLab itself), before your extras: they change less.
        layers.append(PackageLayer("jupyter-extensions", tuple(spec.jupyter.extensions)))
    if spec.python.extra:
        layers.append(PackageLayer("extra", tuple(spec.python.extra)))
    return tuple(layers)


def _pin_torch(spec: Spec, wheel: TorchWheel) -> tuple[str, ...]:
    """Pin torch and its companions to the chosen wheel, so an unlocked build is reproducible."""
    pins = {"torch": wheel.torch, "torchvision": wheel.torchvision, "torchaudio": wheel.torchaudio}
    return tuple(
        f"{package}=={pins[package]}" if package in _TORCH_COMPANIONS else package
        for package in spec.torch.packages
    )


def _group_layer(group: PackageGroup) -> PackageLayer:
    extra = (group.index,) if group.index else ()
    return PackageLayer(group.group, group.packages, extra_index_urls=extra)


def _labels(spec: Spec, base: str, wheel: TorchWheel | None) -> dict[str, str]:
    labels = {
        label.PROFILE: spec.profile,
        label.BASE: base,
        label.PYTHON: spec.python.version,
    }
    if wheel:
        labels[label.TORCH] = f"{wheel.torch}+{wheel.variant}"
        labels[label.TORCHVISION] = wheel.torchvision
        labels[label.TORCHAUDIO] = wheel.torchaudio
    return labels


__all__ = [
    "CPU_BASE_IMAGE",
    "Choice",
    "GpuFact",
    "HostFacts",
    "IncompatibleError",
    "PackageLayer",
    "ResolvedEnv",
    "resolve",
]
