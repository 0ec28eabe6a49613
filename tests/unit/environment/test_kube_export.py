"""What `dlenv export kube` decides: the image by digest, GPU resources, tolerations, files."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import msgspec
import pytest

from dlenv.environment.kube_export import (
    KubeChoices,
    gpu_limits,
    image_by_digest,
    kube_input,
    parse_toleration,
    write_kube,
)
from dlenv.environment.project import Project
from dlenv.errors import UsageError
from dlenv.render.kube import KubeSecret, Toleration
from dlenv.spec.model import RunSpec
from tests.unit.environment.test_cache import DIGEST, project_with

RECORDED = f"127.0.0.1:5000/team/cache/kc@{DIGEST}"


def cpu_project(tmp_path: Path) -> Project:
    project, _ = project_with(tmp_path, {})
    return project


def as_gpu(project: Project, gpus: str | list[str] = "all") -> Project:
    spec = msgspec.structs.replace(project.spec, profile="gpu", run=RunSpec(gpus=gpus))
    return replace(project, spec=spec)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nvidia.com/gpu:NoSchedule", Toleration("nvidia.com/gpu", "NoSchedule")),
        ("dedicated=ml:NoExecute", Toleration("dedicated", "NoExecute", "ml")),
        ("gpu", Toleration("gpu")),
    ],
)
def test_tolerations_read_like_kubectl_taints(text: str, expected: Toleration) -> None:
    assert parse_toleration(text) == expected


@pytest.mark.parametrize("text", ["nvidia.com/gpu:NoScheduled", "bad key:NoSchedule", "k=v v"])
def test_bad_tolerations_are_refused_with_the_form(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_toleration(text)
    assert "KEY[=VALUE][:EFFECT]" in (caught.value.hint or "")


def test_the_image_is_what_push_or_the_cache_recorded_for_this_content(tmp_path: Path) -> None:
    project = cpu_project(tmp_path)
    with pytest.raises(UsageError) as caught:
        image_by_digest(project, None)
    assert "dlenv push" in (caught.value.hint or "")
    project.state.record_published("another-content", RECORDED)
    with pytest.raises(UsageError):
        image_by_digest(project, None)  # recorded for other content: not this image
    project.state.record_published(project.context.digest, RECORDED)
    assert image_by_digest(project, None) == RECORDED


@pytest.mark.parametrize("given", ["registry.test/x:latest", "registry.test/x@sha256:abc", "a b"])
def test_an_image_option_must_be_by_digest(tmp_path: Path, given: str) -> None:
    with pytest.raises(UsageError):
        image_by_digest(cpu_project(tmp_path), given)


def test_gpu_resources_per_flavour(tmp_path: Path) -> None:
    project = cpu_project(tmp_path)
    assert gpu_limits(project, KubeChoices()) == {}
    with pytest.raises(UsageError):
        gpu_limits(project, KubeChoices(gpus=1))
    gpu = as_gpu(project)
    assert gpu_limits(gpu, KubeChoices()) == {"nvidia.com/gpu": 1}
    assert gpu_limits(gpu, KubeChoices(gpus=4)) == {"nvidia.com/gpu": 4}
    assert gpu_limits(gpu, KubeChoices(mig="1g.10gb")) == {"nvidia.com/mig-1g.10gb": 1}
    assert gpu_limits(as_gpu(project, ["0", "2"]), KubeChoices()) == {"nvidia.com/gpu": 2}
    podman = KubeChoices(flavor="podman")
    assert gpu_limits(as_gpu(project, ["0", "0:1"]), podman) == {
        "nvidia.com/gpu=0": 1,
        "nvidia.com/gpu=0:1": 1,
    }
    with pytest.raises(UsageError):
        gpu_limits(gpu, KubeChoices(mig="1g.10gb; rm -rf /"))


def test_a_cpu_pod_sees_no_gpu_on_a_gpu_node(tmp_path: Path) -> None:
    project = cpu_project(tmp_path)
    project.state.record_published(project.context.digest, RECORDED)
    assert kube_input(project, KubeChoices()).env["NVIDIA_VISIBLE_DEVICES"] == "void"


def test_the_secret_file_is_0600_and_the_podman_flavour_writes_none(tmp_path: Path) -> None:
    project = cpu_project(tmp_path / "p")
    project.state.record_published(project.context.digest, RECORDED)
    secret = KubeSecret("ssh-ed25519 AAAA me\n", "t0ken")
    files = write_kube(tmp_path / "out", kube_input(project, KubeChoices()), secret)
    assert files.secret is not None
    assert stat.S_IMODE(files.secret.stat().st_mode) == 0o600
    assert "t0ken" not in files.manifests.read_text()
    podman = write_kube(
        tmp_path / "play", kube_input(project, KubeChoices(flavor="podman")), secret
    )
    assert podman.secret is None
    assert sorted(p.name for p in (tmp_path / "play").iterdir()) == ["kc.yaml"]
    assert str(project.state.token_file) in podman.manifests.read_text()
