"""The resolver, table-driven: spec + host facts -> CUDA, base image, pinned torch, or reasons.

GPU names are as nvidia-smi prints them; driver versions are real releases (CUDA release notes
Table 3). Expected choices follow from reference/compat-facts.md sections 1-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dlenv.resolve import GpuFact, HostFacts, IncompatibleError, resolve
from dlenv.spec import parse_spec
from tests.support.index_config import UPSTREAMS


@dataclass(frozen=True)
class Case:
    id: str
    spec: str
    gpus: tuple[str, ...]
    driver: str | None
    cuda: str | None = None  # expected
    variant: str | None = None
    torch: str | None = None
    minor_compat: bool = False
    reason: str | None = None  # expected substring of the failure details


CASES = [
    Case("default-no-host", "", (), None, cuda="13.0", variant="cu130", torch="2.11.0"),
    Case("ada-new-driver", "", ("NVIDIA GeForce RTX 4090",), "580.95.05", "13.0", "cu130"),
    Case(
        "minor-compat-within-12", "", ("NVIDIA GeForce RTX 4090",), "550.54.14",
        "12.8", "cu128", "2.11.0", minor_compat=True,
    ),
    Case("full-support-no-warning", "", ("NVIDIA GeForce RTX 4090",), "570.124.06", "12.8"),
    Case(
        "pascal-torch-2.8-plus-picks-cu126", '[torch]\nversion = "2.9"',
        ("NVIDIA GeForce GTX 1080",), "580.95.05", "12.6", "cu126", "2.9.1",
    ),
    Case("pascal-auto-picks-cu126", "", ("NVIDIA GeForce GTX 1080",), "580.95.05", "12.6"),
    Case(
        "volta-stays-on-12", "", ("Tesla V100-SXM2-16GB",), "580.95.05", "12.8", "cu128", "2.10.0"
    ),
    Case(
        "blackwell-torch-2.6", '[torch]\nversion = "2.6"', ("NVIDIA GeForce RTX 5090",),
        "570.124.06", reason="torch 2.6 has no kernels for GeForce RTX 5090 (Blackwell 12.0)",
    ),
    Case(
        "blackwell-torch-2.7", '[torch]\nversion = "2.7"', ("NVIDIA GeForce RTX 5090",),
        "570.124.06", "12.8", "cu128", "2.7.1",
    ),
    Case(
        "driver-below-every-floor", "", ("NVIDIA GeForce RTX 4090",), "418.39",
        reason="driver 418.39 is older than every CUDA major",
    ),
    Case(
        "driver-below-major-floor", '[image]\ncuda = "13.0"', ("NVIDIA GeForce RTX 4090",),
        "570.124.06", reason="below CUDA 13.x's minimum 580.65.06",
    ),
    Case(
        "datacenter-mentions-forward-compat", '[image]\ncuda = "13.0"', ("NVIDIA A100-SXM4-80GB",),
        "570.124.06", reason="install cuda-compat-13-<minor>",
    ),
    Case(
        "kepler-dropped-by-12", '[image]\ncuda = "12.8"', ("Tesla K80",), "470.82.01",
        reason="Tesla K80 (Kepler 3.7) is not supported by CUDA 12; use CUDA 11.x",
    ),
    Case(
        "volta-dropped-by-13", '[image]\ncuda = "13.0"', ("Tesla V100-SXM2-16GB",), "580.95.05",
        reason="(Volta 7.0) is not supported by CUDA 13; use CUDA 12.x",
    ),
    Case(
        "maxwell-dropped-by-13", '[image]\ncuda = "13.0"', ("NVIDIA GeForce GTX 980",),
        "580.95.05", reason="(Maxwell 5.2) is not supported by CUDA 13",
    ),
    Case(
        "rapids-below-floor", '[python]\ngroups = ["rapids"]', ("NVIDIA GeForce GTX 1080",),
        "580.95.05", reason="RAPIDS needs compute capability >= 7.0",
    ),
    Case(
        "rapids-on-volta-uses-cuda-12", '[python]\ngroups = ["rapids"]',
        ("Tesla V100-SXM2-16GB",), "580.95.05", "12.8",
    ),
    Case(
        "fixed-cuda-honoured", '[image]\ncuda = "12.6"', ("NVIDIA GeForce RTX 4090",),
        "580.95.05", "12.6", "cu126", "2.11.0",
    ),
    # image.cuda names the base image; PyTorch has no cu132 wheel, the cu130 one runs in it.
    Case(
        "cuda-without-wheel-pairs-same-major", '[image]\ncuda = "13.2"',
        ("NVIDIA GeForce RTX 4090",), "595.71.05", "13.2", "cu130", "2.11.0",
    ),
    Case(
        "pairing-on-minor-compat-driver", '[image]\ncuda = "12.5"', ("NVIDIA GeForce RTX 4090",),
        "550.54.14", "12.5", "cu124", "2.6.0", minor_compat=True,
    ),
]


def _host(case: Case) -> HostFacts | None:
    if not case.gpus and case.driver is None:
        return None
    return HostFacts(gpus=tuple(GpuFact(name) for name in case.gpus), driver=case.driver)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_resolve(case: Case) -> None:
    spec = parse_spec(case.spec, "test")
    if case.reason:
        with pytest.raises(IncompatibleError) as raised:
            resolve(spec, _host(case))
        assert case.reason in (raised.value.details or ""), raised.value.details
        return
    env = resolve(spec, _host(case))
    assert env.cuda == case.cuda
    if case.variant:
        assert env.torch_variant == case.variant
    if case.torch:
        assert env.torch_version == case.torch
    assert env.minor_compat is case.minor_compat
    assert ("NVIDIA_DISABLE_REQUIRE" in env.runtime_env) is case.minor_compat
    assert any("minor-version compatibility" in w for w in env.warnings) is case.minor_compat


def test_default_gpu_plan_is_deterministic_and_pinned() -> None:
    spec = parse_spec("", "test")
    env = resolve(spec)
    assert env == resolve(spec)
    assert env.base_image == "docker.io/nvidia/cuda:13.0.3-cudnn-devel-ubuntu24.04"
    torch = env.layers[0]
    assert torch.name == "torch"
    assert torch.requirements == ("torch==2.11.0", "torchvision==0.26.0", "torchaudio==2.11.0")
    assert torch.index_url == UPSTREAMS["pytorch"] + "/cu130"
    assert env.labels["dev.dlenv.cuda"] == "13.0"
    assert env.labels["dev.dlenv.torch"] == "2.11.0+cu130"
    assert env.labels["dev.dlenv.base"] == env.base_image


def test_cpu_profile() -> None:
    env = resolve(parse_spec('profile = "cpu"\n[python]\ngroups = ["polars"]', "test"))
    assert env.base_image == "docker.io/library/ubuntu:24.04"
    assert env.cuda is None
    assert env.torch_variant == "cpu"
    assert env.layers[0].index_url == UPSTREAMS["pytorch"] + "/cpu"
    assert env.layers[0].requirements[0] == "torch==2.11.0"
    assert [layer.name for layer in env.layers] == ["torch", "core", "polars"]
    assert "dev.dlenv.cuda" not in env.labels


def test_cpu_profile_refuses_gpu_groups() -> None:
    from dlenv.errors import UsageError

    with pytest.raises(UsageError, match='"rapids" needs a GPU'):
        resolve(parse_spec('profile = "cpu"\n[python]\ngroups = ["rapids"]', "test"))


def test_gpu_profile_never_gets_a_cpu_wheel() -> None:
    spec = parse_spec('[torch]\nversion = "2.6"', "test")
    with pytest.raises(IncompatibleError):
        resolve(spec, HostFacts((GpuFact("NVIDIA GeForce RTX 5090"),), "570.124.06"))


def test_group_layers_follow_the_chosen_cuda_major() -> None:
    spec = parse_spec('[python]\ngroups = ["cupy", "rapids", "polars"]', "test")
    env = resolve(spec, HostFacts((GpuFact("NVIDIA A100-SXM4-80GB"),), "575.57.08"))
    layers = {layer.name: layer for layer in env.layers}
    assert env.cuda == "12.8"
    assert layers["rapids"].requirements == ("cudf-cu12>=25.10", "cuml-cu12>=25.10")
    assert layers["rapids"].extra_index_urls == (UPSTREAMS["nvidia"],)
    assert layers["cupy"].requirements == ("cupy-cuda12x>=13",)
    assert [layer.name for layer in env.layers] == ["torch", "rapids", "cupy", "core", "polars"]


def test_unknown_gpu_without_cc_is_a_warning_not_a_guess() -> None:
    env = resolve(parse_spec("", "test"), HostFacts((GpuFact("NVIDIA Mystery 9000"),), None))
    assert env.cuda == "13.0"
    assert any("Mystery 9000" in w for w in env.warnings)


def test_reported_compute_capability_wins_over_the_table() -> None:
    env = resolve(parse_spec("", "test"), HostFacts((GpuFact("NVIDIA Mystery", "6.1"),), None))
    assert env.cuda == "12.6"


def test_malformed_host_driver_is_a_warning() -> None:
    env = resolve(parse_spec("", "test"), HostFacts((), "garbage"))
    assert any("'garbage'" in w for w in env.warnings)
