"""The command-line surface: parse, call a command, print, map errors to exit codes.

Each verb lives in `dlenv.commands.<verb>` and registers itself on a Typer app. Command modules
are imported only when their command runs (see `LazyCommands`), so `dlenv --help` and
`dlenv --version` do not pay for the spec, Jinja2 or the knowledge tables.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from types import FrameType

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup

from dlenv import __version__
from dlenv.console import report_error
from dlenv.context import AppContext
from dlenv.errors import DlenvError

# Click's UsageError.exit_code (click.exceptions); 128 + SIGINT (2), as shells report a command
# killed by Ctrl-C (Bash manual, "Exit Status":
# https://www.gnu.org/software/bash/manual/html_node/Exit-Status.html).
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# The variable the completion scripts set (`dlenv completion`; Typer's default for "dlenv").
COMPLETE_VAR = "_DLENV_COMPLETE"

# Order is the order of `dlenv --help`.
COMMAND_MODULES = (
    "up",
    "down",
    "status",
    "logs",
    "shell",
    "exec",
    "restart",
    "ls",
    "rm",
    "verify",
    "ssh-config",
    "open",
    "build",
    "lock",
    "push",
    "slurm",
    "render",
    "export",
    "spec",
    "setup",
    "doctor",
    "compat",
    "data",
    "init",
    "completion",
)

# One line per command for `dlenv --help`, kept equal to the first line of each command's
# docstring by tests/unit/test_cli.py. A command missing here still works: listing it imports it.
SUMMARIES = {
    "up": "Build the image if needed, start the environment, wait until SSH and Jupyter answer.",
    "down": "Stop the environment; the workspace volume and SSH host keys stay for the next `up`.",
    "status": "Show the environment's state, the ssh command and the Jupyter URL (with its token).",
    "logs": "Print the environment's logs (sshd and JupyterLab).",
    "shell": "Open a login shell in the running environment (the venv is on PATH).",
    "exec": "Run a command in the running environment (`dlenv exec -- python train.py`).",
    "restart": "Restart the environment's container and wait until SSH and Jupyter answer.",
    "ls": "List the dlenv environments on this host (podman and docker).",
    "rm": "Remove the environment; the workspace volume is kept unless --delete-workspace.",
    "verify": "Prove the GPU stack works inside the environment (nvidia-smi, torch TFLOP/s, ...).",
    "ssh-config": "Write an SSH host for the environment: `ssh dlenv-NAME` then works, as do IDEs.",
    "open": "Forward Jupyter to this machine and print its URL (--browser opens it).",
    "build": "Build the environment's image (skipped when an identical one exists).",
    "slurm": "Run the environment in a Slurm job (an sbatch script; --script prints it).",
    "render": "Write the build context to a directory (byte-stable: same spec, same files).",
    "export": "Write the environment for another tool: devcontainer.json, compose, Kubernetes.",
    "spec": "Print the effective spec: dlenv.toml, or the embedded default when there is none.",
    "lock": (
        "Resolve all package groups together (linux/amd64 + arm64) into dlenv.lock, with hashes."
    ),
    "push": (
        "Push the built image (or its multi-platform manifest list) to REF; print REF@sha256:..."
    ),
    "setup": "Install the NVIDIA driver, Container Toolkit, Podman or Docker, and GPU access.",
    "doctor": "Check the host for everything a GPU container needs; exit 1 when something fails.",
    "compat": (
        "Check a GPU / driver / CUDA / PyTorch / package combination and recommend one that works."
    ),
    "data": "Inspect and refresh dlenv's compatibility data.",
    "init": "Write dlenv.toml with values chosen for this host (GPUs, driver, engine).",
    "completion": "Print the shell completion script for bash, zsh or fish.",
}


def load_command(name: str) -> _click.Command:
    """Import `dlenv.commands.<name>` and return its command as Click sees it."""
    single = typer.Typer(
        add_completion=False, context_settings={"help_option_names": ["-h", "--help"]}
    )
    import_module(f"dlenv.commands.{name.replace('-', '_')}").register(single)
    command = typer.main.get_command(single)
    if isinstance(command, TyperGroup) and name in command.commands:
        command = command.commands[name]  # a command group (`dlenv data ...`) added by name
    command.name = name
    return command


class LazyCommands(TyperGroup):
    """A group whose commands are imported on use; help listings use `SUMMARIES`."""

    _resolving = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(COMMAND_MODULES)

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return None
        if self._resolving or cmd_name not in SUMMARIES:
            return load_command(cmd_name)
        return TyperCommand(cmd_name, help=SUMMARIES[cmd_name])

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        self._resolving = True  # about to run it: load the real command
        try:
            return super().resolve_command(ctx, args)
        finally:
            self._resolving = False


app = typer.Typer(
    name="dlenv",
    cls=LazyCommands,
    help="A GPU deep-learning dev environment in a container, reachable by SSH and JupyterLab.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dlenv {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Bring up a secure deep-learning dev container: `dlenv up`."""


def run(argv: list[str] | None = None, context: AppContext | None = None) -> int:
    """Run the CLI and return its exit code: 0 ok, 1 user error, 2 bad input, 130 interrupt.

    `context` is what the commands may know of the process (cwd, environment, user, state
    directory, runner); tests pass their own to run commands in-process with a fake runner.
    """
    if COMPLETE_VAR in os.environ:
        # A shell asks for completions (`dlenv completion SHELL` wrote the script that asks):
        # register Typer's shell classes, which `add_completion=False` leaves out.
        # Imported here: only a completion request pays for it.
        from typer._completion_classes import completion_init  # noqa: PLC0415

        completion_init()
    context = context or AppContext.from_process()
    try:
        with context.closing, _sigterm_as_interrupt():
            result = app(
                args=argv,
                prog_name="dlenv",
                complete_var=COMPLETE_VAR,
                standalone_mode=False,
                obj=context,
            )
    except DlenvError as error:
        report_error(error)
        return error.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    except typer.Exit as done:
        return done.exit_code
    except typer.TyperException as error:  # usage errors: unknown option, bad value
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            report_error(DlenvError(str(error)))
        return int(getattr(error, "exit_code", EXIT_USAGE))
    return result if isinstance(result, int) else 0


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (`kill`, a service manager, a CI runner's timeout) unwinds like Ctrl-C: the same
    cleanup runs (a half-started container removed, a build's child process stopped) and the
    exit code is 130. Only the main thread may set handlers (signal docs); elsewhere, as is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
