"""A support bundle's manifest.json, checked field by field before anything replays it.

A bundle comes from another machine: every wrong shape is bad input (UsageError, exit 2) that
names the field, never a traceback. Pure: takes parsed JSON, returns typed data.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec

from dlenv.errors import UsageError
from dlenv.host.snapshot import BUNDLE_VERSION, MANIFEST, DiskUsage

HINT = "Pass a file written by `dlenv doctor --collect FILE`, or its unpacked directory."


class CommandEntry(msgspec.Struct, frozen=True):
    argv: tuple[str, ...]
    returncode: int
    text: dict[str, str]  # "stdout"/"stderr" given inline
    files: dict[str, str]  # "stdout"/"stderr" given as a path relative to the bundle


class Manifest(msgspec.Struct, frozen=True):
    commands: tuple[CommandEntry, ...]
    programs: dict[str, str | None]
    listings: dict[str, list[str] | None]
    disk: dict[str, DiskUsage | None]


def bad(where: str, problem: str) -> UsageError:
    return UsageError(f"{where}: {problem}; not a valid dlenv support bundle", hint=HINT)


def load_manifest(bundle_dir: Path) -> Manifest:
    path = bundle_dir / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"{bundle_dir} has no {MANIFEST}: not a dlenv support bundle", hint=HINT
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(str(path), f"cannot be read ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(str(path), f"not JSON ({exc})") from exc
    except RecursionError:
        raise bad(str(path), "JSON nested too deeply") from None
    return parse_manifest(data, str(path))


def parse_manifest(data: object, where: str) -> Manifest:
    if not isinstance(data, dict):
        raise bad(where, f"the manifest is a JSON {_kind(data)}, not an object")
    if data.get("version") != BUNDLE_VERSION:
        raise bad(where, f"unsupported bundle version {data.get('version')!r}")
    commands = _field(data, "commands", list, [], where)
    return Manifest(
        commands=tuple(_command(e, f"{where}: commands[{i}]") for i, e in enumerate(commands)),
        programs={
            name: _optional(value, str, f"{where}: programs[{name!r}]")
            for name, value in _field(data, "programs", dict, {}, where).items()
        },
        listings={
            path: _names(value, f"{where}: listings[{path!r}]")
            for path, value in _field(data, "listings", dict, {}, where).items()
        },
        disk={
            path: _disk(value, f"{where}: disk[{path!r}]")
            for path, value in _field(data, "disk", dict, {}, where).items()
        },
    )


def inside(relative: str, where: str) -> PurePosixPath:
    """A path named by the bundle, checked to stay inside it: relative, no `..`."""
    path = PurePosixPath(relative)
    if not relative or path.is_absolute() or ".." in path.parts:
        raise bad(where, f"{relative!r} is not a path inside the bundle")
    return path


def _command(entry: object, where: str) -> CommandEntry:
    if not isinstance(entry, dict):
        raise bad(where, f"expected an object, got a JSON {_kind(entry)}")
    argv = entry.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise bad(where, "argv must be a non-empty list of strings")
    returncode = _integer(entry.get("returncode", 0), f"{where}: returncode")
    text: dict[str, str] = {}
    files: dict[str, str] = {}
    for key in ("stdout", "stderr"):
        if f"{key}_file" in entry:
            name = entry[f"{key}_file"]
            if not isinstance(name, str):
                raise bad(where, f"{key}_file must be a string")
            files[key] = str(inside(name, f"{where}: {key}_file"))
        elif key in entry:
            text[key] = _of(entry[key], str, f"{where}: {key}")
    return CommandEntry(tuple(argv), returncode, text, files)


def _names(value: object, where: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise bad(where, "expected a list of names or null")
    return list(value)


def _disk(value: object, where: str) -> DiskUsage | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad(where, "expected an object with integer total and free, or null")
    return DiskUsage(
        _integer(value.get("total"), f"{where}.total"), _integer(value.get("free"), f"{where}.free")
    )


def _integer(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad(where, f"expected an integer, got {value!r}")
    return value


def _field(data: dict[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
    return _of(data.get(key, default), kind, f"{where}: {key}")


def _of(value: object, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        raise bad(where, f"expected a JSON {_kind(kind())}, got a JSON {_kind(value)}")
    return value


def _optional(value: object, kind: type, where: str) -> Any:
    return None if value is None else _of(value, kind, where)


def _kind(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return names.get(type(value), type(value).__name__)
