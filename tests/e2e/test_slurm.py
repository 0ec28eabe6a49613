"""`dlenv slurm run` and `dlenv slurm up` on a real single-node Slurm cluster (slurm-wlm and
munge, started by .ci/prepare-slurm.sh), with real Podman inside the jobs."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CA_BUNDLE, Cli, SshClient, cpu_spec, require

pytestmark = pytest.mark.e2e
NAME = "cluster-slurm"
_OUTPUT = re.compile(r"output: (\S+)")
_NODE_URL = re.compile(r"On \S+\s+(http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+))")
_SSH = re.compile(r"SSH\s+ssh -J \S+ -p (\d+) dev@\S+")


def slurm_ready() -> bool:
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return False
    done = subprocess.run(["sinfo", "--noheader", "--states=idle"], capture_output=True,
                          text=True, check=False)  # fmt: skip
    return bool(done.stdout.strip())


@pytest.fixture(scope="module")
def cli(cli_factory: Any) -> Iterator[Cli]:
    require(slurm_ready(), "no idle Slurm node (run .ci/prepare-slurm.sh)")
    cli: Cli = cli_factory("podman", NAME)
    (cli.cwd / "dlenv.toml").write_text(cpu_spec(NAME, "podman", packages=["jupyterlab"]))
    cli("build", "--ca-bundle", CA_BUNDLE)
    yield cli
    subprocess.run(["scancel", "--name", NAME], check=False)


def output_file(done: subprocess.CompletedProcess[str]) -> Path:
    match = _OUTPUT.search(done.stderr)
    assert match, done.stderr
    return Path(match[1])


def test_slurm_run_writes_the_commands_output(cli: Cli) -> None:
    done = cli("slurm", "run", "--wait", "--ca-bundle", CA_BUNDLE, "--",
               "python", "-c", "import sys; print('hello from', sys.prefix)")  # fmt: skip
    output = output_file(done)
    assert "hello from /opt/venv" in output.read_text()
    assert output.stat().st_mode & 0o077 == 0  # the job output is private


def test_slurm_run_script_shows_gres_and_the_image(cli: Cli) -> None:
    script = cli("slurm", "run", "--script", "--gpus", "2", "--ca-bundle", CA_BUNDLE, "--",
                 "python", "train.py").stdout  # fmt: skip
    assert "#SBATCH --gres=gpu:2" in script
    assert f"localhost/dlenv/{NAME}:" in script
    assert "--gres" not in cli("slurm", "run", "--script", "--", "true").stdout


def test_slurm_up_reaches_jupyter_and_ssh(cli: Cli, ssh_client: SshClient) -> None:
    done = cli("slurm", "up", "--authorized-keys", f"{ssh_client.key}.pub",
               "--ca-bundle", CA_BUNDLE)  # fmt: skip
    output = output_file(done)
    deadline = time.monotonic() + 180
    status = None
    while time.monotonic() < deadline:
        text = output.read_text() if output.exists() else ""
        url = _NODE_URL.search(text)
        if url:
            api = url[1].replace("/lab?token=", "/api/status?token=")
            try:
                with urllib.request.urlopen(api, timeout=5) as response:
                    status = response.status
                    break
            except OSError:
                pass
        time.sleep(2)
    text = output.read_text() if output.exists() else ""
    assert status == 200, text
    ssh_port = _SSH.search(text)
    assert ssh_port, text
    answer = ssh_client.run(int(ssh_port[1]), "echo $VIRTUAL_ENV")
    assert answer.stdout.strip() == "/opt/venv", answer.stderr
    subprocess.run(["scancel", "--name", NAME], check=True)
