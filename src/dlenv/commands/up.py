"""`dlenv up`: build if needed, run, wait until SSH and Jupyter answer, print how to connect."""

from __future__ import annotations

import typer

from dlenv.commands.options import AuthorizedKeysOption, JsonOption, LockedOption, env_options
from dlenv.commands.output import print_access
from dlenv.commands.trust_prompt import confirm_trust
from dlenv.console import info, print_json
from dlenv.context import AppContext
from dlenv.environment.autostart import enable_autostart
from dlenv.environment.lifecycle import bring_up
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import open_project
from dlenv.environment.resolution import load_effective_spec
from dlenv.environment.trust import trust_decisions


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
    autostart: bool = typer.Option(
        False,
        "--autostart",
        help="Also start the environment at boot: a systemd unit (enabled where systemd runs).",
    ),
    as_json: JsonOption = False,
    locked: LockedOption = False,
) -> None:
    """Build the image if needed, start the environment, wait until SSH and Jupyter answer."""
    loaded = spec, source = load_effective_spec(options, ctx)
    decisions = trust_decisions(
        spec, options, key_flags=authorized_keys or [], cwd=ctx.cwd, home=ctx.home
    )
    confirm_trust(decisions, source, yes=yes)
    project = open_project(options, ctx, loaded, will_run=True, relock=not locked)
    access = bring_up(project, authorized_keys or [], timeout=timeout)
    if autostart:
        info(f"autostart unit: {enable_autostart(project)}")
    if as_json:
        print_json(access.as_json())
    else:
        print_access(access)
