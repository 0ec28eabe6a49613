"""EngineHost from real `docker info` / `podman info` captures and CDI specs."""

from __future__ import annotations

from pathlib import Path

from dlenv.engine.host import engine_host, read_cdi_specs
from tests.support.engine_captures import (
    CAPTURED,
    CDI_520,
    CDI_MINIMAL,
    DOCKER_CDI,
    DOCKER_CI_NO_GPU,
    DOCKER_NVIDIA_RUNTIME,
    PODMAN_ROOTFUL,
    PODMAN_ROOTLESS,
    PODMAN_SELINUX,
    host,
)


def test_docker_with_the_nvidia_runtime() -> None:
    facts = host("docker", DOCKER_NVIDIA_RUNTIME)
    assert (facts.reachable, facts.nvidia_runtime, facts.cdi_enabled, facts.rootless) == (
        True, True, False, False,
    )  # fmt: skip
    assert facts.version == "24.0.7"


def test_docker_29_reports_cdi_and_no_runtime() -> None:
    facts = host("docker", DOCKER_CDI, CDI_MINIMAL)
    assert facts.cdi_enabled and not facts.nvidia_runtime
    assert facts.cdi_devices == {"0", "GPU-955ef018-3bd9-5f27-80b3-fa20ee8d19c5", "all"}


def test_ci_docker_20_has_neither() -> None:
    facts = host("docker", DOCKER_CI_NO_GPU)
    assert not facts.cdi_enabled and not facts.nvidia_runtime
    assert facts.version == "20.10.24+dfsg1"


def test_daemon_down_is_unreachable() -> None:
    text = (CAPTURED / "docker-info/daemon-down-ci.json").read_text()
    assert not engine_host("docker", text).reachable


def test_podman_rootful_rootless_and_selinux() -> None:
    assert not host("podman", PODMAN_ROOTFUL).rootless
    assert host("podman", PODMAN_ROOTLESS).rootless
    selinux = host("podman", PODMAN_SELINUX, CDI_520)
    assert selinux.rootless and selinux.selinux and selinux.cdi_enabled
    assert "0" in selinux.cdi_devices


def test_podman_info_that_is_not_json_is_unreachable() -> None:
    assert not engine_host("podman", "Error: cannot connect").reachable


def test_cdi_specs_are_read_from_both_directories(tmp_path: Path) -> None:
    (tmp_path / "etc/cdi").mkdir(parents=True)
    (tmp_path / "var/run/cdi").mkdir(parents=True)
    (tmp_path / "etc/cdi/nvidia.yaml").write_text(CDI_520.read_text())
    (tmp_path / "var/run/cdi/nvidia.json").write_text(CDI_MINIMAL.read_text())
    (tmp_path / "etc/cdi/README").write_text("not a spec")
    specs = read_cdi_specs(tmp_path)
    assert [s.path for s in specs] == ["/etc/cdi/nvidia.yaml", "/var/run/cdi/nvidia.json"]
    facts = engine_host("podman", PODMAN_ROOTFUL.read_text(), specs)
    assert {"0", "all", "GPU-955ef018-3bd9-5f27-80b3-fa20ee8d19c5"} <= facts.cdi_devices


def test_a_broken_cdi_spec_is_remembered(tmp_path: Path) -> None:
    (tmp_path / "etc/cdi").mkdir(parents=True)
    (tmp_path / "etc/cdi/nvidia.yaml").write_text("devices: [unclosed")
    facts = engine_host("podman", PODMAN_ROOTFUL.read_text(), read_cdi_specs(tmp_path))
    assert facts.cdi_problem is not None and "/etc/cdi/nvidia.yaml" in facts.cdi_problem
