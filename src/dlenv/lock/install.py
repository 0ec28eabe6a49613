"""What the build runs from a lock: one requirements file per layer, installed verbatim.

Each layer installs with `--no-deps --require-hashes`: exactly the pinned files the resolve
chose, nothing re-resolved at build time, and every download checked against the lock's hashes.
`uv pip check` after each layer proves the layer's dependencies are all in it or below it.
Where the builder has RUN mounts, the file is bind-mounted for the install only (so it is not in
the image) and its sha256 is in the RUN line; the legacy builder COPYs it to /etc/dlenv/lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from dlenv.lock.model import Lock, LockedLayer


@dataclass(frozen=True)
class LockedLayerView:
    """A locked layer as the Containerfile template uses it."""

    name: str
    file: str  # file name in the build context
    sha256: str  # of the file: in the RUN line, so it is the layer's cache key
    options: str  # uv pip install options, shell-quoted, with a trailing space
    package_count: int


def layer_file_name(layer: LockedLayer) -> str:
    return f"lock-{layer.name}.txt"


def requirements_text(layer: LockedLayer) -> str:
    # Only the layer's own pins: anything lock-wide here (its digest, say) would change this
    # file, and so invalidate this layer's cache, whenever any other layer changes.
    header = (
        f"# Layer {layer.name} of dlenv.lock: install with\n"
        f"# uv pip install --no-deps --require-hashes -r {layer_file_name(layer)}\n"
    )
    return header + "".join(p.requirement_line() + "\n" for p in layer.packages)


def locked_layer_views(
    lock: Lock, index_options: Callable[[Lock], str]
) -> tuple[list[LockedLayerView], dict[str, str]]:
    """Template views and context files for every layer that has packages of its own.

    `index_options` gives the shell-quoted index options (with a trailing space), located where
    the build reaches them (the user's mirrors, the legacy builder's relay). Every layer gets the
    lock's whole index list: a package must come from the index the resolver found it on, or its
    hash would not match.
    """
    option_text = index_options(lock)
    views: list[LockedLayerView] = []
    files: dict[str, str] = {}
    for layer in lock.layers:
        if not layer.packages:
            continue  # all it asks for is already in an earlier layer
        name = layer_file_name(layer)
        text = requirements_text(layer)
        digest = hashlib.sha256(text.encode()).hexdigest()
        views.append(LockedLayerView(layer.name, name, digest, option_text, len(layer.packages)))
        files[name] = text
    return views, files
