"""End-to-end harness: real engines, a real sshd reached by the real OpenSSH client, real Jupyter.

`.ci/prepare-engines.sh` sets the machine up (containers.conf, dockerd, the debootstrapped base
image). Set DLENV_E2E_REQUIRED=1 (CI does) to turn a missing prerequisite into a failure instead
of a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_IMAGE = os.environ.get("DLENV_TEST_BASE_IMAGE", "localhost/dlenv-test/debian:bookworm")
CA_BUNDLE = os.environ.get("DLENV_TEST_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
DOCKER_HOST = os.environ.get(
    "DLENV_TEST_DOCKER_HOST", "unix:///var/lib/dlenv-ci-docker/docker.sock"
)


def require(condition: bool, why: str) -> None:
    if condition:
        return
    if os.environ.get("DLENV_E2E_REQUIRED"):
        pytest.fail(f"end-to-end prerequisite missing: {why}")
    pytest.skip(why)


@dataclass
class Cli:
    """Runs the real `dlenv` CLI in a subprocess, with its own state directory."""

    env: dict[str, str]
    cwd: Path

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "dlenv", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.cwd,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"dlenv {' '.join(args)} exited {done.returncode}\n"
                f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            )
        return done


@dataclass
class SshClient:
    key: Path
    known_hosts: Path

    def argv(self, port: int, user: str = "dev", *extra: str) -> list[str]:
        return [
            "ssh",
            "-p",
            str(port),
            "-i",
            str(self.key),
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"UserKnownHostsFile={self.known_hosts}",
            "-o",
            "ConnectTimeout=10",
            *extra,
            f"{user}@127.0.0.1",
        ]

    def run(
        self, port: int, command: str, user: str = "dev", *extra: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.argv(port, user, *extra), command],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture(scope="session")
def ssh_client(tmp_path_factory: pytest.TempPathFactory) -> SshClient:
    require(
        shutil.which("ssh") is not None and shutil.which("ssh-keygen") is not None,
        "OpenSSH client not installed",
    )
    directory = tmp_path_factory.mktemp("ssh")
    key = directory / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return SshClient(key, directory / "known_hosts")


def engine_env(engine: str) -> dict[str, str]:
    env = dict(os.environ)
    if engine == "docker":
        env["DOCKER_HOST"] = DOCKER_HOST
    return env


def engine_ready(engine: str) -> tuple[bool, str]:
    if shutil.which(engine) is None:
        return False, f"{engine} is not installed"
    probe = subprocess.run(
        [engine, "image", "inspect", BASE_IMAGE],
        capture_output=True,
        text=True,
        env=engine_env(engine),
        check=False,
    )
    if probe.returncode != 0:
        return False, f"{engine} has no base image {BASE_IMAGE} (run .ci/prepare-engines.sh)"
    return True, ""


@pytest.fixture(scope="session")
def cli_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    made: list[tuple[Cli, str]] = []

    def make(engine: str, name: str) -> Cli:
        ok, why = engine_ready(engine)
        require(ok, why)
        root = tmp_path_factory.mktemp(f"{engine}-{name}")
        env = engine_env(engine)
        env["DLENV_STATE_DIR"] = str(root / "state")
        env["PYTHONUNBUFFERED"] = "1"
        cli = Cli(env, root)
        made.append((cli, name))
        return cli

    yield make
    for cli, name in made:
        cli("down", "--name", name, check=False)


def cpu_spec(
    name: str,
    engine: str,
    *,
    packages: list[str],
    torch_packages: list[str] | None = None,
    ports: tuple[int, int] | None = None,
) -> str:
    """A CPU-profile dlenv.toml on the test base image with its system Python: what every e2e
    test builds here (no registry; PyTorch's index is unreachable, so torch only from stand-ins)."""
    torch = (
        f"enabled = true\npackages = {json.dumps(torch_packages)}"
        if torch_packages
        else "enabled = false"
    )
    text = (
        f'name = "{name}"\nprofile = "cpu"\nengine = "{engine}"\n\n'
        f'[image]\nbase = "{BASE_IMAGE}"\napt = []\n\n'
        f'[python]\nversion = "system"\npackages = {json.dumps(packages)}\n\n'
        f"[torch]\n{torch}\n"
    )
    if ports is not None:
        text += f"\n[ssh]\nport = {ports[0]}\n\n[jupyter]\nport = {ports[1]}\n"
    return text
