"""Real execution: `dlenv setup --only engine --engine podman --yes` in a throwaway Debian 12
container installs Podman from Debian's mirror; a second run finds every step done.

Needs podman on the host and the base image `localhost/dlenv-test/debian:bookworm`
(.ci/prepare-engines.sh); reaches deb.debian.org from inside the container. dlenv and its
dependencies are built as wheels on the host (same Debian 12 / Python 3.11), so the container
needs no PyPI access.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import require

pytestmark = pytest.mark.e2e

IMAGE = "localhost/dlenv-test/debian:bookworm"
REPO = Path(__file__).parents[2]

INSIDE = r"""
set -euo pipefail
exec 2>&1  # one ordered stream: dlenv reports progress on stderr
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv >/dev/null
python3 -m venv /venv
/venv/bin/pip install -q --no-index --find-links /wheels dlenv
echo '=== first run'
/venv/bin/dlenv setup --only engine --engine podman --yes
dpkg-query -W -f='${Status} ${Version}\n' podman
echo '=== second run'
/venv/bin/dlenv setup --only engine --engine podman --yes
"""


def test_setup_installs_podman_then_finds_it_done(tmp_path: Path) -> None:
    require(shutil.which("podman") is not None, "podman not installed")
    require(
        subprocess.run(["podman", "image", "exists", IMAGE], check=False).returncode == 0,
        f"{IMAGE} missing: run .ci/prepare-engines.sh",
    )
    wheels = tmp_path / "wheels"
    subprocess.run(
        ["python3", "-m", "pip", "wheel", "-q", "-w", str(wheels), str(REPO)],
        check=True,
    )
    done = subprocess.run(
        ["podman", "run", "--rm", "-v", f"{wheels}:/wheels:ro", IMAGE, "bash", "-c", INSIDE],
        check=False,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    first, second = output.split("=== second run")
    assert "engine.podman: Podman from the distribution's own archive" in first
    assert "install ok installed" in first
    assert "setup complete: 1 step(s) run" in first
    # The second run changes nothing: the step's check passes, no command runs.
    assert "every step is already done" in second
    assert "$ " not in second
