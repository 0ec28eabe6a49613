"""How a build names the indexes it reaches through the relay (dlenv.engine.relay).

Pure string work, split from the relay's HTTP server so that the renderer can name relayed URLs
without importing a server: an index URL becomes the same URL over plain HTTP, which the build
sends to the relay through `http_proxy`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable


def relayed_url(url: str) -> str:
    """The URL a build uses to reach `url` through the relay: the same URL over plain HTTP."""
    return "http://" + url.removeprefix("https://") if url.startswith("https://") else url


def url_hosts(urls: Iterable[str]) -> tuple[str, ...]:
    """The hosts of `urls`, sorted: what the relay may upgrade to verified HTTPS."""
    return tuple(sorted({h for u in urls if (h := urllib.parse.urlsplit(u).hostname)}))


def python_download_base(download_url: str) -> str:
    """uv's UV_PYTHON_INSTALL_MIRROR for a download URL: the part before `<release>/<file>`."""
    return download_url.rsplit("/", 2)[0]
