"""`dlenv export` end to end: the real Dev Containers CLI (`@devcontainers/cli`) runs the exported
devcontainer.json on the real Docker Engine, and Debian's docker-compose (Docker) and
podman-compose (Podman) run the exported compose file; real ssh and HTTP reach what they start.

One image per engine, built by `dlenv build` (with the machine's CA bundle, which a build context
handed to another tool cannot carry) and run through `--image`. The build-context form is checked
by `devcontainer read-configuration` and `docker-compose config`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import CA_BUNDLE, Cli, SshClient, cpu_spec, require
from tests.e2e.test_up import http_status, remove_test_images
from tests.support.ports import free_ports

pytestmark = pytest.mark.e2e

GOLDEN = Path(__file__).parents[1] / "golden" / "export"
COMPOSE = {"docker": "docker-compose", "podman": "podman-compose"}


@dataclass
class Built:
    engine: str
    name: str
    cli: Cli
    ssh: SshClient
    ports: tuple[int, int]

    def export(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.cli(
            "export", *args, "--authorized-keys", f"{self.ssh.key}.pub", "--ca-bundle", CA_BUNDLE
        )

    @property
    def token(self) -> str:
        state = Path(self.cli.env["DLENV_STATE_DIR"]) / "envs" / self.name
        return (state / "jupyter_token").read_text().strip()

    def run(self, *argv: str, cwd: Path | None = None, timeout: float = 300) -> Any:
        return subprocess.run(
            list(argv), cwd=cwd or self.cli.cwd, env=self.cli.env, capture_output=True,
            text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def wait_for_jupyter(self, timeout: float = 180) -> int:
        url = f"http://127.0.0.1:{self.ports[1]}/api/status"
        deadline = time.monotonic() + timeout
        status = 0
        while time.monotonic() < deadline:
            try:
                status = http_status(url, self.token)
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(2)
        return status


@pytest.fixture(scope="module", params=["docker", "podman"])
def built(
    request: pytest.FixtureRequest, cli_factory: Any, ssh_client: SshClient
) -> Iterator[Built]:
    engine = str(request.param)
    name = f"export-{engine}"
    cli: Cli = cli_factory(engine, name)
    ports = free_ports(2)
    # The packages of test_up and test_everyday_commands: the engines' layer caches serve the
    # image those tests build (or build here for them), so the suite builds it once.
    spec = cpu_spec(name, engine, packages=["jupyterlab", "numpy", "pandas"], ports=ports)
    (cli.cwd / "dlenv.toml").write_text(spec)
    cli("build", "--ca-bundle", CA_BUNDLE)
    yield Built(engine, name, cli, ssh_client, ports)
    subprocess.run([engine, "rm", "-f", name], env=cli.env, capture_output=True, check=False)
    subprocess.run(
        [engine, "volume", "rm", "-f", f"{name}-workspace", f"{name}-sshd"],
        env=cli.env, capture_output=True, check=False,
    )  # fmt: skip
    subprocess.run(
        [engine, "network", "rm", f"{name}_default"], env=cli.env, capture_output=True, check=False
    )
    remove_test_images(engine, cli.env, (name,))


def test_compose_runs_the_environment(built: Built) -> None:
    tool = COMPOSE[built.engine]
    require(shutil.which(tool) is not None, f"{tool} is not installed (apt install {tool})")
    built.export("compose", "--image", "--out", "compose")
    folder = built.cli.cwd / "compose"
    assert not (folder / "dlenv-build").exists()  # --image: no build context
    assert built.token not in (folder / "compose.yaml").read_text()
    # The project name (and so the network's) is the test's own; podman-compose 1.0 leaves the
    # network behind on `down`, the fixture removes it.
    up = built.run(tool, "-p", built.name, "up", "-d", cwd=folder)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        assert built.wait_for_jupyter() == 200
        assert http_status(f"http://127.0.0.1:{built.ports[1]}/api/status") == 403
        login = built.ssh.run(built.ports[0], "python -c 'import numpy; print(numpy.__name__)'")
        assert login.stdout.strip() == "numpy", login.stderr
        # dlenv's labels ride along, so dlenv's own commands know the container.
        status = json.loads(built.cli("status", "--json").stdout)
        assert status["state"] == "running" and status["ssh"]["port"] == built.ports[0]
    finally:
        down = built.run(tool, "-p", built.name, "down", cwd=folder)
        assert down.returncode == 0, down.stdout + down.stderr


def test_devcontainer_cli_runs_the_environment(built: Built) -> None:
    if built.engine != "docker":
        pytest.skip("the Dev Containers CLI is tested against Docker (issue 14)")
    require(shutil.which("devcontainer") is not None, "npm install -g @devcontainers/cli")
    built.export("devcontainer", "--image")
    folder = str(built.cli.cwd)
    read = built.run("devcontainer", "read-configuration", "--workspace-folder", folder)
    assert read.returncode == 0, read.stderr
    configuration = json.loads(read.stdout)["configuration"]
    assert configuration["image"].startswith(f"localhost/dlenv/{built.name}:")
    assert configuration["remoteUser"] == "dev" and "--cap-drop=ALL" in configuration["runArgs"]
    up = built.run("devcontainer", "up", "--workspace-folder", folder)
    result = json.loads(up.stdout.strip().splitlines()[-1])
    assert result["outcome"] == "success", up.stdout + up.stderr
    try:
        numpy = built.run(
            "devcontainer", "exec", "--workspace-folder", folder,
            "python", "-c", "import numpy, os; print(numpy.__name__, os.getuid())",
        )  # fmt: skip
        assert numpy.returncode == 0, numpy.stderr
        assert numpy.stdout.split()[0] == "numpy"
        # The image's entrypoint ran (overrideCommand false) with the mounted token: Jupyter
        # answers inside the container with it.
        probe = (
            "import time, urllib.request\n"
            "for _ in range(90):\n"
            "    try:\n"
            "        print(urllib.request.urlopen('http://127.0.0.1:8888/api/status?token="
            f"{built.token}').status); break\n"
            "    except OSError: time.sleep(2)\n"
        )
        jupyter = built.run(
            "devcontainer", "exec", "--workspace-folder", folder, "python", "-c", probe
        )
        assert jupyter.stdout.strip() == "200", jupyter.stdout + jupyter.stderr
    finally:
        built.run(built.engine, "rm", "-f", result["containerId"])


def test_exported_build_contexts_are_read_by_the_tools(built: Built) -> None:
    if built.engine != "docker":
        pytest.skip("checked once: the files do not depend on the engine's tools")
    require(shutil.which("devcontainer") is not None, "npm install -g @devcontainers/cli")
    require(shutil.which("docker-compose") is not None, "apt install docker-compose")
    built.cli("export", "devcontainer", "--out", "context", "--authorized-keys",
              f"{built.ssh.key}.pub")  # fmt: skip
    folder = built.cli.cwd / "context"
    read = built.run("devcontainer", "read-configuration", "--workspace-folder", str(folder))
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["configuration"]["build"]["dockerfile"] == "Containerfile"
    assert (folder / ".devcontainer" / "Containerfile").is_file()
    built.cli("export", "compose", "--out", "context", "--authorized-keys", f"{built.ssh.key}.pub")
    config = built.run("docker-compose", "config", cwd=folder)
    assert config.returncode == 0, config.stderr
    assert "dlenv-build" in config.stdout


@pytest.mark.parametrize("case", ["gpu-docker-runtime-all", "gpu-docker-runtime-selected"])
def test_docker_compose_reads_the_gpu_device_reservation(case: str, tmp_path: Path) -> None:
    """Debian's docker-compose 1.29 accepts `deploy.resources.reservations.devices` as dlenv
    writes it (no GPU here to run it: the golden file from captured nvidia-runtime facts)."""
    require(shutil.which("docker-compose") is not None, "apt install docker-compose")
    (tmp_path / "dlenv-build").mkdir()
    shutil.copy(GOLDEN / case / "compose.yaml", tmp_path / "compose.yaml")
    done = subprocess.run(
        ["docker-compose", "config"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    read = yaml.safe_load(done.stdout)["services"]["demo"]["deploy"]["resources"]
    expected = yaml.safe_load((GOLDEN / case / "compose.yaml").read_text())
    assert read == expected["services"]["demo"]["deploy"]["resources"]
