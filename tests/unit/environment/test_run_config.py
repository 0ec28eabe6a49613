"""`Project.run_config` asks the engine for its facts and turns them into run flags.

The engine's answers are real captures replayed by a fake runner; the CDI directory is a temp tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.commands.slurm import slurm_job
from dlenv.engine.gpu import GpuUnavailable
from dlenv.environment.project import Placement
from dlenv.errors import DlenvError
from dlenv.labels import EnvLabels
from tests.support.engine_captures import (
    CDI_520,
    DOCKER_CI_NO_GPU,
    PODMAN_ROOTFUL,
    PODMAN_ROOTLESS,
)
from tests.support.projects import captured_project as project


@pytest.mark.parametrize(
    ("program", "info"), [("docker", DOCKER_CI_NO_GPU), ("podman", PODMAN_ROOTFUL)]
)
def test_gpu_profile_without_an_nvidia_gpu_says_so_first(
    tmp_path: Path, program: str, info: Path
) -> None:
    # Regression: on a host without a GPU, `up` said "no CDI spec" and suggested nvidia-ctk.
    with pytest.raises(DlenvError) as failure:
        project(tmp_path, program, info, 'name = "g"\n', gpu=False).run_config()
    assert "no NVIDIA GPU" in failure.value.message and "gpu.none" in failure.value.message
    assert "--profile cpu" in (failure.value.hint or "")
    assert not isinstance(failure.value, GpuUnavailable)


def test_gpu_profile_on_docker_without_a_gpu_runtime_fails_before_running(
    tmp_path: Path,
) -> None:
    with pytest.raises(GpuUnavailable) as failure:
        project(tmp_path, "docker", DOCKER_CI_NO_GPU, 'name = "g"\n').run_config()
    assert failure.value.finding == "docker.no_gpu_runtime"


def test_gpu_profile_on_rootful_podman_with_cdi(tmp_path: Path) -> None:
    spec = 'name = "g"\n[run]\ngpus = [0]\nipc = "host"\n'
    config = project(tmp_path, "podman", PODMAN_ROOTFUL, spec, CDI_520).run_config()
    assert config.gpu_flags == (
        "--device", "nvidia.com/gpu=0", "--ulimit", "memlock=-1", "--ulimit", "stack=67108864",
    )  # fmt: skip
    assert (config.shm_size, config.extra_flags) == (None, ("--ipc=host",))


def test_cpu_profile_on_rootless_podman_gets_keep_id_and_no_gpu_flags(tmp_path: Path) -> None:
    spec = 'name = "c"\nprofile = "cpu"\n[run]\nshm_size = "2g"\n'
    config = project(tmp_path, "podman", PODMAN_ROOTLESS, spec).run_config()
    assert config.gpu_flags == ()
    assert (config.shm_size, config.extra_flags) == ("2g", ("--userns=keep-id", "--user=0:0"))


def test_a_placement_sets_ports_gpus_and_the_labels_that_record_them(tmp_path: Path) -> None:
    spec = 'name = "g"\n[run]\ngpus = "auto:1"\n'
    opened = project(tmp_path, "podman", PODMAN_ROOTFUL, spec, CDI_520)
    config = opened.run_config(Placement(2223, 8889, ("0",)))
    assert config.ports == {2223: 22, 8889: 8888}
    assert config.gpu_flags[:2] == ("--device", "nvidia.com/gpu=0")
    labels = EnvLabels.decode(config.labels, "g")
    assert (labels.ssh_port, labels.jupyter_port, labels.gpus) == (2223, 8889, ("0",))
    assert (labels.owner_uid, labels.owner) == (1000, "tester")


def test_an_unresolved_auto_never_becomes_a_flag(tmp_path: Path) -> None:
    spec = 'name = "g"\n[run]\ngpus = "auto:1"\n'
    with pytest.raises(DlenvError, match="not resolved"):
        project(tmp_path, "podman", PODMAN_ROOTFUL, spec, CDI_520).run_config()


def test_the_slurm_job_of_a_gpu_project(tmp_path: Path) -> None:
    spec = 'name = "g"\n[run]\ngpus = "auto:2"\n'
    opened = project(tmp_path, "podman", PODMAN_ROOTFUL, spec, CDI_520)
    job = slurm_job(opened, "run", ("python", "train.py"), image=None, gpus=None,
                    partition=None, time=None)  # fmt: skip
    assert (job.gpus, job.image, job.workspace) == (2, opened.image_tag, str(tmp_path))
    assert "--ulimit" not in job.run_flags  # GPU ulimits come with GPU flags, not here
    with pytest.raises(DlenvError, match="not an image reference"):
        slurm_job(opened, "run", ("x",), image="Bad Ref", gpus=None, partition=None, time=None)


def test_a_slurm_job_runs_the_registry_cache_image_when_there_is_one(tmp_path: Path) -> None:
    """Every node of a cluster can pull from image.registry; the login node's own image tag is
    only the fallback. A plain-HTTP cache tells podman in the job not to verify TLS."""
    spec = (
        'name = "g"\n[image]\nregistry = "127.0.0.1:5000/lab/cache"\nregistry_tls = false\n'
        '[run]\ngpus = "auto:1"\n'
    )
    opened = project(tmp_path, "podman", PODMAN_ROOTFUL, spec, CDI_520)
    job = slurm_job(opened, "run", ("python",), image=None, gpus=None, partition=None, time=None)
    assert job.image.startswith("127.0.0.1:5000/lab/cache/")
    assert job.image.endswith(":" + opened.image_tag.rsplit(":", 1)[1])
    assert "--tls-verify=false" in job.run_flags
    given = slurm_job(opened, "run", ("python",), image="127.0.0.1:5000/x:1", gpus=None,
                      partition=None, time=None)  # fmt: skip
    assert given.image == "127.0.0.1:5000/x:1" and "--tls-verify=false" not in given.run_flags
