"""`dlenv ls`: the environments on this host, on every installed engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from dlenv.commands.options import HostOption, JsonOption, app_context_of
from dlenv.console import out, print_json, warn
from dlenv.engine.base import ContainerInfo
from dlenv.engine.detect import ENGINES, BoxLink, open_engine
from dlenv.environment.box import open_box
from dlenv.errors import DlenvError, UsageError
from dlenv.labels import EnvLabels
from dlenv.process import Runner


def register(app: typer.Typer) -> None:
    app.command("ls")(ls_command)


@dataclass(frozen=True)
class Listed:
    engine: str
    container: ContainerInfo

    def as_json(self) -> dict[str, Any]:
        labels = EnvLabels.decode(self.container.labels, self.container.name)
        return {
            "name": labels.name,
            "engine": self.engine,
            "state": self.container.state,
            "image": self.container.image,
            "ssh_port": labels.ssh_port,
            "jupyter_port": labels.jupyter_port,
        }


def list_environments(
    runner: Runner, only: str | None, box: BoxLink | None = None
) -> tuple[list[Listed], list[str]]:
    """Every dlenv container per installed engine (the box's, with `box`), and a note per
    engine that did not answer."""
    if only is not None and only not in ENGINES:
        raise UsageError(f"unknown engine {only!r}", hint=f"Use one of: {', '.join(ENGINES)}.")
    listed: list[Listed] = []
    problems: list[str] = []
    for program in (only,) if only else ENGINES:
        if runner.which(program) is None or (box and box.runner.which(program) is None):
            continue
        try:
            engine, _ = open_engine(program, "auto", runner, box)
            listed += [Listed(program, c) for c in engine.environments()]
        except DlenvError as error:
            problems.append(f"{program}: {error.message}")
    return sorted(listed, key=lambda e: (e.container.name, e.engine)), problems


def ls_command(
    click_context: typer.Context,
    engine: Annotated[str | None, typer.Option("--engine", help="Only this engine.")] = None,
    host: HostOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the dlenv environments on this host (podman and docker).

    Running and stopped ones; --engine limits it to one engine.
    """
    ctx = app_context_of(click_context)
    box = open_box(host, ctx)
    listed, problems = list_environments(ctx.runner, engine, box.link() if box else None)
    for problem in problems:
        warn(problem)
    if as_json:
        print_json([entry.as_json() for entry in listed])
        return
    if not listed:
        out.print("no environments (create one with `dlenv up`)")
        return
    table = Table(show_edge=False)
    for column in ("name", "engine", "state", "ssh", "jupyter", "image"):
        table.add_column(column)
    for entry in listed:
        data = entry.as_json()
        table.add_row(
            escape(data["name"]), entry.engine, data["state"],
            str(data["ssh_port"] or "-"), str(data["jupyter_port"] or "-"), escape(data["image"]),
        )  # fmt: skip
    out.print(table)
