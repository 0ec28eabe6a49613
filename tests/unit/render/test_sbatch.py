"""The sbatch renderer: golden scripts, byte stability, quoting, and what is never in a script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dlenv.render.sbatch import SbatchJob, render_sbatch

GOLDEN = Path(__file__).parents[2] / "golden" / "sbatch"
BASE = SbatchJob(
    kind="run",
    name="demo",
    program="podman",
    image="registry.example.test/team/demo:1",
    user="dev",
    workspace="/home/alice/project",
    command=("python", "train.py", "--lr", "1e-3"),
    authorized_keys="/home/alice/.local/state/dlenv/envs/demo/authorized_keys",
    run_flags=("--shm-size", "8g"),
    env=(("NVIDIA_DISABLE_REQUIRE", "1"),),
)
CASES = {
    "run-podman-cpu": BASE,
    "run-docker-2gpus": SbatchJob(
        **{**BASE.__dict__, "program": "docker", "gpus": 2, "partition": "gpu", "time": "2:00:00"}
    ),
    "up-podman-1gpu": SbatchJob(**{**BASE.__dict__, "kind": "up", "gpus": 1, "command": ()}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_sbatch_script(case: str) -> None:
    """Set DLENV_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""
    text = render_sbatch(CASES[case])
    path = GOLDEN / f"{case}.sh"
    if os.environ.get("DLENV_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()
    assert text == render_sbatch(CASES[case])  # byte-stable


def test_gres_only_with_gpus() -> None:
    assert "--gres" not in render_sbatch(BASE)
    assert "#SBATCH --gres=gpu:2\n" in render_sbatch(CASES["run-docker-2gpus"])


def test_hostile_values_stay_words() -> None:
    hostile = SbatchJob(**{**BASE.__dict__, "command": ("echo", "$(id)", "`x`; rm -rf /"),
                           "workspace": "/tmp/a b$(id)", "partition": "p;reboot"})  # fmt: skip
    text = render_sbatch(hostile)
    assert "'$(id)' '`x`; rm -rf /'" in text
    assert "--partition='p;reboot'" in text
    assert "'/tmp/a b$(id):/home/dev/workspace'" in text


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_scripts_pass_shellcheck(case: str, tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text(render_sbatch(CASES[case]))
    done = subprocess.run(["shellcheck", "--shell=bash", str(script)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout


def test_no_token_in_the_up_script() -> None:
    text = render_sbatch(CASES["up-podman-1gpu"])
    assert "secrets.token_hex" in text  # made in the job ...
    assert "token=" not in text.split("python3 -c 'import secrets")[0]  # ... never before it
