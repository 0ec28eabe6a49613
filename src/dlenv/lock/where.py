"""Key paths in dlenv.lock (`layers[2].packages[5].version`) and the line each one is on.

tomllib gives values without their lines; the lock is laid out one key to a line (as `dumps`
writes it), so a scan of the table headers finds the line well enough for an error message.
"""

from __future__ import annotations

import re

KeyPath = tuple[str | int, ...]


def key_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            # A key of the file's own (an unknown one) is quoted unless plain: it may hold anything.
            shown = part if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", part) else repr(part[:64])
            text += ("." if text else "") + shown
    return text


def _target(path: KeyPath) -> tuple[tuple[object, ...], KeyPath]:
    """(the table the path is in, the rest of the path inside that table)."""
    if len(path) >= 2 and path[0] == "layers" and isinstance(path[1], int):
        if len(path) >= 4 and path[2] == "packages" and isinstance(path[3], int):
            return ("package", path[1], path[3]), path[4:]
        return ("layer", path[1]), path[2:]
    return ("top",), path


def line_of(text: str, path: KeyPath) -> int | None:
    """The 1-based line of `path`, or of its table's header; None when the layout is unusual."""
    target, rest = _target(path)
    key = rest[0] if rest and isinstance(rest[0], str) else None
    item = rest[1] if len(rest) > 1 and isinstance(rest[1], int) else None
    lines = text.splitlines()
    table: tuple[object, ...] = ("top",)
    layer = package = -1
    header: int | None = None
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("["):
            if stripped == "[[layers]]":
                layer, package = layer + 1, -1
                table = ("layer", layer)
            elif stripped == "[[layers.packages]]":
                package += 1
                table = ("package", layer, package)
            else:
                table = ("other",)
            if table == target:
                header = number
            continue
        if table != target or key is None:
            continue
        if re.match(rf'\s*"?{re.escape(key)}"?\s*=', line):
            return _item_line(lines, number, item) if item is not None else number
    return header


def _item_line(lines: list[str], number: int, item: int) -> int:
    """In a multi-line array, one item a line (as `dumps` writes it), the item's own line."""
    opens = lines[number - 1].rstrip().endswith("[")
    if opens and number + item < len(lines) and not lines[number + item].lstrip().startswith("]"):
        return number + 1 + item
    return number
