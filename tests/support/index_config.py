"""The package-index configuration unit tests resolve with: a mirror of every index, under the
reserved `.test` domain (RFC 2606), so no real registry host is named in a test or a golden."""

from __future__ import annotations

from dlenv.knowledge import load_knowledge
from dlenv.resolve.indexes import IndexConfig, named_upstreams

MIRROR_DEFAULT = "https://mirror.test/simple"
MIRROR_BASES = {"pytorch": "https://torch-mirror.test/whl", "nvidia": "https://nv-mirror.test"}

TEST_INDEXES = IndexConfig(
    default=MIRROR_DEFAULT,
    origin="UV_DEFAULT_INDEX",
    mirrors={
        upstream: MIRROR_BASES[name]
        for name, upstream in named_upstreams(load_knowledge()).items()
    },
)


def uv_answers(default: str = MIRROR_DEFAULT) -> dict[tuple[str, ...], tuple[int, str, str]]:
    """FakeRunner responses for `env [-u VAR...] uv pip compile --emit-index-url ...`: what uv
    0.13.9 printed here (its `--index-url` line), with the URL replaced by `default`."""
    return {("env",): (0, f"--index-url {default}\n\n", "Resolved in 0.94ms\n")}
