"""Printing shared by several commands (not a command itself)."""

from __future__ import annotations

from rich.markup import escape

from dlenv.console import out
from dlenv.environment.access import Access


def print_access(access: Access) -> None:
    out.print(f"[bold]SSH[/bold]      {escape(access.ssh_command)}")
    if access.via is None:
        out.print(f"[bold]Jupyter[/bold]  {escape(access.jupyter_url)}")
    else:
        # The URL is the box's loopback: `dlenv open` forwards it to a free port here.
        out.print(
            f"[bold]Jupyter[/bold]  on {escape(access.via)}'s loopback: "
            "`dlenv open` (with the same --host) forwards it here and prints the URL"
        )
        out.print(
            "[bold]IDEs[/bold]     `dlenv ssh-config` adds a host for ssh, VS Code and PyCharm"
        )
    for name, port in sorted(access.ports.items()):
        out.print(f"[bold]{escape(name):<8}[/bold] {escape(access.host)}:{port}")
