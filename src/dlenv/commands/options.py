"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SpecOption = Annotated[
    Path | None,
    typer.Option(
        "--spec",
        help="Spec file (default: ./dlenv.toml, else the embedded default spec).",
        dir_okay=False,
    ),
]
NameOption = Annotated[
    str | None, typer.Option("--name", help="Environment name (overrides the spec's `name`).")
]
EngineOption = Annotated[
    str | None,
    typer.Option("--engine", help="Container engine: podman or docker (default: detect)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
