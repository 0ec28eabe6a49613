"""Findings -> a terminal report (grouped, coloured, aligned) or a JSON document."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dlenv.host.findings import Finding, Group, Severity

_MARK = {
    Severity.OK: "[green]✓[/green]",
    Severity.WARN: "[yellow]![/yellow]",
    Severity.FAIL: "[bold red]✗[/bold red]",
}


def render(findings: list[Finding], console: Console, *, verbose: bool = False) -> None:
    for group in Group:
        members = [f for f in findings if f.group is group]
        if not members:
            continue
        console.print(f"\n[bold]{group}[/bold]")
        table = Table.grid(padding=(0, 1))
        table.add_column(width=1)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        for finding in members:
            table.add_row(_MARK[finding.severity], finding.id, escape(finding.message))
            show_details = finding.details and (verbose or finding.severity is not Severity.OK)
            if show_details:
                table.add_row("", "", f"[dim]{escape(finding.details)}[/dim]")
            if finding.fix:
                table.add_row("", "", f"[cyan]fix:[/cyan] {escape(finding.fix)}")
        console.print(table)
    console.print("\n" + summary(findings))


def summary(findings: list[Finding]) -> str:
    fails = sum(f.severity is Severity.FAIL for f in findings)
    warns = sum(f.severity is Severity.WARN for f in findings)
    if fails:
        return f"[bold red]{fails} problem(s) to fix[/bold red], {warns} warning(s)."
    if warns:
        return f"[green]Ready[/green], with {warns} warning(s)."
    return "[bold green]Ready.[/bold green]"


def to_json(findings: list[Finding], source: str) -> dict[str, Any]:
    return {
        "source": source,
        "ok": not any(f.severity is Severity.FAIL for f in findings),
        "counts": {str(s): sum(f.severity is s for f in findings) for s in Severity},
        "findings": [f.to_json() for f in findings],
    }
