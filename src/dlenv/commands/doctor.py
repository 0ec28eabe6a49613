"""`dlenv doctor`: inspect the host (or a support bundle) and explain what would break."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dlenv.commands.options import HostOption, JsonOption, SpecOption, app_context_of
from dlenv.console import out, print_json, success
from dlenv.errors import UsageError

if TYPE_CHECKING:
    from dlenv.context import AppContext
    from dlenv.host.reader import HostReader


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)


def doctor_command(
    click_context: typer.Context,
    spec: SpecOption = None,
    host: HostOption = None,
    as_json: JsonOption = False,
    collect_to: Annotated[
        Path | None,
        typer.Option(
            "--collect",
            help="Also write a support bundle (tar.gz) of everything read.",
            dir_okay=False,
        ),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option("--from", help="Diagnose a support bundle (file or unpacked directory)."),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show details of passing checks.")
    ] = False,
) -> int:
    """Check the host for everything a GPU container needs; exit 1 when something fails.

    With --host (or DLENV_HOST, or the spec's `host`), the box is checked, over one SSH
    connection.
    """
    # Imported here (noqa PLC0415): other commands start without paying for probes and rules.
    from dlenv.host.probe import collect  # noqa: PLC0415

    ctx = app_context_of(click_context)
    if replay and host:
        raise UsageError("--from and --host exclude each other", hint="Pass one of them.")
    with tempfile.TemporaryDirectory(prefix="dlenv-doctor-") as scratch:
        reader = _reader(replay, Path(scratch), ctx, None if replay else host)
        # The probes start first: `podman info` alone is most of doctor's time (it asks dpkg
        # or rpm which package each of its helpers came from), and the imports, the spec and
        # the knowledge tables load meanwhile instead of before it (bench/RESULTS-doctor.md).
        with ThreadPoolExecutor(max_workers=1) as pool:
            probing = pool.submit(collect, reader)
            from dlenv.host.doctor import diagnose  # noqa: PLC0415
            from dlenv.knowledge import load_knowledge  # noqa: PLC0415
            from dlenv.spec import load_spec  # noqa: PLC0415

            loaded, source = load_spec(spec, search_dir=ctx.cwd)
            knowledge = load_knowledge()
            inventory = probing.result()
        box = None if replay else (host or loaded.host)
        if box and not host:
            # Only the spec named the box (rare): what ran meanwhile probed this machine.
            reader = _reader(None, Path(scratch), ctx, box)
            inventory = collect(reader)
        findings = diagnose(inventory, loaded, source, knowledge)
        if collect_to is not None:
            from dlenv.host.snapshot import write_bundle  # noqa: PLC0415

            write_bundle(reader.snapshot, collect_to)
    from dlenv.host.findings import exit_code  # noqa: PLC0415
    from dlenv.host.report import render, to_json  # noqa: PLC0415

    where = f"bundle {replay}" if replay else f"the box {box}" if box else "this host"
    if as_json:
        print_json(to_json(findings, where))
    else:
        out.print(f"[bold]dlenv doctor[/bold]: {where}")
        render(findings, out, verbose=verbose)
    if collect_to is not None:
        success(
            f"support bundle written to {collect_to} (replay: dlenv doctor --from {collect_to})"
        )
    return exit_code(findings)


def _reader(replay: Path | None, scratch: Path, ctx: AppContext, box: str | None) -> HostReader:
    from dlenv.host.reader import HostReader, replay_reader  # noqa: PLC0415
    from dlenv.host.snapshot import extract_bundle  # noqa: PLC0415

    if box:
        # Imported only for a box: the SSH and engine layers are a third of doctor's imports.
        from dlenv.environment.box import open_box  # noqa: PLC0415

        opened = open_box(box, ctx)  # closed with the command (`ssh -O exit`)
        if opened is not None:
            return opened.reader
    if replay is None:
        return HostReader(root=ctx.host_root, runner=ctx.runner)
    if replay.is_dir():
        return replay_reader(replay)
    if not replay.is_file():
        raise UsageError(
            f"--from {replay}: no such file or directory",
            hint="Pass a bundle written by `dlenv doctor --collect FILE`.",
        )
    return replay_reader(extract_bundle(replay, scratch))
