"""Golden plans (JSON and script) for every family's real os-release, both engines.

Regenerate after an intended change with `DLENV_REGEN_GOLDEN=1 pytest tests/unit/setup`, then
review the diff. Every script must pass `bash -n` and `shellcheck`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dlenv.setup.context import SetupOptions
from dlenv.setup.host_state import read_host_state
from dlenv.setup.plan import Engine, Plan
from dlenv.setup.planner import build_plan
from dlenv.setup.script import render_script

FIXTURES = Path(__file__).parents[2] / "fixtures"
GOLDEN = FIXTURES / "setup-golden"
REGEN = os.environ.get("DLENV_REGEN_GOLDEN") == "1"

HOSTS = [
    "ubuntu-22.04",
    "ubuntu-24.04",
    "debian-12",
    "fedora-40",
    "fedora-41",
    "rhel-9.2",
    "rocky-9.5",
    "opensuse-leap-15.6",
    "opensuse-tumbleweed",
    "sles-15-sp2",
    "amzn-2023",
]
# Amazon Linux 2023 has no Podman package: planning it is refused (test_planner covers that).
CASES = [(h, e) for h in HOSTS for e in Engine if not (h == "amzn-2023" and e is Engine.PODMAN)]


def _plan(host: str, engine: Engine) -> Plan:
    state = read_host_state(FIXTURES / "os-release" / host, arch="x86_64")
    return build_plan(state, SetupOptions(engine=engine, user="dev"))


def _check_golden(path: Path, text: str) -> None:
    if REGEN:
        path.write_text(text)
    assert path.read_text() == text, f"{path.name} differs; regenerate and review the diff"


@pytest.mark.parametrize(("host", "engine"), CASES)
def test_json_plan_matches_golden(host: str, engine: Engine) -> None:
    text = json.dumps(_plan(host, engine).to_dict(), indent=2, sort_keys=True) + "\n"
    _check_golden(GOLDEN / f"{host}-{engine.value}.json", text)


@pytest.mark.parametrize(("host", "engine"), CASES)
def test_script_matches_golden_and_is_clean(host: str, engine: Engine, tmp_path: Path) -> None:
    script = render_script(_plan(host, engine))
    _check_golden(GOLDEN / f"{host}-{engine.value}.sh", script)
    path = tmp_path / "setup.sh"
    path.write_text(script)
    syntax = subprocess.run(
        ["bash", "-n", str(path)], check=False, capture_output=True, text=True
    )
    assert syntax.returncode == 0, syntax.stderr
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed")
    lint = subprocess.run(
        ["shellcheck", str(path)], check=False, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout


def test_rendering_is_deterministic() -> None:
    first = _plan("fedora-41", Engine.DOCKER)
    second = _plan("fedora-41", Engine.DOCKER)
    assert render_script(first) == render_script(second)
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())
