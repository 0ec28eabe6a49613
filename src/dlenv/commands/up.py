"""`dlenv up`: build if needed, run, wait until SSH and Jupyter answer, print how to connect."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import typer

from dlenv.commands.options import AuthorizedKeysOption, JsonOption, env_options
from dlenv.commands.output import print_access
from dlenv.console import print_json, warn
from dlenv.context import AppContext
from dlenv.environment.lifecycle import bring_up
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import open_project
from dlenv.environment.resolution import load_effective_spec
from dlenv.environment.trust import TrustDecision, trust_decisions
from dlenv.errors import DlenvError, UsageError

OVERRIDES_HINT = (
    "Read them first: the spec file may come from someone else's repository. Pass --yes to "
    "accept them, or choose for yourself: --authorized-keys FILE, --bind 127.0.0.1, "
    "--workspace volume."
)


def register(app: typer.Typer) -> None:
    app.command("up")(up_command)


@env_options("run")
def up_command(
    options: EnvOptions,
    ctx: AppContext,
    authorized_keys: AuthorizedKeysOption = None,
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds to wait for SSH and Jupyter."),
    yes: bool = typer.Option(
        False,
        "--yes",
        "-y",
        help="Accept the spec file's SSH keys, non-loopback bind and host workspace; no prompt.",
    ),
    as_json: JsonOption = False,
) -> None:
    """Build the image if needed, start the environment, wait until SSH and Jupyter answer."""
    loaded = spec, source = load_effective_spec(options, ctx)
    decisions = trust_decisions(
        spec, options, key_flags=authorized_keys or [], cwd=ctx.cwd, home=ctx.home
    )
    confirm_trust(decisions, source, yes=yes)
    project = open_project(options, ctx, loaded, will_run=True)
    access = bring_up(project, authorized_keys or [], timeout=timeout)
    if as_json:
        print_json(access.as_json())
    else:
        print_access(access)


def confirm_trust(
    decisions: Sequence[TrustDecision],
    source: str,
    *,
    yes: bool,
    interactive: bool | None = None,  # None: whether stdin is a terminal
    ask: Callable[[str], bool] = lambda question: typer.confirm(question, default=False),
) -> None:
    """Ask before the spec file opens the host; without a terminal, --yes or exit 2."""
    if not decisions or yes:
        return
    listing = "\n".join(f"  - {d.describe()}" for d in decisions)
    message = f"{source} asks for settings that open this host:\n{listing}"
    if not (sys.stdin.isatty() if interactive is None else interactive):
        raise UsageError(f"{message}\nThey need a confirmation.", hint=OVERRIDES_HINT)
    warn(message)
    if not ask("Accept these settings from the spec file?"):
        raise DlenvError("not started: the spec file's settings were declined", hint=OVERRIDES_HINT)
