"""`dlenv completion`: the bash script loads in a real bash and completes through the real CLI
(`dlenv st<TAB>` -> status); the zsh and fish scripts are produced for the same protocol."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import require

pytestmark = pytest.mark.e2e


@pytest.fixture
def dlenv_on_path(tmp_path: Path) -> dict[str, str]:
    """A `dlenv` program on PATH that runs this checkout, as the installed one would."""
    program = tmp_path / "bin" / "dlenv"
    program.parent.mkdir()
    program.write_text(f'#!/bin/sh\nexec {sys.executable} -m dlenv "$@"\n')
    program.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{program.parent}{os.pathsep}{env['PATH']}"
    return env


def complete_in_bash(env: dict[str, str], *words: str) -> list[str]:
    """Load the script, then do what bash does on TAB: set COMP_WORDS/COMP_CWORD and call the
    function `complete -p dlenv` names."""
    script = (
        'eval "$(dlenv completion bash)"\n'
        "function=$(complete -p dlenv | sed -E 's/.*-F ([^ ]+) .*/\\1/')\n"
        f"COMP_WORDS=({' '.join(words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        '"$function" dlenv\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.split()


def test_bash_completes_commands_and_options(dlenv_on_path: dict[str, str]) -> None:
    require(shutil.which("bash") is not None, "bash is not installed")
    assert complete_in_bash(dlenv_on_path, "dlenv", "st") == ["status"]
    assert complete_in_bash(dlenv_on_path, "dlenv", "export", "c") == ["compose"]
    assert "--schema" in complete_in_bash(dlenv_on_path, "dlenv", "spec", "--s")


@pytest.mark.parametrize(("shell", "marker"), [("zsh", "compdef"), ("fish", "complete --command")])
def test_zsh_and_fish_scripts_are_produced(
    dlenv_on_path: dict[str, str], shell: str, marker: str
) -> None:
    done = subprocess.run(
        ["dlenv", "completion", shell], env=dlenv_on_path, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    assert marker in done.stdout and "_DLENV_COMPLETE=complete_" + shell in done.stdout
    if shutil.which(shell):  # the shell parses it (not installed on the CI machine)
        check = ["zsh", "-n"] if shell == "zsh" else ["fish", "--no-execute"]
        subprocess.run([*check], input=done.stdout, text=True, check=True)
