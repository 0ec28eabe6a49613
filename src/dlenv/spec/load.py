"""dlenv.toml -> Spec, with errors that name the key path, the line and a likely fix."""

from __future__ import annotations

import re
import tomllib
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

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
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(error, text) for error in exc.errors()]
        raise SpecError(source, problems) from None


def apply_overrides(
    spec: Spec, overrides: dict[str, Any], source: str = "the command line"
) -> Spec:
    """Return `spec` with dotted-path overrides (e.g. {"ssh.port": 2200}) applied and validated."""
    data = spec.model_dump()
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


def _describe(error: Any, text: str) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "keyed":  # a check across keys (spec.model) that names its own key
        loc = tuple(error["ctx"]["key"].split("."))
    path = _key_path(loc)
    where = _line_of(text, loc)
    prefix = f"line {where}: " if where else ""
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else f" (allowed: {', '.join(allowed)})"
        return f"{prefix}{path}: unknown key{hint}"
    if kind == "literal_error":
        return f"{prefix}{path}: expected one of {error['ctx']['expected']}"
    if kind in {"string_type", "int_type", "int_parsing", "bool_type", "list_type", "bool_parsing"}:
        expected = {
            "string_type": "a string in quotes",
            "int_type": "a whole number",
            "int_parsing": "a whole number",
            "bool_type": "true or false",
            "bool_parsing": "true or false",
            "list_type": 'a list, e.g. ["a", "b"]',
        }[kind]
        given = error["input"]
        shown = str(given).lower() if isinstance(given, bool) else repr(given)  # TOML's spelling
        return f"{prefix}{path}: expected {expected}, got {shown}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{prefix}{path}: {message}"


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part) in {"literal['all']", "list[union[int,str]]"}:
            continue  # pydantic's union branch names are not keys
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _allowed_keys(parents: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Spec
    for key in parents:
        field = model.model_fields.get(str(key))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return sorted(model.model_fields)


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
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
