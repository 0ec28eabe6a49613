"""`dlenv status`: is the environment running, and how to reach it."""

from __future__ import annotations

import typer
from rich.markup import escape

from dlenv.commands.options import EngineOption, JsonOption, NameOption, SpecOption
from dlenv.commands.target import find_target
from dlenv.commands.up import print_access
from dlenv.console import out, print_json
from dlenv.environment_info import access_from_container
from dlenv.process import SubprocessRunner
from dlenv.project import EnvOptions


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)


def status_command(
    spec: SpecOption = None,
    name: NameOption = None,
    engine: EngineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the environment's state, the ssh command and the Jupyter URL (with its token)."""
    target = find_target(EnvOptions(spec_path=spec, name=name, engine=engine), SubprocessRunner())
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
        data["contents"] = {
            k.removeprefix("dev.dlenv."): v
            for k, v in sorted(image_labels.items())
            if k.startswith("dev.dlenv.") and k != "dev.dlenv.context-digest"
        }
        print_json(data)
        return
    colour = "green" if access.state == "running" else "yellow"
    out.print(
        f"[bold]{escape(access.name)}[/bold]  [{colour}]{access.state}[/{colour}]  "
        f"({target.engine.name}, {escape(access.image)})"
    )
    if access.state == "running":
        print_access(access)
