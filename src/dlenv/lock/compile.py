"""One `uv pip compile` over all layers, and its output split back into layers. Pure functions.

Each layer's requirements go in their own `<layer>.in` file, so uv's `# via -r <layer>.in`
annotations say which layer asked for a package directly, and `# via <package>` which packages
pulled it in. A package is installed in the earliest (heaviest, most stable) layer that needs it,
directly or through a dependency: so every layer's dependencies are already in it or below it,
and a change to a light layer never touches the heavy ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from packaging.utils import canonicalize_name

from dlenv.errors import DlenvError
from dlenv.lock.model import LockedLayer, LockedPackage, LockInput
from dlenv.resolve.indexes import IndexConfig


def compile_argv(
    uv: str,
    inputs: Sequence[str],
    output: str,
    given: LockInput,
    python_target: str,
    indexes: IndexConfig | None = None,
) -> tuple[str, ...]:
    """`uv pip compile` for one universal resolve (all platforms, so linux/amd64 and arm64).

    The lock records the indexes by their upstream URLs; `indexes` says where this host reads
    them (the user's default index and mirrors), as the build will.
    """
    argv = [uv, "pip", "compile", *inputs, "--output-file", output]
    argv += ["--universal", "--python-version", python_target]
    argv += ["--generate-hashes", "--annotation-style", "split", "--no-header", "--quiet"]
    if indexes is not None:
        argv += ["--default-index", indexes.default]
    for url in given.extra_index_urls:
        argv += ["--extra-index-url", indexes.locate(url) if indexes else url]
    return tuple(argv)


def layer_input_text(requirements: Sequence[str]) -> str:
    return "".join(f"{r}\n" for r in requirements)


@dataclass(frozen=True)
class CompiledEntry:
    package: LockedPackage
    via_layers: tuple[str, ...]  # layers that asked for it directly
    via_packages: tuple[str, ...]  # canonical names of packages that depend on it


_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?)(?: ; (?P<marker>.+?))?\s*\\?$"
)
_HASH = re.compile(r"^\s+--hash=(?P<hash>\S+?)\s*\\?$")
_VIA = re.compile(r"^\s+#(?:\s+via)?\s+(?P<item>\S.*)$")


def parse_compiled(text: str) -> list[CompiledEntry]:
    """Parse `uv pip compile --generate-hashes --annotation-style split` output."""
    entries: list[CompiledEntry] = []
    current: dict[str, list[str]] | None = None
    head: re.Match[str] | None = None

    def flush() -> None:
        if head is not None and current is not None:
            entries.append(_entry(head, current))

    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("--"):
            continue
        pin = _PIN.match(line)
        if pin:
            flush()
            head, current = pin, {"hashes": [], "via": []}
            continue
        if current is None:
            raise DlenvError(f"unexpected line in uv's output: {line!r}")
        hash_match = _HASH.match(line)
        if hash_match:
            current["hashes"].append(hash_match["hash"])
            continue
        via = _VIA.match(line)
        if via and via["item"].strip() != "via":
            current["via"].append(via["item"].strip())
    flush()
    return entries


def _entry(head: re.Match[str], parts: dict[str, list[str]]) -> CompiledEntry:
    layers: list[str] = []
    packages: list[str] = []
    for item in parts["via"]:
        if item.startswith("-r "):
            layers.append(PurePath(item[3:].strip()).name.removesuffix(".in"))
        elif not item.startswith("-"):
            packages.append(canonicalize_name(item.split("[", 1)[0]))
    package = LockedPackage(
        name=head["name"],
        version=head["version"],
        marker=(head["marker"] or "").strip(),
        hashes=tuple(sorted(parts["hashes"])),
    )
    return CompiledEntry(package, tuple(layers), tuple(packages))


def assign_layers(entries: Sequence[CompiledEntry], order: Sequence[str]) -> dict[str, int]:
    """Canonical package name -> index in `order` of the earliest layer that needs it."""
    rank = {name: i for i, name in enumerate(order)}
    unknown = sorted({layer for e in entries for layer in e.via_layers} - set(rank))
    if unknown:
        raise DlenvError(f"uv reported requirements from unknown layers: {', '.join(unknown)}")
    parents: dict[str, set[str]] = {}
    best: dict[str, int] = {}
    for entry in entries:
        name: str = canonicalize_name(entry.package.name)
        parents.setdefault(name, set()).update(entry.via_packages)
        for layer in entry.via_layers:
            best[name] = min(best.get(name, len(order)), rank[layer])
    # Relax along dependency edges until nothing changes (cycles are fine: values only fall).
    changed = True
    while changed:
        changed = False
        for child, froms in parents.items():
            for parent in froms:
                if parent in best and best[parent] < best.get(child, len(order)):
                    best[child] = best[parent]
                    changed = True
    orphans = sorted(set(parents) - set(best))
    if orphans:
        raise DlenvError(f"uv's output has packages no layer needs: {', '.join(orphans)}")
    return best


def group_into_layers(
    entries: Sequence[CompiledEntry], given: LockInput
) -> tuple[LockedLayer, ...]:
    order = [layer.name for layer in given.layers]
    placed = assign_layers(entries, order)
    by_layer: Mapping[int, list[LockedPackage]] = {i: [] for i in range(len(order))}
    for entry in entries:
        by_layer[placed[canonicalize_name(entry.package.name)]].append(entry.package)
    return tuple(
        LockedLayer(
            name=layer.name,
            requirements=layer.requirements,
            packages=tuple(sorted(by_layer[i], key=lambda p: (p.name, p.marker))),
        )
        for i, layer in enumerate(given.layers)
    )


def preferences_text(packages: Sequence[LockedPackage]) -> str:
    """A previous lock as a compiled requirements file: uv keeps those versions where it can."""
    return "".join(
        f"{p.name}=={p.version}" + (f" ; {p.marker}" if p.marker else "") + "\n" for p in packages
    )
