"""`dlenv init`: write a commented dlenv.toml tailored to this host."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dlenv.console import info, success
from dlenv.errors import UsageError
from dlenv.files import write_atomic
from dlenv.spec.model import OPTIONAL_GROUPS

if TYPE_CHECKING:
    from dlenv.host.recommend import Recommendation


def register(app: typer.Typer) -> None:
    app.command("init")(init_command)


def init_command(
    path: Annotated[Path, typer.Option("--path", help="Where to write.", dir_okay=False)] = Path(
        "dlenv.toml"
    ),
    profile: Annotated[
        str | None, typer.Option("--profile", help="gpu or cpu (default: detect).")
    ] = None,
    engine: Annotated[str | None, typer.Option("--engine", help="podman, docker or auto.")] = None,
    cuda: Annotated[
        str | None, typer.Option("--cuda", help='CUDA "X.Y" or auto (default: detect).')
    ] = None,
    groups: Annotated[
        str | None, typer.Option("--groups", help=f"Comma-separated: {', '.join(OPTIONAL_GROUPS)}.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Environment name.")] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Accept the detected values; no prompts.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write dlenv.toml with values chosen for this host (GPUs, driver, engine)."""
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", hint="Pass --force to overwrite it.")
    from dlenv.host.gpus import host_gpus  # noqa: PLC0415
    from dlenv.host.probe import collect  # noqa: PLC0415
    from dlenv.host.reader import HostReader  # noqa: PLC0415
    from dlenv.host.recommend import recommend, spec_text  # noqa: PLC0415
    from dlenv.knowledge import load_knowledge  # noqa: PLC0415

    knowledge = load_knowledge()
    inventory = collect(HostReader())
    rec = recommend(inventory, host_gpus(inventory, knowledge), knowledge)
    rec = _apply_flags(rec, profile, engine, cuda, groups, name)
    if not yes and sys.stdin.isatty():
        rec = _ask(rec)
    text = spec_text(rec)
    for reason in rec.reasons:
        info(reason)
    write_atomic(path, text, mode=0o644)
    success(f"wrote {path}; next: `dlenv doctor`, then `dlenv up`")


def _apply_flags(
    rec: Recommendation,
    profile: str | None,
    engine: str | None,
    cuda: str | None,
    groups: str | None,
    name: str | None,
) -> Recommendation:
    changed = replace(
        rec,
        profile=profile or rec.profile,
        engine=engine or rec.engine,
        cuda=cuda or ("auto" if profile == "cpu" else rec.cuda),
        groups=tuple(g.strip() for g in groups.split(",") if g.strip()) if groups else rec.groups,
        name=name or rec.name,
    )
    if changed.profile not in {"gpu", "cpu"}:
        raise UsageError(f"--profile {changed.profile!r}: expected gpu or cpu")
    if changed.engine not in {"podman", "docker", "auto"}:
        raise UsageError(f"--engine {changed.engine!r}: expected podman, docker or auto")
    return changed


def _ask(rec: Recommendation) -> Recommendation:
    for reason in rec.reasons:
        info(reason)
    profile = typer.prompt("Profile (gpu/cpu)", default=rec.profile)
    engine = typer.prompt("Engine (podman/docker/auto)", default=rec.engine)
    cuda = "auto" if profile == "cpu" else typer.prompt('CUDA ("X.Y" or auto)', default=rec.cuda)
    groups = typer.prompt(
        f"Optional groups ({', '.join(OPTIONAL_GROUPS)})",
        default=",".join(rec.groups),
        show_default=False,
    )
    return _apply_flags(rec, profile, engine, cuda, groups or None, None)


