"""Asking before a spec file opens the host (keys, a non-loopback bind, a host workspace):
`up` and `export` both run what the file asks for, so both ask first."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import typer

from dlenv.console import warn
from dlenv.environment.trust import TrustDecision
from dlenv.errors import DlenvError, UsageError

OVERRIDES_HINT = (
    "Read them first: the spec file may come from someone else's repository. Pass --yes to "
    "accept them, or choose for yourself: --authorized-keys FILE, --bind 127.0.0.1, "
    "--workspace volume."
)


def confirm_trust(
    decisions: Sequence[TrustDecision],
    source: str,
    *,
    yes: bool,
    interactive: bool | None = None,  # None: whether stdin is a terminal
    ask: Callable[[str], bool] = lambda question: typer.confirm(question, default=False),
) -> None:
    """Ask before the spec file opens the host; without a terminal, --yes or exit 2."""
    if not decisions or yes:
        return
    listing = "\n".join(f"  - {d.describe()}" for d in decisions)
    message = f"{source} asks for settings that open this host:\n{listing}"
    if not (sys.stdin.isatty() if interactive is None else interactive):
        raise UsageError(f"{message}\nThey need a confirmation.", hint=OVERRIDES_HINT)
    warn(message)
    if not ask("Accept these settings from the spec file?"):
        raise DlenvError("not started: the spec file's settings were declined", hint=OVERRIDES_HINT)
