"""Shared fixtures for the lock tests: the real captured uv output and a lock made from it."""

from __future__ import annotations

from pathlib import Path

from dlenv.engine.base import MANIFEST, BaseDigest
from dlenv.lock import Lock, LockedLayer, LockInput
from dlenv.lock.compile import group_into_layers, parse_compiled
from dlenv.lock.model import PLATFORMS, LayerInput

FIXTURES = Path(__file__).parents[1] / "fixtures"
COMPILED = FIXTURES / "uv-compile" / "core-polars-extra.py311.txt"
GOLDEN = Path(__file__).parents[1] / "golden" / "lock"

# The input the fixture was compiled from (see tests/fixtures/uv-compile/README.md).
FIXTURE_INPUT = LockInput(
    python="system",
    base_image="localhost/dlenv-test/debian:bookworm",
    platforms=PLATFORMS,
    extra_index_urls=(),
    layers=(
        LayerInput("core", ("matplotlib", "pandas")),
        LayerInput("polars", ("polars",)),
        LayerInput("extra", ("rich", "seaborn")),
    ),
)


# The dlenv.toml FIXTURE_INPUT resolves from (tests/unit/lock/test_stale.py checks it, and its
# `spec()` is this file with changes).
FIXTURE_SPEC = """\
profile = "cpu"
[image]
base = "localhost/dlenv-test/debian:bookworm"
[python]
version = "system"
packages = ["matplotlib", "pandas"]
groups = ["polars"]
extra = ["rich", "seaborn"]
[torch]
enabled = false
"""


# The digest podman reports for the e2e base image (tests/fixtures/captured/image-inspect/
# podman-local-debian-ci.json), as `dlenv lock` records it.
BASE = BaseDigest(
    "sha256:0f4db419c8b5062d38b9ad4f68d758255a68b6c9cc8d9e59a0463ff165cb5fad", MANIFEST
)


def lock_from(given: LockInput, layers: tuple[LockedLayer, ...], python_target: str) -> Lock:
    """A lock of `given` as `dlenv lock` writes it, with the layers the test supplies."""
    return Lock.of(given, python_target, "uv 0.13.9", layers, BASE)


def fixture_lock(given: LockInput = FIXTURE_INPUT) -> Lock:
    entries = parse_compiled(COMPILED.read_text(encoding="utf-8"))
    return lock_from(given, group_into_layers(entries, given), "3.11")
