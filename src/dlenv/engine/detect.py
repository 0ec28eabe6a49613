"""Choosing the engine: a pure decision over what is installed, with the reason shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dlenv.engine.caps import BUILDAH_CAPS, BUILDKIT_CAPS, LEGACY_CAPS
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.engine.connection import docker_connection, podman_connection, podman_socket
from dlenv.errors import DlenvError, UsageError
from dlenv.host.reader import HostReader
from dlenv.process import Command, Runner
from dlenv.remote.address import BoxAddress

ENGINES = ("podman", "docker")


@dataclass(frozen=True)
class EngineChoice:
    program: str
    reason: str


@dataclass(frozen=True)
class BoxLink:
    """What the engine layer needs of a box: its address, a runner and a reader over the one
    SSH connection, a way to forward a local port to it, and the key Podman should use."""

    address: BoxAddress
    runner: Runner
    reader: HostReader
    forward_to_box: Callable[[int], int]
    identity: Path | None = None


def choose_engine(
    requested: str | None, spec_engine: str, installed: dict[str, bool]
) -> EngineChoice:
    """Flag beats spec beats detection (podman first: daemonless and rootless by default)."""
    if requested is not None and requested not in ENGINES:
        raise UsageError(f"unknown engine {requested!r}", hint=f"Use one of: {', '.join(ENGINES)}.")
    for wanted, origin in (
        (requested, "--engine"),
        (None if spec_engine == "auto" else spec_engine, "the spec's `engine`"),
    ):
        if wanted:
            if not installed.get(wanted):
                raise DlenvError(
                    f"{wanted} was asked for by {origin} but is not installed",
                    hint=f"Install it with `dlenv setup --only engine --engine {wanted}`, "
                    "or choose the other engine.",
                )
            return EngineChoice(wanted, f"chosen by {origin}")
    for program in ENGINES:
        if installed.get(program):
            return EngineChoice(program, "detected (podman is preferred when both are present)")
    raise DlenvError(
        "no container engine found: neither podman nor docker is on PATH",
        hint="Install one: `dlenv setup --only engine --engine podman` (or `--engine docker`), "
        "or your distribution's podman package.",
    )


def open_engine(
    requested: str | None, spec_engine: str, runner: Runner, box: BoxLink | None = None
) -> tuple[CliEngine, EngineChoice]:
    """The engine here, or with `box` the box's engine driven by the CLI here (which must have
    the engine's client: docker, or podman / podman-remote)."""
    if box is None:
        installed = {program: runner.which(program) is not None for program in ENGINES}
        choice = choose_engine(requested, spec_engine, installed)
        return CliEngine(_kind(choice.program, runner), runner), choice
    installed = {
        program: runner.which(program) is not None and box.runner.which(program) is not None
        for program in ENGINES
    }
    choice = choose_engine(requested, spec_engine, installed)
    if choice.program == "docker":
        connection = docker_connection(box.address)
    else:
        socket = podman_socket(box.runner, box.address)
        connection = podman_connection(box.address, socket, box.identity)
    engine = CliEngine(
        _kind(choice.program, runner), runner, connection=connection,
        box_reader=box.reader, forward_to_box=box.forward_to_box,
    )  # fmt: skip
    return engine, EngineChoice(choice.program, f"{choice.reason}, on {box.address}")


def _kind(program: str, runner: Runner) -> EngineKind:
    if program == "podman":
        return EngineKind("podman", BUILDAH_CAPS)
    # Docker's CLI uses BuildKit only through the buildx plugin; else the legacy builder.
    has_buildx = runner.run(Command(("docker", "buildx", "version"))).ok
    return EngineKind("docker", BUILDKIT_CAPS if has_buildx else LEGACY_CAPS, buildkit=has_buildx)
