"""`dlenv completion bash|zsh|fish`: print the shell's completion script.

The script calls `dlenv` back with `_DLENV_COMPLETE=complete_<shell>` and the words typed so
far; `dlenv.cli.run` answers from the command tree (Typer's completion protocol, which keeps
Click 7's `complete_bash` instruction order: typer/completion.py, `shell_complete`). Listing
commands imports none of them (cli.LazyCommands), so completing stays as fast as `--help`.
"""

from __future__ import annotations

from enum import StrEnum

import typer
from typer._completion_shared import get_completion_script

PROG_NAME = "dlenv"
COMPLETE_VAR = "_DLENV_COMPLETE"  # the same as dlenv.cli.COMPLETE_VAR


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def register(app: typer.Typer) -> None:
    app.command("completion")(completion_command)


def completion_command(
    shell: Shell = typer.Argument(..., help="The shell: bash, zsh or fish."),
) -> None:
    """Print the shell completion script for bash, zsh or fish.

    bash: `eval "$(dlenv completion bash)"` in ~/.bashrc;
    zsh: `eval "$(dlenv completion zsh)"` in ~/.zshrc (after `compinit`);
    fish: `dlenv completion fish > ~/.config/fish/completions/dlenv.fish`.
    """
    script = get_completion_script(
        prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell.value
    )
    typer.echo(script)
