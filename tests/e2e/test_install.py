"""The README's first command, as a new user runs it on Debian 12 with Debian's own python3.

The system Python there is externally managed (PEP 668): `pip install .` is refused, and the
installer (scripts/install.sh) must still give the user a working `dlenv`. The install part of
the command is read from the README itself, so the test and the README cannot drift apart.

Needs podman and the debootstrapped base image (.ci/prepare-engines.sh); reaches Debian's mirror
(python3, python3-venv, python3-pip) and PyPI (dlenv's dependencies) from inside the container,
through the host's CA bundle when one is set up (DLENV_TEST_CA_BUNDLE).
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import BASE_IMAGE, CA_BUNDLE, engine_ready, require

pytestmark = pytest.mark.e2e

REPO = Path(__file__).parents[2]
IMAGE = "localhost/dlenv-test/install-bookworm:python3"
USER = "newuser"
CA_INSIDE = "/etc/dlenv-test/ca.crt"
# Debian's python3 only, as `apt install python3 python3-venv` gives it (python3-pip only to
# show that the old command is refused), and an ordinary user with Debian's skeleton files.
CONTAINERFILE = f"""FROM {BASE_IMAGE}
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
      python3 python3-venv python3-pip >/dev/null \\
 && rm -rf /var/lib/apt/lists/* \\
 && useradd --create-home --shell /bin/bash {USER}
"""


def readme_install_part() -> str:
    """The README's first command without its last step, which must be `dlenv up`."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.DOTALL)
    assert block is not None, "the README has no bash block"
    first = block.group(1).splitlines()[0].split("#")[0].strip()
    steps = [step.strip() for step in first.split("&&")]
    assert re.fullmatch(r"(\S*/)?dlenv up", steps[-1]), f"not install && dlenv up: {first}"
    return " && ".join(steps[:-1])


def podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def shown(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


@pytest.fixture
def debian(tmp_path: Path) -> Iterator[str]:
    """A running Debian 12 container with the checkout (as cloned: tracked and new files, no
    ignored ones) at /src, read-only; yields its name."""
    ok, why = engine_ready("podman")
    require(ok, why)
    require(Path(CA_BUNDLE).is_file(), f"no CA bundle at {CA_BUNDLE}")
    (tmp_path / "Containerfile").write_text(CONTAINERFILE)
    built = podman("build", "-q", "-t", IMAGE, str(tmp_path), timeout=600)
    assert built.returncode == 0, shown(built)
    checkout = tmp_path / "checkout"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    )  # fmt: skip
    for name in filter(None, listed.stdout.decode().split("\0")):
        source, target = REPO / name, checkout / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode & 0o755 | 0o644)
    name = f"dlenv-install-{uuid.uuid4().hex[:8]}"
    started = podman(
        "run", "-d", "--name", name,
        "-v", f"{checkout}:/src:ro", "-v", f"{CA_BUNDLE}:{CA_INSIDE}:ro",
        IMAGE, "sleep", "infinity",
    )  # fmt: skip
    assert started.returncode == 0, shown(started)
    try:
        yield name
    finally:
        podman("rm", "-f", "-t", "0", name)


def as_user(container: str, command: str, *, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """`command` in a login shell of the new user, in their clone of the checkout."""
    # HOME as a login gives it (podman exec sets it only on some versions).
    variables = {"HOME": f"/home/{USER}", **(env or {})}
    flags = [f"--env={key}={value}" for key, value in variables.items()]
    return podman(
        "exec", *flags, "--user", USER, "--workdir", f"/home/{USER}/dlenv", container,
        "bash", "-lc", command, timeout=timeout,
    )  # fmt: skip


def test_the_readme_install_works_where_pip_install_is_refused(debian: str) -> None:
    # Debian's python3 is externally managed: the situation the installer is for.
    marker = podman("exec", debian, "test", "-f", "/usr/lib/python3.11/EXTERNALLY-MANAGED")
    assert marker.returncode == 0, "Debian 12's PEP 668 marker is missing: " + shown(marker)
    cloned = podman("exec", "--user", USER, debian, "cp", "-R", "/src", f"/home/{USER}/dlenv")
    assert cloned.returncode == 0, shown(cloned)
    # Only the test's network needs the CA bundle; the installer itself knows nothing of it.
    certs = {"PIP_CERT": CA_INSIDE, "SSL_CERT_FILE": CA_INSIDE}

    old = as_user(debian, "python3 -m pip install .", env=certs)
    assert old.returncode != 0, shown(old)
    assert "externally-managed-environment" in old.stdout + old.stderr, shown(old)

    install = readme_install_part()
    done = as_user(debian, install, env=certs, timeout=600)
    assert done.returncode == 0, f"{install}\n{shown(done)}"
    link = f"/home/{USER}/.local/bin/dlenv"
    assert f"sudo {link} setup" in done.stdout, shown(done)

    # A fresh login finds it on PATH (Debian's ~/.profile adds ~/.local/bin once it exists).
    version = podman("exec", debian, "su", "-", USER, "-c", "dlenv --version")
    assert version.returncode == 0, shown(version)
    assert version.stdout.startswith("dlenv "), shown(version)
    # What `sudo ~/.local/bin/dlenv setup` runs: root, sudo's secure_path, the user's link.
    as_root = podman(
        "exec", "--env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        debian, link, "setup", "--help",
    )  # fmt: skip
    assert as_root.returncode == 0, shown(as_root)
    # Running it again upgrades in place.
    again = as_user(debian, install, env=certs, timeout=600)
    assert again.returncode == 0, shown(again)
