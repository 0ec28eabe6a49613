"""devcontainer.json and compose.yaml: golden files per host setup, from `Project.run_config`
over captured engine facts (tests/support/projects.py), so the exports carry the very flags
`dlenv up` runs with. Set DLENV_UPDATE_GOLDEN=1 to rewrite the golden files after an intended
change."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from dlenv.engine.argv import HARDENING_FLAGS, run_argv
from dlenv.engine.gpu import GPU_ULIMITS
from dlenv.render.compose import compose, compose_text, run_flag_keys
from dlenv.render.devcontainer import devcontainer, devcontainer_text
from dlenv.render.export_source import ExportSource
from tests.support.engine_captures import (
    CDI_520,
    DOCKER_CI_NO_GPU,
    DOCKER_NVIDIA_RUNTIME,
    PODMAN_ROOTFUL,
    PODMAN_ROOTLESS,
)
from tests.support.projects import captured_project

GOLDEN = Path(__file__).parents[2] / "golden" / "export"
CPU = 'name = "demo"\nprofile = "cpu"\n'
GPU = 'name = "demo"\n'
# case -> (engine, captured `info`, spec, CDI spec)
CASES = {
    "cpu-docker": ("docker", DOCKER_CI_NO_GPU, CPU, None),
    "cpu-podman-rootless": ("podman", PODMAN_ROOTLESS, CPU, None),
    "gpu-docker-runtime-all": ("docker", DOCKER_NVIDIA_RUNTIME, GPU, None),
    "gpu-docker-runtime-selected": (
        "docker", DOCKER_NVIDIA_RUNTIME, GPU + '[run]\ngpus = [0, 2]\n', None,
    ),
    "gpu-podman-cdi": ("podman", PODMAN_ROOTFUL, GPU + '[run]\nipc = "host"\n', CDI_520),
}  # fmt: skip


def source_for(case: str, tmp_path: Path, *, image: str | None = None) -> ExportSource:
    program, info, spec, cdi = CASES[case]
    tmp_path.mkdir(parents=True, exist_ok=True)
    project = captured_project(tmp_path, program, info, spec, cdi)
    return ExportSource(
        config=project.run_config(),
        user=project.spec.image.user,
        workspace_target=project.workspace_target,
        image=image,
        gpu=project.spec.profile == "gpu",
    )


def rendered(case: str, tmp_path: Path) -> dict[str, str]:
    source = source_for(case, tmp_path)
    tmp_path = tmp_path.resolve()
    files = {
        "devcontainer.json": devcontainer_text(source),
        "compose.yaml": compose_text(source, spec_source="dlenv.toml"),
    }
    # The state directory lives under the test's temp directory, and so does the spec file the
    # build context names (hence its digest).
    return {
        name: re.sub(r"\b[0-9a-f]{64}\b", "<digest>", text.replace(str(tmp_path), "/TMP"))
        for name, text in files.items()
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_exports(case: str, tmp_path: Path) -> None:
    files = rendered(case, tmp_path)
    directory = GOLDEN / case
    if os.environ.get("DLENV_UPDATE_GOLDEN"):
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (directory / name).write_text(text)
    assert files == {p.name: p.read_text() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("case", sorted(CASES))
def test_exports_carry_the_run_flags_of_dlenv_up(case: str, tmp_path: Path) -> None:
    source = source_for(case, tmp_path)
    config = source.config
    argv = run_argv("docker", config)
    document = devcontainer(source)
    run_args = document["runArgs"]
    for flag in (*HARDENING_FLAGS, *config.extra_flags):
        assert flag in run_args and flag in argv
    if config.shm_size:
        assert run_args[run_args.index("--shm-size") + 1] == config.shm_size
    mounts = document["mounts"] + [document["workspaceMount"]]
    assert len(mounts) == len(config.mounts)
    service = compose(source)["services"]["demo"]
    assert service["volumes"] == [m.flag() for m in config.mounts]
    assert service["cap_drop"] == ["ALL"] and "no-new-privileges" in service["security_opt"]


def test_docker_runtime_gpus_become_a_device_reservation(tmp_path: Path) -> None:
    every = compose(source_for("gpu-docker-runtime-all", tmp_path / "a"))["services"]["demo"]
    assert every["deploy"] == {
        "resources": {
            "reservations": {
                "devices": [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]
            }
        }
    }
    assert every["ulimits"] == {"memlock": -1, "stack": 67108864}
    assert "devices" not in every
    selected = compose(source_for("gpu-docker-runtime-selected", tmp_path / "b"))
    request = selected["services"]["demo"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert request["device_ids"] == ["0", "2"] and "count" not in request


def test_podman_gpus_are_a_cdi_device(tmp_path: Path) -> None:
    service = compose(source_for("gpu-podman-cdi", tmp_path))["services"]["demo"]
    assert service["devices"] == ["nvidia.com/gpu=all"]
    assert "deploy" not in service and service["ipc"] == "host"
    document = devcontainer(source_for("gpu-podman-cdi", tmp_path / "dc"))
    assert document["hostRequirements"] == {"gpu": True}
    assert "--device" in document["runArgs"] and "nvidia.com/gpu=all" in document["runArgs"]


def test_devcontainer_leaves_docker_gpus_all_to_the_cli(tmp_path: Path) -> None:
    # The Dev Containers CLI adds `--gpus all` for hostRequirements.gpu when Docker has the
    # nvidia runtime; a second one from dlenv would ask for the GPUs twice.
    document = devcontainer(source_for("gpu-docker-runtime-all", tmp_path / "a"))
    assert document["hostRequirements"] == {"gpu": True}
    assert "--gpus" not in document["runArgs"]
    assert all(flag in document["runArgs"] for flag in GPU_ULIMITS)
    selected = devcontainer(source_for("gpu-docker-runtime-selected", tmp_path / "b"))
    at = selected["runArgs"].index("--gpus")
    assert selected["runArgs"][at + 1] == '"device=0,2"'


def test_rootless_podman_keeps_the_invokers_ids(tmp_path: Path) -> None:
    service = compose(source_for("cpu-podman-rootless", tmp_path))["services"]["demo"]
    assert (service["userns_mode"], service["user"]) == ("keep-id", "0:0")


def test_image_or_build(tmp_path: Path) -> None:
    built = source_for("cpu-docker", tmp_path / "a", image="localhost/dlenv/demo:0123456789ab")
    assert devcontainer(built)["image"] == "localhost/dlenv/demo:0123456789ab"
    assert "build" not in devcontainer(built)
    assert compose(built)["services"]["demo"]["image"] == built.image
    context = source_for("cpu-docker", tmp_path / "b")
    assert devcontainer(context)["build"] == {"dockerfile": "Containerfile", "context": "."}
    assert compose(context)["services"]["demo"]["build"]["context"] == "./dlenv-build"


def test_secrets_are_mounted_files_never_values(tmp_path: Path) -> None:
    source = source_for("cpu-docker", tmp_path)
    document = devcontainer(source)
    secret_mounts = [m for m in document["mounts"] if m.endswith(",readonly")]
    assert [m.split("target=")[1] for m in secret_mounts] == [
        "/etc/dlenv/authorized_keys,readonly",
        "/etc/dlenv/secrets/jupyter_token,readonly",
    ]
    # The environment holds paths only: the cache variables (run.caches), no secret.
    cache_paths = {
        "HF_HOME": "/var/cache/dlenv/huggingface", "PIP_CACHE_DIR": "/var/cache/dlenv/pip",
        "TORCH_HOME": "/var/cache/dlenv/torch", "UV_CACHE_DIR": "/var/cache/dlenv/uv",
        "UV_NO_CACHE": "0",
    }  # fmt: skip
    assert document["containerEnv"] == cache_paths and "remoteEnv" not in document
    assert compose(source)["services"]["demo"]["environment"] == cache_paths


def test_exports_are_byte_stable_and_parse(tmp_path: Path) -> None:
    first = rendered("gpu-podman-cdi", tmp_path / "a")
    second = rendered("gpu-podman-cdi", tmp_path / "b")
    assert first == second
    json.loads(first["devcontainer.json"])
    yaml.safe_load(first["compose.yaml"])


def test_a_run_flag_without_a_compose_key_is_an_error() -> None:
    assert run_flag_keys(("--ulimit", "nofile=1024", "--ipc=host")) == {
        "ulimits": {"nofile": 1024},
        "ipc": "host",
    }
    with pytest.raises(ValueError, match="--privileged"):
        run_flag_keys(("--privileged=true",))


def test_a_line_break_in_the_spec_path_stays_in_the_comment(tmp_path: Path) -> None:
    source = source_for("cpu-docker", tmp_path)
    text = compose_text(source, spec_source="/repo/x\nservices: {evil: {image: x}}/dlenv.toml")
    assert text.splitlines()[0].startswith("# Generated by dlenv from /repo/x?services")
    assert list(yaml.safe_load(text)["services"]) == ["demo"]
