"""The package-index configuration unit tests resolve with: a mirror of every index, under the
reserved `.test` domain (RFC 2606), so no real registry host is named in a test or a golden."""

from __future__ import annotations

import urllib.parse

from dlenv.knowledge import load_knowledge
from dlenv.resolve.indexes import IndexConfig, named_upstreams


def index_url(
    name: str, path: str = "/simple", *, scheme: str = "https", userinfo: str = ""
) -> str:
    """The one place tests make an index URL: host `<name>.test`, a reserved domain that no
    registry or mirror can hold (RFC 2606), so a test can never reach or name a real index."""
    return urllib.parse.urlunsplit((scheme, f"{userinfo}{name}.test", path, "", ""))


def loopback_url(port: int, path: str, *, host: str = "127.0.0.1", scheme: str = "http") -> str:
    """A URL of a server the test itself runs on this machine's loopback."""
    return urllib.parse.urlunsplit((scheme, f"{host}:{port}", path, "", ""))


MIRROR_DEFAULT = index_url("mirror")
MIRROR_BASES = {"pytorch": index_url("torch-mirror", "/whl"), "nvidia": index_url("nv-mirror", "")}

# The upstream indexes as the knowledge data names them (PyTorch's base, NVIDIA's): tests compare
# with these rather than repeating a registry's address.
UPSTREAMS = named_upstreams(load_knowledge())

TEST_INDEXES = IndexConfig(
    default=MIRROR_DEFAULT,
    origin="UV_DEFAULT_INDEX",
    mirrors={upstream: MIRROR_BASES[name] for name, upstream in UPSTREAMS.items()},
)


def uv_answers(default: str = MIRROR_DEFAULT) -> dict[tuple[str, ...], tuple[int, str, str]]:
    """FakeRunner responses for `env [-u VAR...] uv pip compile --emit-index-url ...`: what uv
    0.13.9 printed here (its `--index-url` line), with the URL replaced by `default`."""
    return {("env",): (0, f"--index-url {default}\n\n", "Resolved in 0.94ms\n")}
