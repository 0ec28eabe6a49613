"""The sha256 hashes of uv's wheels per version (data/uv_wheels.toml, with its source).

The image bootstraps uv with pip; with these hashes pip runs with `--require-hashes`, so the uv
binary that installs everything else is exactly the one PyPI published, whichever index, mirror
or relay served it.
"""

from __future__ import annotations

import re
from functools import cache

from dlenv.knowledge.load import read_data

_SHA256 = re.compile(r"[0-9a-f]{64}")


@cache
def uv_wheel_hashes(version: str) -> tuple[str, ...]:
    """The sorted sha256 hashes of `version`'s Linux wheels; () when dlenv knows none."""
    wheels = read_data("uv_wheels.toml").get("uv", {}).get(version, {}).get("wheels", {})
    hashes = tuple(sorted(set(wheels.values())))
    # A damaged data file must not render a line nobody meant: hashes are hex, nothing else.
    if not all(_SHA256.fullmatch(h) for h in hashes):
        raise ValueError(f"uv_wheels.toml: a hash of uv {version} is not a sha256 hex digest")
    return hashes
