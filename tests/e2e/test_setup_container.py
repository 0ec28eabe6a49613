"""Real execution: `dlenv setup --only engine --engine podman --yes` in a throwaway Debian 12
container installs Podman from Debian's mirror; a second run finds every step done.

Before that, a run is sent SIGTERM while `apt-get install` runs: it exits 130 only after apt has
finished, so dpkg is left consistent (`dpkg --audit` is silent, no apt or dpkg process remains).

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
echo '=== interrupted run'
/venv/bin/dlenv setup --only engine --engine podman --yes >/tmp/interrupted.log 2>&1 &
setup=$!
# Up to 60 s for apt-get update to end and the install to begin: to be past the command line
# dlenv prints before it starts apt-get, wait for apt-get's first line of output.
for _ in $(seq 1200); do
  awk '/apt-get install -y podman$/ { shown = 1; next }
       shown { found = 1; exit }
       END { exit !found }' /tmp/interrupted.log && break
  sleep 0.05
done
kill -TERM "$setup"
code=0; wait "$setup" || code=$?
cat /tmp/interrupted.log
echo "exit code: $code"
echo "package managers left: $(grep -lx -e apt-get -e dpkg /proc/[0-9]*/comm 2>/dev/null | wc -l)"
echo "dpkg audit: [$(dpkg --audit 2>&1)]"
dpkg-query -W -f='${Status}\n' podman
apt-get remove -y -qq podman >/dev/null  # so that the first run below has a step to run
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
    interrupted, rest = output.split("=== interrupted run")[1].split("=== first run")
    assert "exit code: 130" in interrupted, interrupted
    # The warning comes while apt-get install runs: after its command line, before its end.
    words = " ".join(interrupted.split())  # the warning may be wrapped to the terminal's width
    assert (
        words.index("$ DEBIAN_FRONTEND=noninteractive apt-get install -y podman")
        < words.index("interrupted: letting the running command finish")
        < words.index("Setting up podman")
    ), interrupted
    assert "setup interrupted" in interrupted
    assert "install ok installed" in interrupted  # apt-get was let finish
    assert "package managers left: 0" in interrupted
    assert "dpkg audit: []" in interrupted  # no half-installed or half-configured package
    first, second = rest.split("=== second run")
    assert "engine.podman: Podman from the distribution's own archive" in first
    assert "install ok installed" in first
    assert "setup complete: 1 step(s) run" in first
    # The second run changes nothing: the step's check passes, no command runs.
    assert "every step is already done" in second
    assert "$ " not in second
