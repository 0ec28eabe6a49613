"""`dlenv ls`: the environments on this host, on every installed engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from dlenv.commands.options import JsonOption, app_context_of
from dlenv.console import info as note
from dlenv.console import out, print_json, warn
from dlenv.engine.base import ContainerInfo
from dlenv.engine.detect import ENGINES, open_engine
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
            "owner": labels.owner,
            "owner_uid": labels.owner_uid,
            "gpus": list(labels.gpus),
        }

    def owned_by(self, uid: int) -> bool:
        """A container with no owner label (an older dlenv's) counts as everyone's."""
        owner = EnvLabels.decode(self.container.labels, self.container.name).owner_uid
        return owner is None or owner == uid


def list_environments(runner: Runner, only: str | None) -> tuple[list[Listed], list[str]]:
    """Every dlenv container per installed engine, and a note per engine that did not answer."""
    if only is not None and only not in ENGINES:
        raise UsageError(f"unknown engine {only!r}", hint=f"Use one of: {', '.join(ENGINES)}.")
    listed: list[Listed] = []
    problems: list[str] = []
    for program in (only,) if only else ENGINES:
        if runner.which(program) is None:
            continue
        try:
            engine, _ = open_engine(program, "auto", runner)
            listed += [Listed(program, c) for c in engine.environments()]
        except DlenvError as error:
            problems.append(f"{program}: {error.message}")
    return sorted(listed, key=lambda e: (e.container.name, e.engine)), problems


def ls_command(
    click_context: typer.Context,
    engine: Annotated[str | None, typer.Option("--engine", help="Only this engine.")] = None,
    all_users: Annotated[
        bool,
        typer.Option(
            "--all-users",
            help="Every user's environments on the shared engines, with owner, GPUs and ports.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List the dlenv environments on this host (podman and docker).

    Running and stopped ones; --engine limits it to one engine. --all-users adds other users'
    environments on rootful engines (rootless Podman keeps each user's containers private).
    """
    ctx = app_context_of(click_context)
    listed, problems = list_environments(ctx.runner, engine)
    if not all_users:
        listed = [entry for entry in listed if entry.owned_by(ctx.identity.uid)]
    for problem in problems:
        warn(problem)
    if as_json:
        print_json([entry.as_json() for entry in listed])
        return
    if all_users:
        note(ROOTLESS_NOTE)
    if not listed:
        out.print("no environments (create one with `dlenv up`)")
        return
    columns = ("name", "engine", "state", "ssh", "jupyter", "image")
    table = Table(show_edge=False)
    for column in ("owner", *columns[:3], "gpus", *columns[3:]) if all_users else columns:
        table.add_column(column)
    for entry in listed:
        data = entry.as_json()
        row = [
            escape(data["name"]), entry.engine, data["state"],
            str(data["ssh_port"] or "-"), str(data["jupyter_port"] or "-"), escape(data["image"]),
        ]  # fmt: skip
        if all_users:
            uid = data["owner_uid"]
            owner = escape(data["owner"] or (f"uid {uid}" if uid is not None else "?"))
            row = [owner, *row[:3], ",".join(data["gpus"]) or "-", *row[3:]]
        table.add_row(*row)
    out.print(table)


ROOTLESS_NOTE = (
    "Shown: the environments on this host's rootful Podman and Docker. Rootless Podman keeps "
    "each user's containers private, so other users' rootless environments are not listed."
)
