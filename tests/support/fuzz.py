"""Hypothesis strategies shared by the fuzz tests: JSON values, and text built from real captures.

Pure random text rarely gets past a parser's first check, so each text strategy mixes random
lines with lines (and mutilated lines) of the real outputs in tests/fixtures/captured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

CAPTURED = Path(__file__).parents[1] / "fixtures" / "captured"

# Scalars JSON (and YAML) can hold; floats without NaN so values compare, big ints included.
scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)


def json_values(keys: st.SearchStrategy[str] = st.text(max_size=10)) -> st.SearchStrategy[Any]:
    """Any JSON value, its objects keyed by `keys` (mix in the keys the parser looks for)."""
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=10,
    )


def json_object(known: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object whose keys are mostly the ones the parser reads, with any values."""
    keys = st.sampled_from(known) | st.text(max_size=10)
    return st.dictionaries(keys, json_values(keys), max_size=6)


def capture_lines(*relative: str) -> list[str]:
    lines: list[str] = []
    for name in relative:
        lines += (CAPTURED / name).read_text(encoding="utf-8").splitlines()
    return lines


def text_like(lines: list[str]) -> st.SearchStrategy[str]:
    """Text made of real lines, cut real lines, and random lines, in any order."""
    real = st.sampled_from(lines)
    cut = st.tuples(real, st.integers(0, 200)).map(lambda pair: pair[0][: pair[1]])
    line = real | cut | st.text(max_size=40)
    return st.lists(line, max_size=15).map("\n".join) | st.text()


def json_text(value: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """JSON documents of `value`, plus text that is not JSON at all."""
    return value.map(json.dumps) | st.text(max_size=200)
