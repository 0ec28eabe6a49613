"""exec, shell, logs -f, restart, ls, verify and rm, end to end on both real engines.

One environment per engine (CPU profile, the debootstrapped base, the machine's CA bundle: on
Docker's legacy builder that exercises the loopback index relay). Nothing is left behind: the
last test removes the environment, and the fixture removes whatever a failure left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import CA_BUNDLE, Cli, SshClient, cpu_spec

pytestmark = pytest.mark.e2e

PORTS = {"podman": (2413, 8413), "docker": (2414, 8414)}


def spec_text(engine: str, name: str) -> str:
    packages = ["jupyterlab", "numpy", "pandas"]
    return cpu_spec(name, engine, packages=packages, ports=PORTS[engine])


@dataclass
class Env:
    engine: str
    name: str
    cli: Cli
    ssh: SshClient

    def engine_out(self, *args: str) -> str:
        done = subprocess.run(
            [self.engine, *args], capture_output=True, text=True, env=self.cli.env, check=False
        )
        return done.stdout


@pytest.fixture(scope="module", params=["podman", "docker"])
def env(request: pytest.FixtureRequest, cli_factory: Any, ssh_client: SshClient) -> Iterator[Env]:
    engine = str(request.param)
    name = f"e2e-cmd-{engine}"
    cli: Cli = cli_factory(engine, name)
    (cli.cwd / "dlenv.toml").write_text(spec_text(engine, name))
    cli("up", "--authorized-keys", f"{ssh_client.key}.pub", "--ca-bundle", CA_BUNDLE)
    yield Env(engine, name, cli, ssh_client)
    cli("rm", "--delete-workspace", "--yes", check=False)


def test_exec_runs_in_the_venv_and_returns_the_exit_code(env: Env) -> None:
    done = env.cli("exec", "--", "python", "-c", "import sys, numpy; print(sys.prefix)")
    assert done.stdout.strip() == "/opt/venv"
    assert env.cli("exec", "--", "sh", "-c", "exit 7", check=False).returncode == 7
    assert env.cli("exec", "--", "id", "-un").stdout.strip() == "dev"
    assert env.cli("exec", "--root", "--", "id", "-un").stdout.strip() == "root"


def test_exec_without_a_command_is_bad_input(env: Env) -> None:
    done = env.cli("exec", check=False)
    assert done.returncode == 2
    assert "dlenv exec -- " in done.stderr


def test_shell_reads_commands_from_a_pipe(env: Env) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlenv", "shell"],
        input="echo \"$(id -un):$VIRTUAL_ENV\"\n", capture_output=True, text=True,
        env=env.cli.env, cwd=env.cli.cwd, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "dev:/opt/venv" in done.stdout


def test_logs_follow_streams_until_stopped(env: Env) -> None:
    follower = subprocess.Popen(
        [sys.executable, "-m", "dlenv", "logs", "-f"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=env.cli.env, cwd=env.cli.cwd,
    )  # fmt: skip
    try:
        assert follower.stdout is not None
        first = follower.stdout.readline()
        assert first.strip(), "logs -f printed nothing"
        time.sleep(1)
        assert follower.poll() is None, "logs -f exited instead of following"
    finally:
        follower.terminate()
        follower.wait(timeout=10)


def test_ls_lists_the_environment_with_its_engine(env: Env) -> None:
    listed = json.loads(env.cli("ls", "--json", "--engine", env.engine).stdout)
    mine = [e for e in listed if e["name"] == env.name]
    assert mine == [
        {
            "name": env.name,
            "engine": env.engine,
            "state": "running",
            "image": mine[0]["image"],
            "ssh_port": PORTS[env.engine][0],
            "jupyter_port": PORTS[env.engine][1],
            "owner": mine[0]["owner"],
            "owner_uid": os.getuid(),  # the label records who started it
            "gpus": [],
        }
    ]
    assert env.name in env.cli("ls").stdout


def test_verify_runs_the_cpu_checks_inside(env: Env) -> None:
    done = env.cli("verify", "--json")
    report = json.loads(done.stdout)
    assert report["profile"] == "cpu" and report["ok"] is True
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["numpy.matmul.fp32"]["status"] == "pass"
    assert by_name["pandas"]["status"] == "pass"
    assert by_name["torch"]["status"] == "skip"  # torch.enabled = false in this spec
    assert "all checks passed" in env.cli("verify").stderr


def test_no_ca_and_no_relay_address_in_the_image(env: Env) -> None:
    # Docker's legacy builder got the packages through the loopback relay; podman through a
    # build secret. Neither may leave the CA, its host path or the relay's address behind.
    image = env.engine_out("inspect", "--format", "{{.Config.Image}}", env.name).strip()
    # The image's content: its history and configuration (environment, labels, command). Not
    # RepoDigests, which name the registries the same image was pushed to (the Kubernetes and
    # registry-cache tests push it to a loopback registry).
    recorded = env.engine_out("image", "history", "--no-trunc", image) + env.engine_out(
        "image", "inspect", "--format", "{{json .Config}}", image
    )
    assert "BEGIN CERTIFICATE" not in recorded
    assert CA_BUNDLE not in recorded
    assert "127.0.0.1:" not in recorded and "http_proxy" not in recorded.lower()


def test_restart_comes_back_and_keeps_the_workspace(env: Env) -> None:
    env.cli("exec", "--", "sh", "-c", "echo kept > ~/workspace/restart.txt")
    started_before = env.engine_out("inspect", "--format", "{{.State.StartedAt}}", env.name)
    done = env.cli("restart")
    assert f"{env.name} restarted" in done.stderr
    assert env.engine_out("inspect", "--format", "{{.State.StartedAt}}", env.name) != started_before
    assert env.cli("exec", "--", "sh", "-c", "cat ~/workspace/restart.txt").stdout.strip() == "kept"
    ssh = env.ssh.run(PORTS[env.engine][0], "true")
    assert ssh.returncode == 0, ssh.stderr


def test_rm_keeps_the_workspace_unless_asked_and_confirmed(env: Env) -> None:
    # Deleting the workspace needs a confirmation; a pipe cannot give one.
    refused = env.cli("rm", "--delete-workspace", check=False)
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert env.name in env.engine_out("ps", "--all", "--format", "{{.Names}}")

    done = env.cli("rm")
    assert f"kept the workspace volume {env.name}-workspace" in done.stderr
    assert env.name not in env.engine_out("ps", "--all", "--format", "{{.Names}}")
    volumes = env.engine_out("volume", "ls", "--format", "{{.Name}}").split()
    assert f"{env.name}-workspace" in volumes and f"{env.name}-sshd" not in volumes
    images = env.engine_out("images", "--format", "{{.Repository}}").split()
    assert f"localhost/dlenv/{env.name}" not in images

    env.cli("rm", "--delete-workspace", "--yes")
    assert f"{env.name}-workspace" not in env.engine_out("volume", "ls", "--format", "{{.Name}}")
