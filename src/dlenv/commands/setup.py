"""`dlenv setup`: provision the host (driver, NVIDIA Container Toolkit, engine, GPU runtime).

Gather host facts -> build the plan (pure) -> show it, print it as a script or JSON, or run it.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import typer
from rich.markup import escape

from dlenv.commands.options import JsonOption, app_context_of
from dlenv.console import err, info, out, print_json, success, warn
from dlenv.context import AppContext
from dlenv.errors import UsageError
from dlenv.setup.context import SetupOptions
from dlenv.setup.executor import Outcome, Privilege, Status, apply, survey
from dlenv.setup.host_state import host_state, open_host
from dlenv.setup.plan import After, Component, Engine, Plan
from dlenv.setup.planner import build_plan
from dlenv.setup.script import render_script


def register(app: typer.Typer) -> None:
    app.command("setup")(setup_command)


def setup_command(
    click_context: typer.Context,
    only: str | None = typer.Option(
        None, "--only", help="Comma list of: driver, toolkit, engine, runtime, verify."
    ),
    engine: str = typer.Option("podman", "--engine", help="Container engine: podman or docker."),
    rootless: bool = typer.Option(False, "--rootless", help="Rootless Docker for your user."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Run the plan without asking."),
    script: bool = typer.Option(False, "--script", help="Print the plan as one bash script."),
    as_json: JsonOption = False,
    root: Path | None = typer.Option(
        None, "--root", help="Plan for a host snapshot: a directory or a doctor bundle (.tar.gz)."
    ),
    arch: str | None = typer.Option(None, "--arch", help="Architecture (default: this host's)."),
    user: str | None = typer.Option(
        None,
        "--user",
        help="Login to add to group docker / run rootless (default: you; SUDO_USER under sudo).",
    ),
) -> None:
    """Install the NVIDIA driver, Container Toolkit, Podman or Docker, and GPU access."""
    ctx = app_context_of(click_context)
    if sum((yes, script, as_json)) > 1:
        raise UsageError("--yes, --script and --json exclude each other", hint="pick one")
    if root is not None and yes:
        raise UsageError(
            "--yes runs the plan on this host, but --root plans for another one",
            hint="use --script to get a script to run there",
        )
    options = SetupOptions(
        engine=parse_engine(engine),
        rootless=rootless,
        components=parse_only(only),
        user=user or ctx.identity.user,
    )
    if rootless and options.engine is not Engine.DOCKER:
        raise UsageError("--rootless applies to Docker", hint="Podman runs rootless already")
    with open_host(ctx.cwd / root if root else ctx.host_root) as reader:
        plan = build_plan(host_state(reader, arch), options)
    if as_json:
        print_json(plan.to_dict())
        return
    if script:
        typer.echo(render_script(plan), nl=False)
        return
    if root is not None:
        show_plan(plan, None)
        return
    _show_and_apply(plan, ctx, yes=yes)


def parse_engine(value: str) -> Engine:
    try:
        return Engine(value.lower())
    except ValueError:
        raise UsageError(
            f"--engine {value!r} is not a supported engine", hint="use podman or docker"
        ) from None


def parse_only(value: str | None) -> tuple[Component, ...]:
    if value is None:
        return tuple(Component)
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    known = [c.value for c in Component]
    chosen: set[Component] = set()
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            suggestion = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(
                f"--only: unknown component {name!r}",
                hint=f"{suggestion}components: {', '.join(known)}",
            )
        chosen.add(Component(name))
    if not chosen:
        raise UsageError("--only needs at least one component", hint=", ".join(known))
    return tuple(c for c in Component if c in chosen)


def show_plan(plan: Plan, statuses: dict[str, Status] | None) -> None:
    t = plan.target
    mode = plan.engine.value + (" (rootless)" if plan.rootless else "")
    out.print(f"Setup plan for {escape(t.distro)} ({t.family} family via {t.matched_by}, {t.arch})")
    out.print(f"engine: {mode}; components: {', '.join(c.value for c in plan.components)}")
    for note in plan.notes:
        out.print(f"note: {escape(note)}", style="dim")
    for step in plan.steps:
        status = statuses[step.id].value if statuses else "planned"
        flags = [
            text
            for cond, text in (
                (step.after is After.REBOOT, "reboot after"),
                (step.after is After.RELOGIN, "re-login after"),
                (step.interactive, "asks you"),
                (not step.needs_root, "as you"),
            )
            if cond
        ]
        suffix = f" [{', '.join(flags)}]" if flags else ""
        out.print(f"  {status:>7}  {step.id}{escape(suffix)}  {escape(step.reason)}")


def _show_and_apply(plan: Plan, ctx: AppContext, *, yes: bool) -> None:
    runner = ctx.runner
    privilege = Privilege(is_root=ctx.euid == 0)
    if plan.rootless and privilege.is_root:
        raise UsageError(
            "rootless Docker is set up for the user who runs it, not for root",
            hint="run `dlenv setup --rootless` as that user (it uses sudo for the root steps)",
        )
    if not privilege.is_root and runner.which("sudo") is None:
        raise UsageError("setup needs root and sudo is not installed", hint="run it as root")
    statuses = survey(plan, runner, privilege)
    show_plan(plan, statuses)
    todo = [s for s in plan.steps if statuses[s.id] is not Status.DONE]
    if not todo:
        success("every step is already done")
        return
    if not yes and not typer.confirm(f"Run {len(todo)} step(s) now?", default=False):
        info("nothing changed")
        return
    try:
        outcome = apply(plan, runner, privilege, lambda line: err.print(escape(line)))
    except KeyboardInterrupt:
        warn("setup interrupted")
        info("run `dlenv setup` again: it checks every step and resumes with the first not done")
        raise
    _report(outcome)


def _report(outcome: Outcome) -> None:
    if outcome.left_to_user is not None:
        step = outcome.left_to_user
        warn(f"{step.id} asks for input on the terminal; run it yourself:")
        for command in step.commands:
            out.print(f"  sudo {escape(command)}")
        if step.hint:
            info(step.hint)
        info("then reboot and run `dlenv setup` again: it resumes after this step")
        return
    if outcome.reboot_after is not None:
        warn(f"reboot now: {outcome.reboot_after} takes effect at boot")
        info("after the reboot, run `dlenv setup` again: it resumes where it stopped")
        return
    if outcome.relogin:
        warn("log out and back in (or run `newgrp docker`) so the new group applies")
    success(f"setup complete: {len(outcome.ran)} step(s) run, {len(outcome.skipped)} already done")
