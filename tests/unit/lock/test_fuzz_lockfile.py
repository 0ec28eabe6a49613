"""Property-based fuzzing of the dlenv.lock reader (issue 11): any text, any TOML-shaped data,
and any single change to a real lock gives a Lock or a DlenvError (exit 1 or 2); never another
exception, never a hang. Bounded to a few seconds: max_examples per property, no deadline (the
first examples pay for imports)."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.errors import DlenvError
from dlenv.lock import Lock, dumps, loads
from dlenv.lock.fileformat import lock_from_data
from tests.support.index_config import index_url, loopback_url
from tests.support.locks import fixture_lock

FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
GOLDEN_TEXT = dumps(fixture_lock())
GOLDEN_DATA = tomllib.loads(GOLDEN_TEXT)

KEYS = [
    "version", "input-digest", "content-digest", "python", "python-target", "base-image",
    "platforms", "extra-index-urls", "resolver", "layers", "name", "requirements", "packages",
    "marker", "hashes",
]  # fmt: skip
# Values near the valid ones, so the fuzzer gets past the first checks and into the deep ones.
NEAR = [
    "core", "extra", "torch", "numpy", "1.3.3", "2.8.0+cu128", "1!2.0.post1", "system", "3.11",
    "linux/amd64", "linux/arm64", "uv 0.13.9", index_url("pypi"),
    loopback_url(3141, "/", host="[::1]"),
    "sha256:" + "a" * 64, "python_full_version < '3.12'", "sys_platform == 'linux' and (",
    "extra\nRUN id", "1.0 --extra-index-url " + index_url("evil", "", scheme="http"),
    "((((((((((((((((((((", "",
]  # fmt: skip

scalars = st.one_of(
    st.sampled_from(NEAR),
    st.text(max_size=30),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=3),
    ),
    max_leaves=8,
)
packages = st.dictionaries(st.sampled_from(["name", "version", "marker", "hashes"]), values)
layers = st.fixed_dictionaries(
    {"packages": st.lists(packages, max_size=2)},
    optional={"name": values, "requirements": values},
)
locks = st.fixed_dictionaries(
    {"version": st.just(2) | values, "layers": st.lists(layers, max_size=2) | values},
    optional=dict.fromkeys(KEYS[1:9], values),
)


def read(call: Any) -> None:
    try:
        result = call()
    except DlenvError as error:
        assert error.message  # a message the CLI prints (it maps the class to exit 1 or 2)
        return
    assert isinstance(result, Lock)


@FUZZ
@given(st.text(max_size=2000))
def test_any_text(text: str) -> None:
    read(lambda: loads(text))


@FUZZ
@given(st.text(alphabet='[]{}="\',.#\n \\abc123-:', max_size=400))
def test_toml_punctuation(text: str) -> None:
    read(lambda: loads(text))


@FUZZ
@given(locks)
def test_toml_shaped_data(data: dict[str, Any]) -> None:
    read(lambda: lock_from_data(data))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _paths(child, (*path, i))
    return found


PATHS = [p for p in _paths(GOLDEN_DATA) if p]


@FUZZ
@given(st.sampled_from(PATHS), values | st.none())
def test_one_value_of_a_real_lock_changed(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(GOLDEN_DATA)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if value is None:
        del parent[path[-1]]  # a missing key, or a shorter array
    else:
        parent[path[-1]] = value
    read(lambda: lock_from_data(data))


@FUZZ
@given(st.integers(0, len(GOLDEN_TEXT) - 1), st.text(max_size=20), st.integers(0, 20))
def test_one_edit_of_a_real_lock_file(at: int, insert: str, cut: int) -> None:
    read(lambda: loads(GOLDEN_TEXT[:at] + insert + GOLDEN_TEXT[at + cut :]))
