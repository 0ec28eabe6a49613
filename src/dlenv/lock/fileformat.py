"""dlenv.lock <-> Lock. TOML, written deterministically (sorted, no timestamps) so it diffs well."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from dlenv.errors import UsageError
from dlenv.lock.model import FORMAT_VERSION, Lock, LockedLayer, LockedPackage

_HEADER = (
    "# dlenv.lock: exact versions and hashes of every Python package, grouped by image layer,\n"
    "# from one resolve of the whole spec. Written by `dlenv lock`; do not edit by hand.\n"
    "# `dlenv lock --check` says whether it still matches the spec.\n"
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
        f"python = {_s(lock.python)}",
        f"python-target = {_s(lock.python_target)}",
        f"base-image = {_s(lock.base_image)}",
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


def loads(text: str, source: str = "dlenv.lock") -> Lock:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(source, f"not valid TOML ({exc})") from None
    if data.get("version") != FORMAT_VERSION:
        raise _bad(source, f"format version {data.get('version')!r}, expected {FORMAT_VERSION}")
    try:
        return Lock(
            input_digest=_str(data, "input-digest"),
            python=_str(data, "python"),
            python_target=_str(data, "python-target"),
            base_image=_str(data, "base-image"),
            platforms=_strs(data, "platforms"),
            extra_index_urls=_strs(data, "extra-index-urls"),
            resolver=_str(data, "resolver"),
            layers=tuple(_layer(item) for item in data.get("layers", [])),
        )
    except (KeyError, TypeError) as exc:
        raise _bad(source, f"missing or malformed field {exc.args[0]!r}") from None


def read_lock(path: Path) -> Lock | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return loads(text, str(path))


def write_lock(path: Path, lock: Lock) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(dumps(lock), encoding="utf-8")
    tmp.replace(path)


def _layer(item: dict[str, Any]) -> LockedLayer:
    return LockedLayer(
        name=_str(item, "name"),
        requirements=_strs(item, "requirements"),
        packages=tuple(
            LockedPackage(
                name=_str(p, "name"),
                version=_str(p, "version"),
                marker=str(p.get("marker", "")),
                hashes=_strs(p, "hashes"),
            )
            for p in item.get("packages", [])
        ),
    )


def _str(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def _strs(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(key)
    return tuple(value)


def _bad(source: str, problem: str) -> UsageError:
    return UsageError(
        f"{source} is not a dlenv lock file: {problem}",
        hint="Regenerate it with `dlenv lock` (or delete it to build without a lock).",
    )
