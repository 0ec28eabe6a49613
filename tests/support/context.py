"""An AppContext for running dlenv in-process in a test: its own cwd, state and environment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dlenv.context import AppContext, Identity
from dlenv.process import Runner


def make_context(
    tmp_path: Path,
    runner: Runner,
    environ: Mapping[str, str] | None = None,
    uid: int = 1000,
    host_root: Path | None = None,
) -> AppContext:
    return AppContext(
        cwd=tmp_path,
        environ=dict(environ or {"HOME": str(tmp_path / "home")}),
        identity=Identity(uid, uid, "tester"),
        state_root=tmp_path / "state",
        runner=runner,
        host_root=host_root or tmp_path / "host",
    )
