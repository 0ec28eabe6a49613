"""`dlenv ls`: the environments on this host, on every installed engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from dlenv.commands.options import HostOption, JsonOption, app_context_of
from dlenv.console import info as note
from dlenv.console import out, print_json, warn
from dlenv.engine.base import ContainerInfo
from dlenv.engine.cli_engine import CliEngine
from dlenv.engine.detect import ENGINES, BoxLink, open_engine
from dlenv.environment.box import open_box
from dlenv.errors import DlenvError, UsageError
from dlenv.labels import EnvLabels, VolumeLabels
from dlenv.process import Runner

Item = TypeVar("Item")


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


def _each_engine(
    runner: Runner,
    only: str | None,
    box: BoxLink | None,
    read: Callable[[str, CliEngine], list[Item]],
) -> tuple[list[Item], list[str]]:
    """`read` of every installed engine (the box's, with `box`), and a note per engine that did
    not answer."""
    if only is not None and only not in ENGINES:
        raise UsageError(f"unknown engine {only!r}", hint=f"Use one of: {', '.join(ENGINES)}.")
    found: list[Item] = []
    problems: list[str] = []
    for program in (only,) if only else ENGINES:
        if runner.which(program) is None or (box and box.runner.which(program) is None):
            continue
        try:
            engine, _ = open_engine(program, "auto", runner, box)
            found += read(program, engine)
        except DlenvError as error:
            problems.append(f"{program}: {error.message}")
    return found, problems


def list_environments(
    runner: Runner, only: str | None, box: BoxLink | None = None
) -> tuple[list[Listed], list[str]]:
    """Every dlenv container per installed engine (the box's, with `box`)."""
    listed, problems = _each_engine(
        runner, only, box, lambda program, engine: [
            Listed(program, c) for c in engine.environments()
        ],
    )  # fmt: skip
    return sorted(listed, key=lambda e: (e.container.name, e.engine)), problems


@dataclass(frozen=True)
class ListedVolume:
    engine: str
    name: str
    labels: VolumeLabels

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "engine": self.engine,
            "cache": self.labels.cache,
            "environment": self.labels.env_name,
            "shared_by_uid": self.labels.owner_uid,
        }


def list_volumes(
    runner: Runner, only: str | None, box: BoxLink | None = None
) -> tuple[list[ListedVolume], list[str]]:
    """Every dlenv volume per installed engine (the box's, with `box`): workspaces, host keys
    and caches."""
    listed, problems = _each_engine(
        runner, only, box, lambda program, engine: [
            ListedVolume(program, name, VolumeLabels.decode(labels))
            for name, labels in engine.managed_volumes().items()
        ],
    )  # fmt: skip
    return sorted(listed, key=lambda v: (v.name, v.engine)), problems


def ls_command(
    click_context: typer.Context,
    engine: Annotated[str | None, typer.Option("--engine", help="Only this engine.")] = None,
    volumes: Annotated[
        bool, typer.Option("--volumes", help="List dlenv's volumes (workspaces, caches).")
    ] = False,
    all_users: Annotated[
        bool,
        typer.Option(
            "--all-users",
            help="Every user's environments on the shared engines, with owner, GPUs and ports.",
        ),
    ] = False,
    host: HostOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the dlenv environments on this host (podman and docker).

    Running and stopped ones; --engine limits it to one engine. --all-users adds other users'
    environments on rootful engines (rootless Podman keeps each user's containers private).
    --volumes lists the volumes instead (workspaces, SSH host keys and the caches that outlive
    rebuilds).
    """
    ctx = app_context_of(click_context)
    box = open_box(host, ctx)
    link = box.link() if box else None
    if volumes:
        _print_volumes(*list_volumes(ctx.runner, engine, link), as_json)
        return
    listed, problems = list_environments(ctx.runner, engine, link)
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


def _print_volumes(listed: list[ListedVolume], problems: list[str], as_json: bool) -> None:
    for problem in problems:
        warn(problem)
    if as_json:
        print_json([entry.as_json() for entry in listed])
        return
    if not listed:
        out.print("no dlenv volumes")
        return
    table = Table(show_edge=False)
    for column in ("volume", "engine", "holds", "belongs to"):
        table.add_column(column)
    for entry in listed:
        labels = entry.labels
        holds = f"{labels.cache} cache" if labels.cache else "environment data"
        owner = (
            labels.env_name
            if labels.env_name
            else f"shared (uid {labels.owner_uid})" if labels.owner_uid is not None else "-"
        )
        table.add_row(escape(entry.name), entry.engine, escape(holds), escape(owner))
    out.print(table)
ROOTLESS_NOTE = (
    "Shown: the environments on this host's rootful Podman and Docker. Rootless Podman keeps "
    "each user's containers private, so other users' rootless environments are not listed."
)
