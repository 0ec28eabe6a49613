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
ProfileOption = Annotated[
    str | None, typer.Option("--profile", help='"gpu" or "cpu" (no CUDA base, CPU wheels).')
]
BaseImageOption = Annotated[
    str | None,
    typer.Option("--base-image", help="Base image reference (any Debian/Ubuntu-family image)."),
]
PythonOption = Annotated[
    str | None,
    typer.Option(
        "--python", help='Python "X.Y" (uv-managed) or "system" (the base image\'s python3).'
    ),
]
CaBundleOption = Annotated[
    Path | None,
    typer.Option(
        "--ca-bundle",
        envvar="DLENV_CA_BUNDLE",
        help="PEM CA bundle for builds behind a TLS-intercepting proxy "
        "(a build secret: never in a layer).",
        dir_okay=False,
    ),
]
SshPortOption = Annotated[
    int | None, typer.Option("--ssh-port", help="Host port for SSH [default: 2222].")
]
JupyterPortOption = Annotated[
    int | None, typer.Option("--jupyter-port", help="Host port for JupyterLab [default: 8888].")
]
BindOption = Annotated[
    str | None,
    typer.Option(
        "--bind",
        help="Host address for the ports [default: 127.0.0.1]. Others expose the environment.",
    ),
]
WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace", help='"volume" (a named volume) or a host directory to bind-mount.'
    ),
]
AuthorizedKeysOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--authorized-keys",
        help="Public key file allowed to log in (repeatable) [default: ~/.ssh/*.pub].",
    ),
]
