"""Where the uv program is: the one dlenv's `uv` dependency ships, else the one on PATH."""

from __future__ import annotations

from dlenv.errors import DlenvError
from dlenv.process import Runner


def find_uv(runner: Runner) -> str:
    try:
        from uv import find_uv_bin  # noqa: PLC0415  (optional: a dev checkout may lack it)

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = runner.which("uv")
    if found is None:
        raise DlenvError(
            "uv was not found",
            hint="Reinstall dlenv (it depends on the `uv` package), or install uv on PATH.",
        )
    return found
