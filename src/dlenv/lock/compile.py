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
from dlenv.lock.model import Lock, LockedLayer, LockedPackage, LockInput
from dlenv.resolve.indexes import IndexConfig


def compile_argv(
    uv: str,
    inputs: Sequence[str],
    output: str,
    given: LockInput,
    python_target: str,
    indexes: IndexConfig | None = None,
    constraints: str | None = None,
    interpreter: str | None = None,
) -> tuple[str, ...]:
    """`uv pip compile` for one universal resolve (all platforms, so linux/amd64 and arm64).

    The lock records the indexes by their upstream URLs; `indexes` says where this host reads
    them (the user's default index and mirrors), as the build will. `constraints`: a file of
    pins the resolve must keep (an incremental re-lock's unchanged layers). `interpreter`: the
    Python uv uses "during resolution" (`uv pip compile --help`: to build a source
    distribution's metadata); None lets uv look for one of `python_target`'s version.
    """
    argv = [uv, "pip", "compile", *inputs, "--output-file", output]
    if constraints is not None:
        argv += ["--constraints", constraints]
    if interpreter is not None:
        argv += ["--python", interpreter]
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


def kept_layer_count(previous: Lock, given: LockInput, python_target: str) -> int:
    """How many leading layers a re-lock can take over from `previous` without resolving them.

    Those are the layers before the first one whose requirements changed, when everything the
    whole resolve depends on besides the layers (interpreter, platforms, indexes) is the same.
    Only a prefix: a package sits in the earliest layer that needs it, so a changed layer can
    take packages away from the layers after it, never from those before it.
    """
    if (
        previous.python_target != python_target
        or previous.platforms != given.platforms
        or previous.extra_index_urls != given.extra_index_urls
    ):
        return 0
    kept = 0
    for old, new in zip(previous.layers, given.layers, strict=False):
        if (old.name, old.requirements) != (new.name, new.requirements):
            break
        kept += 1
    return kept


def group_after_kept(
    entries: Sequence[CompiledEntry], given: LockInput, kept: Sequence[LockedLayer]
) -> tuple[LockedLayer, ...] | None:
    """The layers of an incremental re-lock: `kept` as they are, then the layers after them
    from `entries` (uv's resolve of those layers, constrained to the kept layers' pins).

    uv's output repeats every kept package the new layers depend on; those stay where they are.
    None when the result would change a kept layer (a kept package at another version or marker,
    or a new package that belongs in a kept layer): then only a full resolve is right.
    """
    order = [layer.name for layer in given.layers]
    kept_pins = {
        (canonicalize_name(p.name), p.version, p.marker)
        for layer in kept
        for p in layer.packages
    }
    kept_rank = {
        canonicalize_name(p.name): i for i, layer in enumerate(kept) for p in layer.packages
    }
    # A kept package counts as asked for by its kept layer, so what it pulls in is placed there.
    seeded = [
        CompiledEntry(e.package, (order[kept_rank[name]],), e.via_packages)
        if (name := canonicalize_name(e.package.name)) in kept_rank
        else e
        for e in entries
    ]
    placed = assign_layers(seeded, order)
    later: Mapping[int, list[LockedPackage]] = {i: [] for i in range(len(kept), len(order))}
    for entry in entries:
        name = canonicalize_name(entry.package.name)
        if placed[name] < len(kept):
            if (name, entry.package.version, entry.package.marker) not in kept_pins:
                return None
            continue
        later[placed[name]].append(entry.package)
    return (*kept, *(
        LockedLayer(
            name=layer.name,
            requirements=layer.requirements,
            packages=tuple(sorted(later[i], key=lambda p: (p.name, p.marker))),
        )
        for i, layer in enumerate(given.layers)
        if i >= len(kept)
    ))


def preferences_text(packages: Sequence[LockedPackage]) -> str:
    """A previous lock as a compiled requirements file: uv keeps those versions where it can."""
    return "".join(
        f"{p.name}=={p.version}" + (f" ; {p.marker}" if p.marker else "") + "\n" for p in packages
    )
