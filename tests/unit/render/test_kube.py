"""render/kube.py: manifests as data, byte-stable YAML, golden files per flavour and GPU choice.

Every golden file is also checked with `kubernetes-validate --strict` (tests/e2e/test_export_kube.py
validates what the CLI writes; here the GPU variants that need no GPU to render).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dlenv.render.kube import (
    HostSecrets,
    KubeInput,
    KubeNames,
    KubeSecret,
    Toleration,
    manifests_yaml,
    quantity,
    render_kube,
    render_secret,
)

GOLDEN = Path(__file__).parents[2] / "golden" / "kube"
NAMES = KubeNames("vision", "vision-workspace", "vision-sshd", "vision-access")
IMAGE = "registry.example.test/team/vision@sha256:" + "ab" * 32
BASE = KubeInput(names=NAMES, image=IMAGE, user="dev", gid=1000)
CASES = {
    "gpu": KubeInput(
        names=NAMES,
        image=IMAGE,
        user="dev",
        gid=1000,
        gpu_limits={"nvidia.com/gpu": 2},
        runtime_class="nvidia",
        tolerations=(Toleration("nvidia.com/gpu", "NoSchedule"),),
    ),
    "mig-hostipc": KubeInput(
        names=NAMES,
        image=IMAGE,
        user="dev",
        gid=1001,
        shm_size=None,
        gpu_limits={"nvidia.com/mig-1g.10gb": 1},
        tolerations=(Toleration("dedicated", "NoExecute", "ml"),),
        storage_class="fast",
        workspace_size="200Gi",
    ),
    "podman": KubeInput(
        names=NAMES,
        image=IMAGE,
        user="dev",
        gid=1000,
        flavor="podman",
        gpu_limits={"nvidia.com/gpu=0": 1},
        bind="127.0.0.1",
        host_secrets=HostSecrets(
            "/home/u/.local/state/dlenv/envs/vision/jupyter_token",
            "/home/u/.local/state/dlenv/envs/vision/authorized_keys",
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_manifests(case: str) -> None:
    """Set DLENV_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""
    text = manifests_yaml(render_kube(CASES[case]))
    path = GOLDEN / f"{case}.yaml"
    if os.environ.get("DLENV_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()
    assert text == manifests_yaml(render_kube(CASES[case]))  # byte-stable


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_manifests_pass_kubernetes_validate(case: str, tmp_path: Path) -> None:
    validator = shutil.which("kubernetes-validate") or str(
        Path(sys.executable).parent / "kubernetes-validate"
    )
    if not Path(validator).exists():
        pytest.skip("kubernetes-validate is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [validator, "--strict", "--kubernetes-version", "1.37.0", str(GOLDEN / f"{case}.yaml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def kinds(given: KubeInput) -> list[str]:
    return [doc["kind"] for doc in render_kube(given)]


def pod_of(given: KubeInput) -> dict:  # type: ignore[type-arg]
    deployment = next(d for d in render_kube(given) if d["kind"] == "Deployment")
    return dict(deployment["spec"]["template"]["spec"])


def test_kubernetes_flavour_has_claims_a_recreate_deployment_and_a_cluster_ip_service() -> None:
    assert kinds(BASE) == [
        "PersistentVolumeClaim",
        "PersistentVolumeClaim",
        "Deployment",
        "Service",
    ]
    deployment = render_kube(BASE)[2]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert render_kube(BASE)[3]["spec"]["type"] == "ClusterIP"


def test_podman_flavour_plays_again_without_claims_services_or_secrets() -> None:
    podman = CASES["podman"]
    assert kinds(podman) == ["Deployment"]
    ports = pod_of(podman)["containers"][0]["ports"]
    assert {(p["containerPort"], p["hostPort"], p["hostIP"]) for p in ports} == {
        (22, 2222, "127.0.0.1"),
        (8888, 8888, "127.0.0.1"),
    }
    assert "secret" not in manifests_yaml(render_kube(podman)).replace("secrets", "")


def test_the_secret_holds_both_files_and_is_mounted_0400() -> None:
    secret = render_secret(BASE, KubeSecret("ssh-ed25519 AAAA me\n", "t0ken"))
    assert secret["kind"] == "Secret"
    assert set(secret["data"]) == {"authorized_keys", "jupyter_token"}
    assert "t0ken" not in manifests_yaml(render_kube(BASE))
    access = next(v for v in pod_of(BASE)["volumes"] if v["name"] == "access")
    assert access["secret"]["defaultMode"] == 0o400


def test_shared_memory_is_a_sized_memory_empty_dir_or_the_host_ipc() -> None:
    shm = next(v for v in pod_of(BASE)["volumes"] if v["name"] == "shm")
    assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": "8Gi"}
    host_ipc = pod_of(CASES["mig-hostipc"])
    assert host_ipc["hostIPC"] is True
    assert all(v["name"] != "shm" for v in host_ipc["volumes"])


@pytest.mark.parametrize(
    ("size", "expected"),
    [("8g", "8Gi"), ("512m", "512Mi"), ("64k", "64Ki"), ("1048576", "1048576")],
)
def test_docker_sizes_become_binary_quantities(size: str, expected: str) -> None:
    assert quantity(size) == expected


def test_the_pod_runs_with_the_up_capabilities_and_no_api_token() -> None:
    pod = pod_of(BASE)
    context = pod["containers"][0]["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"] == {"fsGroup": 1000}
    assert pod["automountServiceAccountToken"] is False
    probe = pod["containers"][0]["readinessProbe"]
    assert probe["tcpSocket"] == {"port": "ssh"}


def test_yaml_round_trips() -> None:
    for given in CASES.values():
        assert list(yaml.safe_load_all(manifests_yaml(render_kube(given)))) == render_kube(given)
