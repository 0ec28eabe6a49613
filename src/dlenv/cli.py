"""The command-line surface: parse, call a command, print, map errors to exit codes.

Each verb lives in `dlenv.commands.<verb>` and registers itself on the app; this module owns
only what is common to all of them.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer

from dlenv import __version__
from dlenv.console import report_error
from dlenv.errors import DlenvError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# Order is the order of `dlenv --help`.
COMMAND_MODULES = (
    "up",
    "down",
    "status",
    "logs",
    "shell",
    "build",
    "render",
    "spec",
    "setup",
    "doctor",
    "compat",
    "data",
    "init",
)

app = typer.Typer(
    name="dlenv",
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


for _module in COMMAND_MODULES:
    import_module(f"dlenv.commands.{_module}").register(app)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code: 0 ok, 1 user error, 2 bad input, 130 interrupt."""
    try:
        result = app(args=argv, standalone_mode=False)
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


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
