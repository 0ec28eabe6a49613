"""`dlenv verify`: run the verification script inside the environment and report what works."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from dlenv.commands.options import JsonOption, env_options
from dlenv.console import err, out, print_json, success
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import find_target, require_running
from dlenv.labels import PROFILE
from dlenv.verify.report import VerifyReport, parse_report, script_text

_STYLE = {"pass": "[green]ok[/green]", "fail": "[red]FAIL[/red]", "skip": "[dim]skip[/dim]"}


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_command)


@env_options("target")
def verify_command(
    options: EnvOptions,
    ctx: AppContext,
    as_json: JsonOption = False,
) -> int:
    """Prove the GPU stack works inside the environment (nvidia-smi, torch TFLOP/s, ...).

    GPUs, driver and CUDA versions, PyTorch matmul TFLOP/s (fp32, bf16), CuPy/cuDF/DALI when
    installed; the CPU equivalents for the CPU profile. Exits 1 naming each failed check.
    """
    target = find_target(options, ctx)
    container = require_running(target)
    user = target.labels.user
    # The image records its profile; an image without the label lets the script decide.
    profile = target.engine.image_labels(container.image).get(PROFILE, "auto")
    result = target.engine.exec(
        target.name, ("python", "-", "--json", "--profile", profile), user=user, stdin=script_text()
    )
    report = parse_report(result.stdout, result.stderr, result.returncode)
    if as_json:
        print_json(report.raw)
    else:
        print_report(target.name, report)
    if report.failures:
        verdict = escape(report.verdict())
        err.print(f"[red]error:[/red] {escape(target.name)} verification {verdict}")
        return 1
    return 0


def print_report(name: str, report: VerifyReport) -> None:
    title = f"{name}: {report.profile} profile, Python {report.python}"
    table = Table(title=escape(title), show_edge=False)
    table.add_column("")
    table.add_column("check")
    table.add_column("result")
    for check in report.checks:
        table.add_row(_STYLE.get(check.status, check.status), check.name, escape(check.detail))
    out.print(table)
    if not report.failures:
        success("all checks passed")
