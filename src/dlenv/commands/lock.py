"""`dlenv lock`: resolve every package layer at once with uv and write dlenv.lock."""

from __future__ import annotations

from pathlib import Path

import typer

from dlenv.commands.options import env_options
from dlenv.console import info, out, success, warn
from dlenv.context import AppContext
from dlenv.engine.base import IMAGE_ID, BaseDigest
from dlenv.engine.cli_engine import CliEngine
from dlenv.engine.detect import open_engine
from dlenv.environment.options import EnvOptions
from dlenv.environment.resolution import load_effective_spec, resolve_here
from dlenv.errors import DlenvError, EngineError, UsageError
from dlenv.lock import Lock, lock_input, read_lock, stale_reasons, write_lock
from dlenv.lock.locate import lock_path
from dlenv.lock.resolver import known_system_python, probe_system_python, resolve_lock


class LockCheckFailed(DlenvError):
    """`dlenv lock --check`: the lock is missing or stale."""


def register(app: typer.Typer) -> None:
    app.command("lock")(lock_command)


@env_options("build")
def lock_command(
    options: EnvOptions,
    ctx: AppContext,
    check: bool = typer.Option(
        False, "--check", help="Only say whether dlenv.lock matches the spec (exit 1 if not)."
    ),
    upgrade: bool = typer.Option(
        False, "--upgrade", help="Re-resolve to the newest versions instead of keeping locked ones."
    ),
) -> None:
    """Resolve all package groups together (linux/amd64 + arm64) into dlenv.lock, with hashes."""
    effective, source = load_effective_spec(options, ctx)
    env = resolve_here(effective, ctx)  # the same resolve `up` and `build` check the lock with
    path = lock_path(source, ctx.cwd)
    wanted = lock_input(env)
    if check:
        previous = read_lock(path)  # a lock that does not read is an error here (exit 2)
        if previous is None:
            raise LockCheckFailed(f"{path} does not exist", hint="Run `dlenv lock` to create it.")
        reasons = stale_reasons(previous, wanted)
        if reasons:
            raise LockCheckFailed(
                f"{path} is stale",
                details="\n".join(f"- {reason}" for reason in reasons),
                hint="Run `dlenv lock` to update it.",
            )
        success(f"{path} is up to date ({previous.package_count} packages)")
        return
    previous = _previous_lock(path)
    runner = ctx.runner
    engine = open_engine(options.engine, effective.engine, runner)[0]
    base = _base_digest(engine, env.base_image, None if upgrade else previous)
    kept = None if upgrade else previous
    if env.spec.python.version != "system":
        target = env.spec.python.version
    elif (known := known_system_python(kept, base)) is not None:
        target = known
    else:
        info(f'python.version = "system": asking {env.base_image} for its python3 version')
        target = probe_system_python(runner, engine.name, env.base_image)
    info(f"resolving {len(wanted.layers)} layers for Python {target}, linux/amd64 + linux/arm64")
    ca_bundle = (ctx.cwd / options.ca_bundle.expanduser()).resolve() if options.ca_bundle else None
    lock = resolve_lock(
        runner,
        wanted,
        target,
        previous=kept,
        ca_bundle=ca_bundle,
        indexes=env.indexes,
        base=base,
    )
    write_lock(path, lock)
    for layer in lock.layers:
        info(f"  {layer.name}: {len(layer.packages)} packages")
    success(f"wrote {path} ({lock.package_count} packages, {lock.resolver})")
    out.print(str(path))


def _base_digest(engine: CliEngine, base_image: str, previous: Lock | None) -> BaseDigest:
    """The digest the build pins the base to. A previous lock's is kept for the same base, as
    its package versions are (`--upgrade` asks the engine again): a re-lock for a new package
    does not move the base."""
    if previous is not None and previous.base is not None and previous.base_image == base_image:
        return previous.base
    info(f"asking {engine.name} for the digest of {base_image}")
    try:
        found = engine.base_digest(base_image)
    except EngineError as error:
        error.hint = (
            "dlenv.lock records the base image's digest, so the image must be present or "
            "pullable. Check its name and your network, or pass --base-image REF with an image "
            "you have locally."
        )
        raise
    if found.kind == IMAGE_ID:
        warn(
            f"{base_image} has no registry digest in {engine.name} (imported or built locally): "
            f"the lock pins its image ID {found.digest}, which only an engine holding this very "
            "image can build from"
        )
    return found


def _previous_lock(path: Path) -> Lock | None:
    """The lock whose versions to keep. One that does not read (damaged, edited, an older
    format) is replaced, never trusted: its pins would become uv's preferences."""
    try:
        return read_lock(path)
    except UsageError as exc:
        warn(f"{exc.message}; resolving afresh, without its versions")
        return None
