"""Writing dlenv.lock: `dlenv lock`, and `build`/`up` when the spec changed since the last lock.

`build` and `up` follow the spec as cargo and uv do with their lock files: a stale lock is
re-locked before the build (only the layers that changed are resolved again, versions already
locked are kept where they still fit), and `--locked` refuses a stale lock instead, for CI and
for anyone who wants the lock changed only by `dlenv lock`.
"""

from __future__ import annotations

from pathlib import Path

from dlenv.console import info, success, warn
from dlenv.engine.base import IMAGE_ID, BaseDigest
from dlenv.engine.cli_engine import CliEngine
from dlenv.errors import EngineError, UsageError
from dlenv.lock import Lock, lock_input, read_lock, stale_reasons, write_lock
from dlenv.lock.resolver import known_system_python, probe_system_python, resolve_lock
from dlenv.process import Runner
from dlenv.resolve import ResolvedEnv


def write_new_lock(
    path: Path,
    env: ResolvedEnv,
    engine: CliEngine,
    runner: Runner,
    *,
    previous: Lock | None,
    ca_bundle: Path | None,
) -> Lock:
    """Resolve every layer of `env` (keeping `previous`'s versions where they still fit; only
    the layers from the first changed one on, when the first ones are unchanged) and write the
    lock to `path`. `runner` runs uv (and the engine, for a python3 version it must ask)."""
    wanted = lock_input(env)
    base = _base_digest(engine, env.base_image, previous)
    if env.spec.python.version != "system":
        target = env.spec.python.version
    elif (known := known_system_python(previous, base)) is not None:
        target = known
    else:
        info(f'python.version = "system": asking {env.base_image} for its python3 version')
        target = probe_system_python(runner, engine.name, env.base_image)
    info(f"resolving {len(wanted.layers)} layers for Python {target}, linux/amd64 + linux/arm64")
    lock = resolve_lock(
        runner,
        wanted,
        target,
        previous=previous,
        ca_bundle=ca_bundle,
        indexes=env.indexes,
        base=base,
    )
    write_lock(path, lock)
    for layer in lock.layers:
        info(f"  {layer.name}: {len(layer.packages)} packages")
    success(f"wrote {path} ({lock.package_count} packages, {lock.resolver})")
    return lock


def lock_following_spec(
    path: Path,
    env: ResolvedEnv,
    engine: CliEngine,
    runner: Runner,
    *,
    ca_bundle: Path | None,
) -> Lock | None:
    """The lock to build from, re-locked first when the spec changed since it was written;
    None without a lock (the build then resolves in the image). A lock that does not read is
    an error, as with `--locked`: it is the user's file, and replacing it is `dlenv lock`'s."""
    lock = read_lock(path)
    if lock is None:
        return None
    reasons = stale_reasons(lock, lock_input(env))
    if not reasons:
        return lock
    details = "; ".join(reasons)
    info(f"{path.name} is stale ({details}): re-locking it (--locked refuses instead)")
    return write_new_lock(path, env, engine, runner, previous=lock, ca_bundle=ca_bundle)


def previous_lock(path: Path) -> Lock | None:
    """The lock whose versions to keep. One that does not read (damaged, edited, an older
    format) is replaced, never trusted: its pins would become uv's preferences."""
    try:
        return read_lock(path)
    except UsageError as exc:
        warn(f"{exc.message}; resolving afresh, without its versions")
        return None


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
