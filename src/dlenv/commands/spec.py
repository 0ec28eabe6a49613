"""`dlenv spec`: show the effective spec (file or embedded default, with overrides)."""

from __future__ import annotations

from typing import Any

import msgspec
import tomlkit
import typer

from dlenv.commands.options import JsonOption, SpecOption, app_context_of
from dlenv.console import info, out, print_json
from dlenv.spec import load_spec
from dlenv.spec.schema import spec_json_schema_text


def register(app: typer.Typer) -> None:
    app.command("spec")(spec_command)


def spec_command(
    click_context: typer.Context,
    spec: SpecOption = None,
    show: bool = typer.Option(True, "--show", help="Print the effective spec (the default)."),
    as_json: JsonOption = False,
    schema: bool = typer.Option(
        False,
        "--schema",
        help="Print dlenv.toml's JSON Schema (for TOML editors: Taplo, Even Better TOML).",
    ),
) -> None:
    """Print the effective spec: dlenv.toml, or the embedded default when there is none."""
    del show
    if schema:
        # Plain text, not Rich: the output is a file for editors, byte for byte.
        typer.echo(spec_json_schema_text(), nl=False)
        return
    loaded, source = load_spec(spec, search_dir=app_context_of(click_context).cwd)
    data = msgspec.to_builtins(loaded)
    if as_json:
        print_json(data)
        return
    info(f"# spec from {source}")
    out.print(tomlkit.dumps(_without_nulls(data)).rstrip(), markup=False)


def _without_nulls(value: Any) -> Any:
    """TOML has no null: a key left unset (`host`), in any table, is left out."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    return value
