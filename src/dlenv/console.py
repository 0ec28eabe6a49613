"""Terminal output: one Rich console for results (stdout) and one for messages (stderr)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

from dlenv.errors import DlenvError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """Machine output: stable key order, no colour, one document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def info(message: str) -> None:
    err.print(f"[dim]{escape(message)}[/dim]")


def warn(message: str) -> None:
    err.print(f"[bold yellow]warning:[/bold yellow] {escape(message)}")


def success(message: str) -> None:
    err.print(f"[bold green]✓[/bold green] {escape(message)}")


def report_error(error: DlenvError) -> None:
    err.print(f"[bold red]error:[/bold red] {escape(error.message)}")
    if error.details:
        err.print(escape(error.details.rstrip()), style="dim")
    if error.hint:
        err.print(f"[bold]hint:[/bold] {escape(error.hint)}")
