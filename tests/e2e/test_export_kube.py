"""`dlenv export kube` end to end: every manifest passes `kubernetes-validate --strict`, and the
podman flavour runs for real under `podman kube play` (CPU profile): SSH and Jupyter answer, and
the workspace survives `podman kube down` followed by `play`.

The image goes the way a cluster gets it: `dlenv push` to Debian's docker-registry on loopback,
which records the digest that `export kube` then names.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import CA_BUNDLE, Cli, SshClient, cpu_spec, require
from tests.e2e.test_up import http_status, remove_test_images
from tests.support.ports import free_ports
from tests.support.registry import Registry, serve_registry

pytestmark = pytest.mark.e2e

# The newest Kubernetes whose schemas kubernetes-validate 1.37.0 bundles.
KUBERNETES_VERSION = "1.37.0"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    require(shutil.which("docker-registry") is not None, "docker-registry is not installed")
    with serve_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def validate(path: Path) -> None:
    validator = shutil.which("kubernetes-validate") or str(
        Path(sys.executable).parent / "kubernetes-validate"
    )
    require(Path(validator).exists(), "kubernetes-validate is not installed (dev extras)")
    done = subprocess.run(
        [validator, "--strict", "--kubernetes-version", KUBERNETES_VERSION, str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert done.stdout.count("passed") + done.stderr.count("passed") == len(kinds)


def wait_for_ssh(ssh: SshClient, port: int, command: str) -> subprocess.CompletedProcess[str]:
    deadline = time.monotonic() + 120
    while True:
        done = ssh.run(port, command)
        if done.returncode == 0 or time.monotonic() > deadline:
            return done
        time.sleep(2)


def wait_for_jupyter(url: str, token: str) -> int:
    deadline = time.monotonic() + 120
    while True:
        try:
            return http_status(url, token)
        except OSError:  # not listening yet: the readiness probe only waits for SSH
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def test_exported_manifests_validate_and_run_under_podman_kube_play(
    registry: Registry, cli_factory: Any, ssh_client: SshClient
) -> None:
    name = f"kube-play-{secrets.token_hex(3)}"
    cli: Cli = cli_factory("podman", name)
    ssh_port, jupyter_port = free_ports(2)
    # The packages of tests/e2e/test_up.py: the suites share the built layers.
    packages = ["jupyterlab", "numpy", "pandas"]
    spec = cpu_spec(name, "podman", packages=packages, ports=(ssh_port, jupyter_port))
    (cli.cwd / "dlenv.toml").write_text(spec)
    build = ("--ca-bundle", CA_BUNDLE)
    keys = ("--authorized-keys", f"{ssh_client.key}.pub")
    cli("build", *build)
    pushed = cli("push", *build, "--no-tls-verify", f"{registry.address}/kube-e2e/{name}:1")
    reference = pushed.stdout.strip().splitlines()[-1]
    assert reference.startswith(f"{registry.address}/kube-e2e/{name}@sha256:")

    # The Kubernetes flavour: the image named by the digest `dlenv push` recorded.
    cli(
        "export", "kube", *build, *keys, "--out", "k8s", "--toleration", "nvidia.com/gpu:NoSchedule"
    )
    manifests, secret_file = (
        cli.cwd / "k8s" / f"{name}.yaml",
        cli.cwd / "k8s" / f"{name}-secret.yaml",
    )
    assert (secret_file.stat().st_mode & 0o777) == 0o600
    for path in (manifests, secret_file):
        validate(path)
    assert f"image: {reference}" in manifests.read_text()
    token = (Path(cli.env["DLENV_STATE_DIR"]) / "envs" / name / "jupyter_token").read_text().strip()
    assert token not in manifests.read_text()

    # The podman flavour, for real.
    cli("export", "kube", *build, *keys, "--out", "play", "--flavor", "podman")
    played = cli.cwd / "play" / f"{name}.yaml"
    validate(played)
    play = ["podman", "kube", "play", "--tls-verify=false", str(played)]
    down = ["podman", "kube", "down", str(played)]
    try:
        subprocess.run(play, env=cli.env, capture_output=True, text=True, check=True)
        login = wait_for_ssh(ssh_client, ssh_port, "echo kept > ~/workspace/proof && echo ok")
        assert login.stdout.strip() == "ok", login.stderr
        api = f"http://127.0.0.1:{jupyter_port}/api/status"
        assert wait_for_jupyter(api, token) == 200
        assert http_status(api) == 403

        subprocess.run(down, env=cli.env, capture_output=True, check=True)
        subprocess.run(play, env=cli.env, capture_output=True, text=True, check=True)
        # The same host key (known_hosts is strict after the first login) and the same file.
        again = wait_for_ssh(ssh_client, ssh_port, "cat ~/workspace/proof")
        assert again.stdout.strip() == "kept", again.stderr
    finally:
        subprocess.run(down, env=cli.env, capture_output=True, check=False)
        subprocess.run(
            ["podman", "volume", "rm", f"{name}-workspace", f"{name}-sshd"],
            env=cli.env, capture_output=True, check=False,
        )  # fmt: skip
        subprocess.run(["podman", "rmi", reference], env=cli.env, capture_output=True, check=False)
        remove_test_images("podman", cli.env, (name,))
