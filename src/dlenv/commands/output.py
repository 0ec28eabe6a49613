"""Printing shared by several commands (not a command itself)."""

from __future__ import annotations

from rich.markup import escape

from dlenv.console import out
from dlenv.environment.access import Access


def print_access(access: Access) -> None:
    out.print(f"[bold]SSH[/bold]      {escape(access.ssh_command)}")
    out.print(f"[bold]Jupyter[/bold]  {escape(access.jupyter_url)}")
    for name, port in sorted(access.ports.items()):
        out.print(f"[bold]{escape(name):<8}[/bold] {escape(access.host)}:{port}")
