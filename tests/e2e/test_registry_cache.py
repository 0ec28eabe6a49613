"""The registry as the shared build cache, end to end: one machine builds and pushes to Debian's
docker-registry on loopback; a second machine (a second, empty Podman storage that does not even
hold the base image, so it cannot build) pulls and reaches SSH and Jupyter.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import BASE_IMAGE, CA_BUNDLE, Cli, SshClient, cpu_spec, require
from tests.e2e.test_up import http_status, remove_test_images
from tests.support.ports import free_ports
from tests.support.registry import PodmanStorage, Registry, serve_registry

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    require(shutil.which("docker-registry") is not None, "docker-registry is not installed")
    with serve_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def cached_spec(name: str, registry: Registry) -> str:
    # The packages of tests/e2e/test_up.py: the suites share the built layers.
    text = cpu_spec(name, "podman", packages=["jupyterlab", "numpy", "pandas"])
    return text.replace(
        "apt = []\n", f'apt = []\nregistry = "{registry.address}/kube-e2e"\nregistry_tls = false\n'
    )


def test_a_second_machine_pulls_instead_of_building(
    registry: Registry,
    cli_factory: Any,
    ssh_client: SshClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    name = f"kube-reg-{secrets.token_hex(3)}"  # a new local tag: the first machine must build
    first: Cli = cli_factory("podman", name)
    (first.cwd / "dlenv.toml").write_text(cached_spec(name, registry))
    built = first("build", "--ca-bundle", CA_BUNDLE)
    assert "pushed" in built.stderr and "to the registry cache" in built.stderr, built.stderr

    storage = PodmanStorage.create(tmp_path_factory.mktemp("second-machine"))
    second: Cli = cli_factory("podman", name)
    second.env.update(storage.env())
    (second.cwd / "dlenv.toml").write_text(cached_spec(name, registry))
    try:
        ssh_port, jupyter_port = free_ports(2)
        up = second(
            "up", "--json", "--authorized-keys", f"{ssh_client.key}.pub",
            "--ca-bundle", CA_BUNDLE,
            "--ssh-port", str(ssh_port), "--jupyter-port", str(jupyter_port),
        )  # fmt: skip
        assert "from the registry cache (no build needed)" in up.stderr, up.stderr
        assert "building" not in up.stderr
        # The second storage never held the base image: nothing here could have been built.
        base = subprocess.run(
            ["podman", "image", "exists", BASE_IMAGE], env=second.env, check=False
        )
        assert base.returncode == 1
        access = json.loads(up.stdout)
        login = ssh_client.run(ssh_port, "python -c 'import jupyterlab; print(\"ok\")'")
        assert login.stdout.strip() == "ok", login.stderr
        token = str(access["jupyter"]["url"]).split("token=", 1)[1]
        api = f"http://127.0.0.1:{jupyter_port}/api/status"
        assert http_status(api, token) == 200
        assert http_status(api) == 403
    finally:
        second("down", check=False)
        storage.remove(second.env)
        remove_test_images("podman", first.env, (name,))
