"""scripts/install.sh before it installs anything: lint-clean POSIX sh, and every missing
prerequisite named with its fix, with nothing created in HOME. (The install itself is tested
end to end in Debian 12: tests/e2e/test_install.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "install.sh"


def fake_python(tmp_path: Path, *, version_ok: bool = True, venv_ok: bool = True) -> Path:
    """A python3 that answers the installer's two probes as a distro's python3 would."""
    program = tmp_path / "bin" / "python3"
    program.parent.mkdir()
    program.write_text(
        "#!/bin/sh\n"
        'case "$2" in\n'
        f"  *version_info*) exit {0 if version_ok else 1} ;;\n"
        f"  *ensurepip*) exit {0 if venv_ok else 1} ;;\n"
        "esac\n"
        'echo "Python 3.10.12"\n'
    )
    program.chmod(0o755)
    return program


def install(tmp_path: Path, python: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "PYTHON": str(python), **extra}
    return subprocess.run(
        ["sh", str(SCRIPT)], capture_output=True, text=True, env=env, check=False, timeout=60
    )


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_the_installer_is_shellcheck_clean_posix_sh() -> None:
    done = subprocess.run(
        ["shellcheck", "--shell=sh", str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout


def test_a_python_without_venv_names_the_package(tmp_path: Path) -> None:
    done = install(tmp_path, fake_python(tmp_path, venv_ok=False))
    assert done.returncode == 1
    assert "sudo apt install python3-venv" in done.stderr
    assert list((tmp_path / "home").iterdir()) == []


def test_a_python_too_old_is_refused_with_its_version(tmp_path: Path) -> None:
    done = install(tmp_path, fake_python(tmp_path, version_ok=False))
    assert done.returncode == 1
    assert "needs Python 3.11 or newer" in done.stderr
    assert "Python 3.10.12" in done.stderr
    assert list((tmp_path / "home").iterdir()) == []


def test_no_python_at_all(tmp_path: Path) -> None:
    done = install(tmp_path, tmp_path / "no-such-python")
    assert done.returncode == 1
    assert "is not installed" in done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to look like sudo")
def test_under_sudo_it_declines_to_install_for_root(tmp_path: Path) -> None:
    done = install(tmp_path, fake_python(tmp_path), SUDO_USER="alice")
    assert done.returncode == 1
    assert "not with sudo" in done.stderr
    assert list((tmp_path / "home").iterdir()) == []


def test_the_readme_first_command_is_the_installer_then_up() -> None:
    readme = (SCRIPT.parents[1] / "README.md").read_text(encoding="utf-8")
    first = readme.split("```bash\n", 1)[1].splitlines()[0]
    assert first.startswith("sh scripts/install.sh && ~/.local/bin/dlenv up")
