"""A revision of this repository checked out beside it, for a side-by-side benchmark (B)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def base_tree(repo: Path, revision: str, where: Path) -> Iterator[Path]:
    """`revision` as a detached git worktree at `where`, removed afterwards."""
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(where), revision],
                   check=True, capture_output=True)  # fmt: skip
    try:
        yield where
    finally:
        subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(where)],
                       check=False, capture_output=True)  # fmt: skip


def short_commit(repo: Path, revision: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", revision],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
