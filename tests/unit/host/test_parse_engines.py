"""docker/podman info, toolkit version/config, CDI specs, kernel facts, on real captures."""

from pathlib import Path

from dlenv.host.parse.engines import parse_docker_info, parse_podman_info
from dlenv.host.parse.kernel import match_known_errors, parse_mem_size, parse_secure_boot
from dlenv.host.parse.toolkit import parse_cdi_spec, parse_ctk_version, parse_toolkit_config

CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured"


def text(name: str) -> str:
    return (CAPTURED / name).read_text()


def test_docker_info_ci_machine():
    info = parse_docker_info(text("docker-info/rootful-debian12-ci.json"))
    assert info.reachable and info.server_version == "20.10.24+dfsg1"
    assert not info.has_nvidia_runtime and not info.rootless
    assert info.cgroup_driver == "cgroupfs" and info.root_dir == "/var/lib/dlenv-ci-docker/data"
    assert info.cdi_spec_dirs == ()


def test_docker_info_with_nvidia_runtime_and_systemd():
    info = parse_docker_info(text("docker-info/rootful-nvidia-systemd-ubuntu2204.json"))
    assert info.has_nvidia_runtime and info.cgroup_driver == "systemd"
    assert info.server_version == "24.0.7" and not info.rootless


def test_docker_daemon_down_keeps_the_error():
    info = parse_docker_info(
        text("docker-info/daemon-down-ci.json"), text("docker-info/daemon-down-ci.stderr")
    )
    assert not info.reachable
    assert info.error is not None and "Cannot connect to the Docker daemon" in info.error


def test_podman_info_rootful_and_rootless():
    rootful = parse_podman_info(text("podman-info/rootful-debian12-ci.json"))
    assert rootful is not None and not rootful.rootless
    assert (rootful.version, rootful.oci_runtime, rootful.cgroup_version) == ("4.3.1", "runc", "v1")
    assert rootful.graph_root == "/var/lib/containers/storage"
    rootless = parse_podman_info(text("podman-info/rootless-debian12-ci.json"))
    assert rootless is not None and rootless.rootless
    assert rootless.graph_root is not None and rootless.graph_root.endswith(
        ".local/share/containers/storage"
    )
    assert parse_podman_info("Error: something") is None


def test_cdi_specs_yaml_and_json():
    yaml_spec = parse_cdi_spec("/etc/cdi/nvidia.yaml", text("cdi/nvidia-520.61.05.yaml"))
    assert yaml_spec.kind == "nvidia.com/gpu" and yaml_spec.error is None
    assert yaml_spec.devices == ("0", "all")
    assert yaml_spec.driver_versions == ("520.61.05",)
    json_spec = parse_cdi_spec("/etc/cdi/nvidia.json", text("cdi/nvidia-minimal.json"))
    assert json_spec.devices == ("0", "GPU-955ef018-3bd9-5f27-80b3-fa20ee8d19c5", "all")
    assert json_spec.driver_versions == ()
    broken = parse_cdi_spec("/etc/cdi/x.yaml", "kind: [unclosed")
    assert broken.error is not None


def test_toolkit_version_and_config():
    assert parse_ctk_version("NVIDIA Container Toolkit CLI version 1.17.8\ncommit: abc") == "1.17.8"
    assert parse_ctk_version("nonsense") is None
    config = parse_toolkit_config(
        '[nvidia-container-cli]\nno-cgroups = true\n[nvidia-container-runtime]\nmode = "cdi"\n'
    )
    assert config is not None and config.no_cgroups and config.mode == "cdi"
    assert parse_toolkit_config("[broken") is None


def test_kernel_facts():
    assert parse_secure_boot(bytes([6, 0, 0, 0, 1])) is True
    assert parse_secure_boot(bytes([6, 0, 0, 0, 0])) is False
    assert parse_secure_boot(None) is None
    assert parse_mem_size("8g") == 8 * 1024**3 and parse_mem_size("65536k") == 64 * 1024**2
    assert parse_mem_size("lots") is None


def test_sandbox_podman_errors_are_recognised():
    # The two messages named in shared/reference/real-engines-here.md, inside a typical error line.
    crun = "Error: OCI runtime error: crun: cgroups in hybrid mode not supported"
    rlimit = (
        "Error: crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted: OCI permission denied"
    )
    assert [k.id for k in match_known_errors(crun)] == ["podman.crun_hybrid_cgroups"]
    assert [k.id for k in match_known_errors(rlimit)] == ["podman.setrlimit"]
    assert match_known_errors("all good") == []
