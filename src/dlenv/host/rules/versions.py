"""Dotted numeric versions compared as tuples: driver "550.54.15", CUDA "12.8", CC "8.9"."""

from __future__ import annotations

import re


def vtuple(text: str | None) -> tuple[int, ...]:
    """Leading numeric parts: "550.54.15" -> (550, 54, 15); "1.17.8~rc1" -> (1, 17, 8)."""
    parts = []
    for piece in (text or "").split("."):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group()))
    return tuple(parts)
