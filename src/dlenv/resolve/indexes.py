"""Which package index each install reads from, as data: the default index and the mirrors of
the knowledge data's named indexes (PyTorch's, NVIDIA's). Pure: the user's configuration is read
at the edge (dlenv.environment.index_config) and arrives here as an `IndexConfig`.

The chosen URLs reach the Containerfile as explicit `--default-index` / `--index-url` options on
every install, so no layer can fall back to an index the resolver did not choose.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from dlenv.errors import UsageError
from dlenv.knowledge import Knowledge


@dataclass(frozen=True)
class IndexConfig:
    """Where packages come from. `mirrors` maps an upstream URL prefix to the user's mirror."""

    default: str
    origin: str  # where `default` was configured, for messages: "UV_DEFAULT_INDEX", ...
    mirrors: Mapping[str, str] = field(default_factory=dict)

    def locate(self, url: str | None) -> str:
        """The URL an install fetches `url` from (None: the default index)."""
        if url is None:
            return self.default
        for upstream, mirror in sorted(self.mirrors.items(), key=lambda m: -len(m[0])):
            if url == upstream or url.startswith(upstream.rstrip("/") + "/"):
                return mirror.rstrip("/") + url[len(upstream.rstrip("/")) :]
        return url


def check_index_url(url: str, origin: str) -> str:
    """An http(s) URL without credentials: it is written into the Containerfile, and so into
    the image's history, where no password may go."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{origin}: {url!r} is not an http(s) package index URL",
            hint="Use the form https://host/path/simple.",
        )
    if parts.username or parts.password:
        raise UsageError(
            f"{origin}: the index URL carries credentials",
            hint="dlenv writes index URLs into the Containerfile, which the image's history "
            "keeps. Give the build an index that needs no credentials (a read-only mirror).",
        )
    return url


def is_loopback_url(url: str) -> bool:
    """An index on this host's loopback: the build must share the host's network to reach it."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def named_upstreams(knowledge: Knowledge) -> dict[str, str]:
    """The URL prefixes of the indexes a user may mirror, as the knowledge data names them:
    PyTorch's (every wheel's index is `<base>/<variant>`) and NVIDIA's (the package groups')."""
    named: dict[str, str] = {}
    torch_bases = {
        w.index_url.removesuffix("/" + w.variant)
        for w in knowledge.torch.wheels
        if w.index_url.endswith("/" + w.variant)
    }
    if len(torch_bases) == 1:
        named["pytorch"] = torch_bases.pop()
    group_indexes = {g.index for g in knowledge.packages.groups if g.index}
    if len(group_indexes) == 1:
        named["nvidia"] = group_indexes.pop()
    return named
