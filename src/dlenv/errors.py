"""Errors a user can act on. Each message says what happened and what to do next.

The CLI maps each class to an exit code and prints it without a traceback.
"""

from __future__ import annotations


class DlenvError(Exception):
    """Something the user can fix: a missing engine, a busy port, a failed build."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, details: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details


class UsageError(DlenvError):
    """Bad input: a malformed spec, an unknown option value, a file that does not parse."""

    exit_code = 2


class SpecError(UsageError):
    """The spec file is invalid. `problems` holds one line per problem, each with its key path."""

    def __init__(self, source: str, problems: list[str], *, hint: str | None = None):
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source} is not a valid dlenv spec:\n{lines}", hint=hint)
        self.source = source
        self.problems = problems


class EngineError(DlenvError):
    """The container engine refused or failed an operation."""


class BuildError(EngineError):
    """The image build failed."""
