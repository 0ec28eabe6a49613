"""dlenv.lock <-> Lock. TOML, written deterministically (sorted, no timestamps) so it diffs well."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from dlenv.errors import DlenvError, UsageError
from dlenv.files import write_atomic
from dlenv.lock.model import FORMAT_VERSION, Lock, LockedLayer, LockedPackage
from dlenv.lock.validate import REGENERATE_HINT, LockFieldError
from dlenv.lock.where import KeyPath, key_path, line_of

_HEADER = (
    "# dlenv.lock: exact versions and hashes of every Python package, grouped by image layer,\n"
    "# from one resolve of the whole spec. Written by `dlenv lock`; do not edit by hand.\n"
    "# `dlenv lock --check` says whether it still matches the spec; content-digest covers it all.\n"
)


def _s(value: str) -> str:
    # A JSON string with ASCII escapes is a valid TOML basic string.
    return json.dumps(value)


def _list(values: tuple[str, ...], indent: str = "") -> str:
    if not values:
        return "[]"
    inner = "".join(f"{indent}  {_s(v)},\n" for v in values)
    return "[\n" + inner + indent + "]"


def dumps(lock: Lock) -> str:
    lines = [
        _HEADER,
        f"version = {FORMAT_VERSION}",
        f"input-digest = {_s(lock.input_digest)}",
        f"content-digest = {_s(lock.content_digest)}",
        f"python = {_s(lock.python)}",
        f"python-target = {_s(lock.python_target)}",
        f"base-image = {_s(lock.base_image)}",
        *_base_lines(lock),
        f"platforms = {_list(lock.platforms)}",
        f"extra-index-urls = {_list(lock.extra_index_urls)}",
        f"resolver = {_s(lock.resolver)}",
    ]
    for layer in lock.layers:
        lines += ["", "[[layers]]", f"name = {_s(layer.name)}"]
        lines.append(f"requirements = {_list(layer.requirements)}")
        for package in layer.packages:
            lines += [
                "",
                "[[layers.packages]]",
                f"name = {_s(package.name)}",
                f"version = {_s(package.version)}",
            ]
            if package.marker:
                lines.append(f"marker = {_s(package.marker)}")
            lines.append(f"hashes = {_list(package.hashes)}")
    return "\n".join(lines) + "\n"


def _base_lines(lock: Lock) -> list[str]:
    if not lock.base_digest:
        return []
    return [
        f"base-digest = {_s(lock.base_digest)}",
        f"base-digest-kind = {_s(lock.base_digest_kind)}",
    ]


def loads(text: str, source: str = "dlenv.lock") -> Lock:
    """The lock in `text`, every value checked; a UsageError (exit 2) naming the key otherwise."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(source, f"not valid TOML ({exc})") from None
    except (RecursionError, ValueError):  # deep nesting; an integer of thousands of digits
        raise _bad(source, "not valid TOML (nested too deeply or a number too long)") from None
    return lock_from_data(data, source, text)


def lock_from_data(data: dict[str, Any], source: str = "dlenv.lock", text: str = "") -> Lock:
    """The lock in a parsed dlenv.lock (`text`, when given, only serves to name lines)."""
    version = data.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        shown = repr(version) if type(version) is int and abs(version) < 10**6 else _kind(version)
        raise _bad(source, f"format version {shown}, expected {FORMAT_VERSION}")
    try:
        lock = _lock(data)
        stored = _str(data, (), "content-digest")
    except _Bad as exc:
        line = line_of(text, exc.path)
        where = key_path(exc.path) + (f" (line {line})" if line else "")
        raise _bad(source, f"{where}: {exc.problem}") from None
    if stored != lock.content_digest:
        line = line_of(text, ("content-digest",))
        raise UsageError(
            f"{source} was edited by hand: its content does not match its content-digest"
            + (f" (line {line})" if line else ""),
            hint=REGENERATE_HINT,
        )
    return lock


def read_lock(path: Path) -> Lock | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise _bad(str(path), "not UTF-8 text") from None
    except OSError as exc:
        raise DlenvError(f"{path} cannot be read: {exc.strerror or exc}") from None
    return loads(text, str(path))


def write_lock(path: Path, lock: Lock) -> None:
    """Whole or not at all; a temporary file of its own, so two `dlenv up` re-locking one
    environment at once cannot interleave their bytes. 0644: the lock is meant to be shared."""
    write_atomic(path, dumps(lock), mode=0o644)


class _Bad(Exception):
    """A value at `path` is missing, of the wrong type, or breaks its rule."""

    def __init__(self, path: KeyPath, problem: str):
        super().__init__(problem)
        self.path = path
        self.problem = problem


