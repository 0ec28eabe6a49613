"""`dlenv status`: is the environment running, and how to reach it."""

from __future__ import annotations

import re
from typing import Any

import typer
from rich.markup import escape

from dlenv.commands.options import JsonOption, env_options
from dlenv.commands.output import print_access
from dlenv.console import out, print_json
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.target import Target, access_of, find_target
from dlenv.labels import image_contents


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)


@env_options("target")
def status_command(
    options: EnvOptions,
    ctx: AppContext,
    as_json: JsonOption = False,
) -> None:
    """Show the environment's state, the ssh command and the Jupyter URL (with its token)."""
    target = find_target(options, ctx)
    if target.container is None:
        if as_json:
            print_json({"name": target.name, "state": "absent", "engine": target.engine.name})
        else:
            out.print(f"{escape(target.name)}: not created (start it with `dlenv up`)")
        return
    access = access_of(target, target.container)
    image_labels = target.engine.image_labels(target.container.image)
    idle = _idle_report(target)
    if as_json:
        data = access.as_json()
        data["engine"] = target.engine.name
        data["contents"] = image_contents(image_labels)
        data["idle_stop"] = idle
        data["secrets"] = list(target.labels.secrets)
        data["caches"] = target.labels.caches or "off"
        print_json(data)
        return
    colour = "green" if access.state == "running" else "yellow"
    out.print(
        f"[bold]{escape(access.name)}[/bold]  [{colour}]{escape(access.state)}[/{colour}]  "
        f"({target.engine.name}, {escape(access.image)})"
    )
    out.print(f"[bold]Restarts[/bold] {access.restarts}" + _restart_note(access.restarts))
    if access.state == "running":
        print_access(access)
    if idle["setting"] != "off":
        last = idle["last_activity"] or "not yet measured"
        stopped = "; stopped for being idle" if idle["stopped_idle"] else ""
        out.print(
            f"[bold]Idle[/bold]     stops after {idle['setting']} idle "
            f"(last activity: {last}){stopped}"
        )
    if target.labels.secrets:
        names = escape(", ".join(target.labels.secrets))
        out.print(f"[bold]Secrets[/bold]  {names} in /run/secrets")


# Written by the idle watcher (render/templates/idle_watch.py.j2) and printed by the entrypoint
# when it stops the container for being idle.
LAST_ACTIVITY_FILE = "/run/dlenv/last-activity"
IDLE_STOP_LINE = "dlenv: stopped after run.idle_stop"


def _idle_report(target: Target) -> dict[str, Any]:
    """run.idle_stop as the container was started with it, the watcher's last activity while
    it runs, and whether a stopped container stopped for being idle."""
    container = target.container
    setting = target.labels.idle_stop
    report: dict[str, Any] = {
        "setting": setting or "off", "last_activity": None, "stopped_idle": False,
    }  # fmt: skip
    if container is None or setting is None:
        return report
    if container.state == "running":
        done = target.engine.exec(
            container.name, ("cat", LAST_ACTIVITY_FILE), user=target.labels.user
        )
        stamp = done.stdout.strip()
        report["last_activity"] = stamp if done.ok and _STAMP.fullmatch(stamp) else None
    else:
        report["stopped_idle"] = IDLE_STOP_LINE in target.engine.logs(container.name, tail=20)
    return report


_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def _restart_note(restarts: int) -> str:
    if not restarts:
        return ""
    return "  (sshd or JupyterLab died and the engine started it again; see `dlenv logs`)"
