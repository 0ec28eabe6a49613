"""Where an environment's lock lives, and loading it for a build (refusing a stale one)."""

from __future__ import annotations

from pathlib import Path

from dlenv.errors import DlenvError
from dlenv.lock.fileformat import read_lock
from dlenv.lock.model import LOCK_FILENAME, Lock, lock_input
from dlenv.lock.stale import stale_reasons
from dlenv.resolve import ResolvedEnv


class StaleLockError(DlenvError):
    """dlenv.lock no longer matches the spec."""


def lock_path(spec_source: str, cwd: Path) -> Path:
    """Beside the spec file; beside nothing (the current directory) for the embedded default."""
    spec_file = Path(spec_source)
    if spec_file.name.endswith(".toml") and spec_file.is_file():
        return spec_file.parent / LOCK_FILENAME
    return cwd / LOCK_FILENAME


def lock_for_build(path: Path, env: ResolvedEnv) -> Lock | None:
    """The lock to build from: None without one; an error when it no longer matches the spec.

    For `--locked` builds and the commands that only read the lock (render, export, push): a
    stale lock is refused rather than ignored, as building something other than what the lock
    says would defeat its purpose. `build` and `up` re-lock instead
    (dlenv.environment.locking.lock_following_spec).
    """
    lock = read_lock(path)
    if lock is None:
        return None
    reasons = stale_reasons(lock, lock_input(env))
    if reasons:
        raise StaleLockError(
            f"{path} is stale: the spec changed since it was written",
            details="\n".join(f"- {reason}" for reason in reasons),
            hint="Run `dlenv lock` to update it (versions already locked are kept where they "
            "still fit; `dlenv build` and `dlenv up` do it themselves without --locked), or "
            f"delete {path.name} to build without a lock.",
        )
    return lock
