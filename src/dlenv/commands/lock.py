"""`dlenv lock`: resolve every package layer at once with uv and write dlenv.lock."""

from __future__ import annotations

import typer

from dlenv.commands.options import env_options
from dlenv.console import out, success
from dlenv.context import AppContext
from dlenv.engine.detect import open_engine
from dlenv.environment.locking import previous_lock, write_new_lock
from dlenv.environment.options import EnvOptions
from dlenv.environment.resolution import load_effective_spec, resolve_here
from dlenv.errors import DlenvError
from dlenv.lock import lock_input, read_lock, stale_reasons
from dlenv.lock.locate import lock_path


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
    previous = None if upgrade else previous_lock(path)
    engine = open_engine(options.engine, effective.engine, ctx.runner)[0]
    ca_bundle = (ctx.cwd / options.ca_bundle.expanduser()).resolve() if options.ca_bundle else None
    write_new_lock(path, env, engine, ctx.runner, previous=previous, ca_bundle=ca_bundle)
    out.print(str(path))
