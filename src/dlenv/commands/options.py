"""Options shared by several commands, declared once, and the context each command runs in.

`env_options` gives a command the environment options (`--spec`, `--name`, `--profile`, ...)
as one `EnvOptions` value, grouped under their own heading in `--help`. A command cannot forget
one of them, and a new one reaches every command that takes it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions

ENV_PANEL = "Environment"
RUN_PANEL = "Running"

SPEC_HELP = "Spec file (default: ./dlenv.toml, else the embedded default spec)."

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
# For the commands that build (build, up): without it they re-lock a stale dlenv.lock first.
LockedOption = Annotated[
    bool,
    typer.Option(
        "--locked",
        help="Refuse a dlenv.lock that no longer matches the spec instead of re-locking it (CI).",
        rich_help_panel=ENV_PANEL,
    ),
]
# For commands that read the spec but act on no environment (doctor, spec).
SpecOption = Annotated[
    Path | None,
    typer.Option("--spec", help=SPEC_HELP, dir_okay=False, rich_help_panel=ENV_PANEL),
]
HOST_HELP = (
    "Run the engine on this machine over SSH: \\[user@]host[:port] (also DLENV_HOST, the spec's "
    "`host`). Ports stay on its loopback."
)
# For commands that take the box but no environment options (doctor, ls).
HostOption = Annotated[
    str | None,
    typer.Option("--host", envvar="DLENV_HOST", help=HOST_HELP, rich_help_panel=ENV_PANEL),
]
AuthorizedKeysOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--authorized-keys",
        help="Public key file allowed to log in (repeatable) \\[default: ~/.ssh/*.pub].",
        rich_help_panel=RUN_PANEL,
    ),
]


def _option(*decls: str, help: str, panel: str = ENV_PANEL, **extra: Any) -> Any:
    return typer.Option(None, *decls, help=help, rich_help_panel=panel, **extra)


# Each shared option: EnvOptions field -> (annotation, typer option). Which commands take which
# is the `level` given to `env_options`.
_TARGET = {
    "spec_path": (Path | None, _option("--spec", dir_okay=False, help=SPEC_HELP)),
    "name": (str | None, _option("--name", help="Environment name (overrides the spec's `name`).")),
    "engine": (str | None, _option("--engine",
        help="Container engine: podman or docker (default: detect).")),
}  # fmt: skip
_BUILD = {
    "profile": (str | None, _option("--profile",
        help='"gpu" or "cpu" (no CUDA base, CPU wheels).')),
    "base_image": (str | None, _option("--base-image",
        help="Base image reference (any Debian/Ubuntu-family image).")),
    "python": (str | None, _option("--python",
        help='Python "X.Y" (uv-managed) or "system" (the base image\'s python3).')),
    "ca_bundle": (Path | None, _option("--ca-bundle", envvar="DLENV_CA_BUNDLE", dir_okay=False,
        help="PEM CA bundle for builds behind a TLS-intercepting proxy "
        "(a build secret: never in a layer).")),
}  # fmt: skip
_RUN = {
    "ssh_port": (int | None, _option("--ssh-port", panel=RUN_PANEL,
        help="Host port for SSH \\[default: 2222].")),
    "jupyter_port": (int | None, _option("--jupyter-port", panel=RUN_PANEL,
        help="Host port for JupyterLab \\[default: 8888].")),
    "bind": (str | None, _option("--bind", panel=RUN_PANEL,
        help="Host address for the ports \\[default: 127.0.0.1]. Others expose the environment.")),
    "workspace": (str | None, _option("--workspace", panel=RUN_PANEL,
        help='"volume" (a named volume) or a host directory to bind-mount.')),
}  # fmt: skip
_HOST = {
    "host": (str | None, _option("--host", envvar="DLENV_HOST", help=HOST_HELP)),
}
LEVELS: dict[str, dict[str, tuple[Any, Any]]] = {
    "target": {**_TARGET, **_HOST},
    "build": {**_TARGET, **_BUILD},
    "run": {**_TARGET, **_BUILD, **_RUN, **_HOST},
}

F = TypeVar("F", bound=Callable[..., Any])


def env_options(level: str) -> Callable[[F], F]:
    """Add the shared options of `level` ("target", "build" or "run") to a command, which then
    receives them as `options: EnvOptions` and its context as `ctx: AppContext`."""
    shared = LEVELS[level]

    def decorate(command: F) -> F:
        own = inspect.signature(command, eval_str=True)
        kept = [p for n, p in own.parameters.items() if n not in ("options", "ctx")]
        added = [
            inspect.Parameter(
                field, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
            )
            for field, (annotation, _) in shared.items()
        ]
        click_context = inspect.Parameter(
            "click_context", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context
        )

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {field: kwargs.pop(field) for field in shared}
            app_context = app_context_of(kwargs.pop("click_context"))
            return command(*args, options=EnvOptions(**values), ctx=app_context, **kwargs)

        params = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in kept
        ] + [
            p.replace(default=option) for p, (_, option) in zip(added, shared.values(), strict=True)
        ] + [click_context]  # fmt: skip
        wrapper.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper  # type: ignore[return-value]

    return decorate


def app_context_of(click_context: typer.Context) -> AppContext:
    """The AppContext `dlenv.cli.run` put on the root context (a fresh one if run bare)."""
    root = click_context.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext.from_process()
    return root.obj
