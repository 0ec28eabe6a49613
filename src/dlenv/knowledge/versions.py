"""Version strings as comparable tuples, with messages that give the expected form."""

from __future__ import annotations

import re

from dlenv.errors import UsageError

_DRIVER = re.compile(r"[0-9]{3,4}(\.[0-9]{1,3}){1,2}")
_XY = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}")
_SM = re.compile(r"sm_?([0-9]{1,2})([0-9])", re.IGNORECASE)
_LEADING_DIGITS = re.compile(r"\d+")

Version = tuple[int, ...]


def as_tuple(text: str | None) -> Version:
    """Leading numeric parts of a dotted version: "550.54.15" -> (550, 54, 15), "12.8" -> (12, 8),
    "1.17.8~rc1" -> (1, 17, 8); None or "" -> ()."""
    parts: list[int] = []
    for piece in (text or "").split("."):
        match = _LEADING_DIGITS.match(piece)
        if not match:
            break
        parts.append(int(match.group()))
    return tuple(parts)


def is_driver_version(text: str) -> bool:
    return bool(_DRIVER.fullmatch(text.strip()))


def parse_driver(text: str, what: str = "driver version") -> Version:
    """ "550.54.14" or "570.26" -> (550, 54, 14); else a UsageError giving the expected form."""
    value = text.strip()
    if not _DRIVER.fullmatch(value):
        raise UsageError(
            f"{what} {text!r} is not an NVIDIA driver version",
            hint='Expected the form nvidia-smi prints, e.g. "550.54.14" or "570.26".',
        )
    return as_tuple(value)


def parse_xy(text: str, what: str, example: str) -> Version:
    """ "12.8" -> (12, 8); a UsageError naming the expected form otherwise."""
    value = text.strip()
    if not _XY.fullmatch(value):
        raise UsageError(
            f"{what} {text!r} is not a version X.Y", hint=f'Expected e.g. "{example}".'
        )
    return as_tuple(value)


def parse_cc(text: str) -> str:
    """ "8.9", "sm_89", "sm89" -> "8.9"."""
    value = text.strip()
    sm = _SM.fullmatch(value)
    if sm:
        return f"{int(sm[1])}.{sm[2]}"
    if _XY.fullmatch(value):
        major, minor = value.split(".")
        return f"{int(major)}.{int(minor)}"
    raise UsageError(
        f"compute capability {text!r} is not of the form X.Y or sm_XY",
        hint='Expected e.g. "8.9" or "sm_89".',
    )


def xy(text: str) -> str:
    """ "12.8.1" -> "12.8"."""
    return ".".join(text.split(".")[:2])