_TOP_KEYS = frozenset(
    {"version", "input-digest", "content-digest", "python", "python-target", "base-image"}
    | {"base-digest", "base-digest-kind", "platforms", "extra-index-urls", "resolver", "layers"}
)
_LAYER_KEYS = frozenset({"name", "requirements", "packages"})
_PACKAGE_KEYS = frozenset({"name", "version", "marker", "hashes"})


def _lock(data: dict[str, Any]) -> Lock:
    _known(data, (), _TOP_KEYS)
    layers = tuple(
        _layer(item, ("layers", i)) for i, item in enumerate(_tables(data, (), "layers"))
    )
    return _make(
        (),
        lambda: Lock(
            input_digest=_str(data, (), "input-digest"),
            python=_str(data, (), "python"),
            python_target=_str(data, (), "python-target"),
            base_image=_str(data, (), "base-image"),
            platforms=_strs(data, (), "platforms"),
            extra_index_urls=_strs(data, (), "extra-index-urls"),
            resolver=_str(data, (), "resolver"),
            layers=layers,
            # Optional: a lock written before dlenv recorded the base digest has neither.
            base_digest=_str(data, (), "base-digest") if "base-digest" in data else "",
            base_digest_kind=(
                _str(data, (), "base-digest-kind") if "base-digest-kind" in data else ""
            ),
        ),
    )


def _layer(item: dict[str, Any], path: KeyPath) -> LockedLayer:
    _known(item, path, _LAYER_KEYS)
    packages = tuple(
        _package(p, (*path, "packages", i))
        for i, p in enumerate(_tables(item, path, "packages"))
    )
    return _make(
        path,
        lambda: LockedLayer(
            name=_str(item, path, "name"),
            requirements=_strs(item, path, "requirements"),
            packages=packages,
        ),
    )


def _package(item: dict[str, Any], path: KeyPath) -> LockedPackage:
    _known(item, path, _PACKAGE_KEYS)
    return _make(
        path,
        lambda: LockedPackage(
            name=_str(item, path, "name"),
            version=_str(item, path, "version"),
            marker=_str(item, path, "marker") if "marker" in item else "",
            hashes=_strs(item, path, "hashes"),
        ),
    )


_T = TypeVar("_T")


def _make(path: KeyPath, build: Callable[[], _T]) -> _T:
    """Build a model object; a value it refuses is reported at its key path in the file."""
    try:
        return build()
    except LockFieldError as exc:
        key = re.fullmatch(r"(.+?)(?:\[(\d+)\])?", exc.key)
        assert key is not None  # the pattern matches any non-empty key
        index = (int(key[2]),) if key[2] is not None else ()
        raise _Bad((*path, key[1], *index), exc.problem) from None


def _known(table: dict[str, Any], path: KeyPath, keys: frozenset[str]) -> None:
    # Every key is one dlenv writes: nothing unchecked rides along in the file.
    for key in sorted(table):
        if key not in keys:
            raise _Bad((*path, key), f"unknown key (expected one of {', '.join(sorted(keys))})")


def _get(table: dict[str, Any], path: KeyPath, key: str) -> Any:
    if key not in table:
        raise _Bad((*path, key), "missing")
    return table[key]


def _str(table: dict[str, Any], path: KeyPath, key: str) -> str:
    value = _get(table, path, key)
    if not isinstance(value, str):
        raise _Bad((*path, key), f"expected a string, found {_kind(value)}")
    return value


def _strs(table: dict[str, Any], path: KeyPath, key: str) -> tuple[str, ...]:
    value = _get(table, path, key)
    if not isinstance(value, list):
        raise _Bad((*path, key), f"expected an array of strings, found {_kind(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _Bad((*path, key, i), f"expected a string, found {_kind(item)}")
    return tuple(value)


def _tables(table: dict[str, Any], path: KeyPath, key: str) -> list[dict[str, Any]]:
    value = table.get(key, [])  # a lock, or a layer, may have none
    if not isinstance(value, list):
        raise _Bad((*path, key), f"expected an array of tables, found {_kind(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _Bad((*path, key, i), f"expected a table, found {_kind(item)}")
    return value


def _kind(value: object) -> str:
    kinds = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    kinds |= {list: "an array", dict: "a table", type(None): "nothing"}
    return kinds.get(type(value), type(value).__name__)


def _bad(source: str, problem: str) -> UsageError:
    return UsageError(f"{source} is not a dlenv lock file: {problem}", hint=REGENERATE_HINT)
