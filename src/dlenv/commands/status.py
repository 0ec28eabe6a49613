"""`dlenv status`: is the environment running, and how to reach it."""

from __future__ import annotations

import typer
from rich.markup import escape

from dlenv.commands.options import JsonOption, env_options
from dlenv.commands.output import print_access
from dlenv.console import out, print_json
from dlenv.context import AppContext
from dlenv.environment.access import access_from_container
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import find_target
from dlenv.labels import image_contents


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)


@env_options("target")
def status_command(
    options: EnvOptions,
    ctx: AppContext,
    as_json: JsonOption = False,
) -> None:
    """Show the environment's state, the ssh command and the Jupyter URL (with its token)."""
    target = find_target(options, ctx)
    if target.container is None:
        if as_json:
            print_json({"name": target.name, "state": "absent", "engine": target.engine.name})
        else:
            out.print(f"{escape(target.name)}: not created (start it with `dlenv up`)")
        return
    access = access_from_container(target.container, target.state.read_token())
    image_labels = target.engine.image_labels(target.container.image)
    if as_json:
        data = access.as_json()
        data["engine"] = target.engine.name
        data["contents"] = image_contents(image_labels)
        print_json(data)
        return
    colour = "green" if access.state == "running" else "yellow"
    out.print(
        f"[bold]{escape(access.name)}[/bold]  [{colour}]{escape(access.state)}[/{colour}]  "
        f"({target.engine.name}, {escape(access.image)})"
    )
    out.print(f"[bold]Restarts[/bold] {access.restarts}" + _restart_note(access.restarts))
    if access.state == "running":
        print_access(access)


def _restart_note(restarts: int) -> str:
    if not restarts:
        return ""
    return "  (sshd or JupyterLab died and the engine started it again; see `dlenv logs`)"
