"""`dlenv data refresh`: rebuild the generated compatibility tables from upstream, show the diff."""

from __future__ import annotations

import datetime
import urllib.request
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from dlenv.console import info, out, success
from dlenv.errors import UsageError
from dlenv.knowledge.load import DATA_FILES, DATA_PACKAGE, read_data
from dlenv.knowledge.refresh import UPSTREAMS, diff, dump, fetch_all, regenerate

FETCH_TIMEOUT_S = 20


def register(app: typer.Typer) -> None:
    data = typer.Typer(help="Inspect and refresh dlenv's compatibility data.", no_args_is_help=True)
    data.command("refresh")(refresh_command)
    app.add_typer(data, name="data")


def refresh_command(
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            help="Use a saved upstream copy instead of fetching: NAME=FILE "
            "(names: pci.ids, torch, cuda-images). Repeatable.",
        ),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the refreshed tables (default: only diff).")
    ] = False,
) -> None:
    """Fetch PCI IDs, the PyTorch wheel matrix and nvidia/cuda tags; validate; show the diff."""
    overrides = _read_overrides(source or [])
    current = {name: read_data(name) for name in DATA_FILES}
    texts = fetch_all(_fetch, overrides)
    refreshed = regenerate(current, texts, datetime.date.today().isoformat())
    lines = diff(current, refreshed)
    if not lines:
        success("the generated tables match upstream")
        return
    for line in lines:
        out.print(line, markup=False, highlight=False)
    if write:
        folder = Path(str(resources.files(DATA_PACKAGE)))
        for upstream in UPSTREAMS:
            (folder / upstream.target).write_text(dump(refreshed[upstream.target]), "utf-8")
        success(f"wrote {', '.join(u.target for u in UPSTREAMS)} in {folder}")
    else:
        info("dry run: pass --write to update the shipped tables")


def _read_overrides(values: list[str]) -> dict[str, str]:
    known = {u.name for u in UPSTREAMS}
    texts: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or name not in known:
            raise UsageError(
                f"--source {value!r}: expected NAME=FILE", hint=f"NAME is one of {sorted(known)}."
            )
        try:
            texts[name] = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--source {name}: cannot read {path}: {exc.strerror}") from exc
    return texts


def _fetch(url: str) -> str:
    # Only fixed https URLs from UPSTREAMS reach here.
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
        body: bytes = response.read()
    return body.decode("utf-8", errors="replace")
