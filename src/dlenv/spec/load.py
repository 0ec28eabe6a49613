"""dlenv.toml -> Spec, with errors that name the key path, the line and a likely fix."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import msgspec

from dlenv.errors import SpecError
from dlenv.spec.model import Spec

SPEC_FILENAME = "dlenv.toml"


def default_spec_text() -> str:
    """The embedded default spec, as a commented TOML document."""
    return resources.files("dlenv.spec").joinpath("default.toml").read_text(encoding="utf-8")


def load_spec(path: Path | None, *, search_dir: Path | None = None) -> tuple[Spec, str]:
    """Load the spec from `path`, else `search_dir/dlenv.toml`, else the embedded default.

    Returns the spec and a description of where it came from.
    """
    if path is None and search_dir is not None and (search_dir / SPEC_FILENAME).is_file():
        path = search_dir / SPEC_FILENAME
    if path is None:
        return parse_spec(default_spec_text(), "the embedded default spec"), "embedded default"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(
            str(path), ["file not found"], hint="Check the path given to --spec."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), [f"cannot be read: {exc}"]) from exc
    return parse_spec(text, str(path)), str(path)


def parse_spec(text: str, source: str) -> Spec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(source, [_describe_toml_error(exc)]) from None
    return validate_spec(data, source, text)


def validate_spec(data: dict[str, Any], source: str, text: str = "") -> Spec:
    """The only way outside data becomes a Spec: msgspec's conversion (types, unknown keys,
    ranges; it stops at the first such problem), then every check of `Spec.problems`."""
    try:
        spec = msgspec.convert(data, Spec, strict=True)
    except msgspec.ValidationError as exc:
        raise SpecError(source, [_describe_conversion(str(exc), data, text)]) from None
    problems = [_at(key.split("."), message, text) for key, message in spec.problems()]
    if problems:
        raise SpecError(source, problems)
    return spec


def apply_overrides(
    spec: Spec, overrides: dict[str, Any], source: str = "the command line"
) -> Spec:
    """Return `spec` with dotted-path overrides (e.g. {"ssh.port": 2200}) applied and validated."""
    data = msgspec.to_builtins(spec)
    for dotted, value in overrides.items():
        if value is None:
            continue
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node[key]
        node[leaf] = value
    return validate_spec(data, source)


def _describe_toml_error(exc: tomllib.TOMLDecodeError) -> str:
    # tomllib puts the position at the end of the message: "... (at line 3, column 7)".
    match = re.search(r"\(at line (\d+), column (\d+)\)\Z", str(exc))
    if match:
        message = str(exc)[: match.start()].strip()
        return f"line {match[1]}, column {match[2]}: TOML syntax error: {message}"
    return f"TOML syntax error: {exc}"


# msgspec.ValidationError's text: "<what> - at `$.image.apt[1]`" (its message format; msgspec
# gives no structured form). `$.ports[...]` is a value in a table whose key msgspec leaves out.
_CONVERSION_ERROR = re.compile(r"(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)
_PATH_PART = re.compile(r"\.(?P<key>[^.\[]+)|\[(?P<index>[0-9]+|\.\.\.)\]")
_UNKNOWN_KEY = re.compile(r"Object contains unknown field `(?P<key>.*)`", re.DOTALL)
_WRONG_TYPE = re.compile(r"Expected `(?P<expected>[^`]+)`(?:, got `[^`]+`)?")
_BOUND = re.compile(r"Expected `int` (?P<bound>[<>]=? -?[0-9]+)")
_ENUM = re.compile(r"Invalid enum value .*", re.DOTALL)
# How each type msgspec names is written in TOML.
_TOML_FORM = {
    "str": "a string in quotes",
    "int": "a whole number",
    "bool": "true or false",
    "array": 'a list, e.g. ["a", "b"]',
    "object": "a table",
}


def _describe_conversion(message: str, data: dict[str, Any], text: str) -> str:
    """One line for msgspec's first problem: the key path, its line and what TOML form fits."""
    match = _CONVERSION_ERROR.fullmatch(message)
    what, path = (match["what"], match["path"]) if match else (message, None)
    loc = _located(_parse_path(path or ""), data)
    unknown = _UNKNOWN_KEY.fullmatch(what)
    if unknown:
        loc = [*loc, unknown["key"]]
        allowed = _allowed_keys(loc[:-1])
        close = get_close_matches(unknown["key"], allowed, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else f" (allowed: {', '.join(allowed)})"
        return _at(loc, f"unknown key{hint}", text)
    given = _shown(_value_at(data, loc))
    if _ENUM.fullmatch(what):
        choices = " or ".join(repr(choice) for choice in _choices(loc))
        return _at(loc, f"expected one of {choices}", text)
    bound = _BOUND.fullmatch(what)
    if bound:
        return _at(loc, f"expected a whole number {bound['bound']}, got {given}", text)
    wrong = _WRONG_TYPE.fullmatch(what)
    if wrong:
        names = [name for name in wrong["expected"].split(" | ") if name != "null"]
        forms = [_TOML_FORM.get(name, name) for name in names]
        return _at(loc, f"expected {' or '.join(forms)}, got {given}", text)
    return _at(loc, what, text)


def _parse_path(path: str) -> list[str | int | None]:
    """`.image.apt[1]` -> ["image", "apt", 1]; `[...]` (a table's key, left out) -> None."""
    parts: list[str | int | None] = []
    for part in _PATH_PART.finditer(path):
        index = part["index"]
        parts.append(part["key"] if index is None else None if index == "..." else int(index))
    return parts


def _located(loc: list[str | int | None], data: Any) -> list[str | int]:
    """The path with each unnamed table key filled in: the first key whose value msgspec
    refuses on its own (the value type is the struct field's)."""
    found: list[str | int] = []
    node = data
    for part in loc:
        key = part
        if key is None:
            if not isinstance(node, dict):
                break
            value_type = _field_type(found)
            key = next((k for k, v in node.items() if not _converts(v, value_type)), None)
            if key is None:
                break
        found.append(key)
        node = _child(node, key)
    return found


def _converts(value: Any, value_type: Any) -> bool:
    try:
        msgspec.convert(value, value_type, strict=True)
    except msgspec.ValidationError:
        return False
    return True


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _value_at(data: Any, loc: list[str | int]) -> Any:
    node = data
    for part in loc:
        node = _child(node, part)
    return node


def _shown(value: Any) -> str:
    """A value as TOML spells it: true, not True."""
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _at(loc: Sequence[str | int], message: str, text: str) -> str:
    where = _line_of(text, tuple(loc))
    prefix = f"line {where}: " if where else ""
    return f"{prefix}{_key_path(loc)}: {message}"


def _key_path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _declared(loc: Sequence[str | int]) -> Any:
    """The type the spec declares at a key path (its outer constraints removed): Spec for the
    top level, None where no table declares the key."""
    declared: Any = Spec
    for key in loc:
        if not (isinstance(declared, type) and issubclass(declared, msgspec.Struct)):
            return None
        fields = {field.encode_name: field.type for field in msgspec.structs.fields(declared)}
        declared = _bare(fields.get(str(key)))
    return declared


def _bare(hint: Any) -> Any:
    return get_args(hint)[0] if get_origin(hint) is Annotated else hint


def _field_type(loc: Sequence[str | int]) -> Any:
    """The declared type of the value at `loc`: a table's field, or a mapping's values."""
    declared = _declared(loc)
    return get_args(declared)[1] if get_origin(declared) is dict else declared


def _allowed_keys(parents: Sequence[str | int]) -> list[str]:
    table = _declared(parents)
    if not (isinstance(table, type) and issubclass(table, msgspec.Struct)):
        return []
    return sorted(field.encode_name for field in msgspec.structs.fields(table))


def _choices(loc: Sequence[str | int]) -> tuple[Any, ...]:
    """A Literal field's allowed values, in their declared order."""
    declared = _declared(loc)
    return get_args(declared) if get_origin(declared) is Literal else ()


def _line_of(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Best-effort line number of a key: find `key =` inside its `[table]`."""
    keys = [str(p) for p in loc if not isinstance(p, int)]
    if not text or not keys:
        return None
    table, key = ".".join(keys[:-1]), keys[-1]
    current = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[([^\[\]]+)\]", line)
        if header:
            current = header[1].strip()
            if current == ".".join(keys):
                return number
            continue
        if current == table and re.match(rf"^{re.escape(key)}\s*=", line):
            return number
        if not table and current == "" and re.match(rf"^{re.escape(key)}\s*=", line):
            return number
    return None
