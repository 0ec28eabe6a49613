"""`dlenv spec`: show the effective spec (file or embedded default, with overrides)."""

from __future__ import annotations

import tomlkit
import typer

from dlenv.commands.options import JsonOption, SpecOption, app_context_of
from dlenv.console import info, out, print_json
from dlenv.spec import load_spec


def register(app: typer.Typer) -> None:
    app.command("spec")(spec_command)


def spec_command(
    click_context: typer.Context,
    spec: SpecOption = None,
    show: bool = typer.Option(True, "--show", help="Print the effective spec (the default)."),
    as_json: JsonOption = False,
) -> None:
    """Print the effective spec: dlenv.toml, or the embedded default when there is none."""
    del show
    loaded, source = load_spec(spec, search_dir=app_context_of(click_context).cwd)
    data = loaded.model_dump(mode="json")
    if as_json:
        print_json(data)
        return
    info(f"# spec from {source}")
    # TOML has no null: a key left unset (`host`) is left out.
    toml_data = loaded.model_dump(mode="json", exclude_none=True)
    out.print(tomlkit.dumps(toml_data).rstrip(), markup=False)
