"""Regenerate the generated tables from upstream listings, validate them, and diff them.

Upstreams (each a public listing; the generated files record which one and when):
- pci.ids: GPU marketing names and PCI device IDs -> gpus.json
- replicate/cog's torch_compatibility.json (scraped daily from download.pytorch.org) -> torch.json
- replicate/cog's cuda_compatibility.json (scraped daily from Docker Hub nvidia/cuda) ->
  cuda_images.json
Hand-curated tables (driver floors, kernel sets, package floors) are edited by hand, with a source
per row, and only validated here.

Fetching is the one side effect and is passed in, so tests and offline runs feed saved copies.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dlenv.errors import DlenvError
from dlenv.knowledge.schema import validate_files
from dlenv.knowledge.sources import cog, pciids

PCI_IDS_URL = "https://raw.githubusercontent.com/pciutils/pciids/master/pci.ids"


@dataclass(frozen=True)
class Upstream:
    name: str  # what --source NAME=FILE calls it
    url: str
    target: str  # the data file it regenerates


UPSTREAMS = (
    Upstream("pci.ids", PCI_IDS_URL, "gpus.json"),
    Upstream("torch", cog.TORCH_JSON, "torch.json"),
    Upstream("cuda-images", cog.CUDA_JSON, "cuda_images.json"),
)

Fetch = Callable[[str], str]


class RefreshError(DlenvError):
    """An upstream could not be read or produced tables that fail the schema."""


def fetch_all(fetch: Fetch, overrides: Mapping[str, str]) -> dict[str, str]:
    """Text of every upstream: from `overrides` (name -> text) or fetched. Unreachable -> error."""
    texts: dict[str, str] = {}
    failures: list[str] = []
    for upstream in UPSTREAMS:
        if upstream.name in overrides:
            texts[upstream.name] = overrides[upstream.name]
            continue
        try:
            texts[upstream.name] = fetch(upstream.url)
        except OSError as exc:
            failures.append(f"{upstream.name}: cannot reach {upstream.url} ({exc})")
    if failures:
        names = " ".join(f"--source {u.name}=FILE" for u in UPSTREAMS)
        raise RefreshError(
            "cannot refresh the compatibility data: upstream unreachable",
            details="\n".join(failures),
            hint=f"The shipped tables stay in use. Retry with network access, or pass saved "
            f"copies: {names}",
        )
    return texts


def regenerate(current: dict[str, Any], texts: Mapping[str, str], as_of: str) -> dict[str, Any]:
    """The data files with the generated tables rebuilt from upstream texts. Pure."""
    files = dict(current)
    families = current["gpu_families.toml"]["family"]
    gpus = pciids.gpu_rows(
        texts["pci.ids"], families, source=f"pci.ids ({PCI_IDS_URL}) + gpu_families.toml",
        as_of=as_of,
    )
    for row in gpus:
        if not row["aliases"]:
            del row["aliases"]
    files["gpus.json"] = {**current["gpus.json"], "gpus": gpus}
    files["torch.json"] = {
        **current["torch.json"],
        "wheels": cog.torch_rows(
            json.loads(texts["torch"]), source=f"{cog.TORCH_JSON} (download.pytorch.org)",
            as_of=as_of,
        ),
    }
    files["cuda_images.json"] = {
        **current["cuda_images.json"],
        "images": cog.image_rows(
            json.loads(texts["cuda-images"]), source=f"{cog.CUDA_JSON} (Docker Hub nvidia/cuda)",
            as_of=as_of,
        ),
    }
    problems = validate_files(files)
    if problems:
        raise RefreshError(
            "the refreshed tables do not match the schema; nothing was written",
            details="\n".join(problems[:20]),
            hint="An upstream format may have changed: inspect it before updating the parsers.",
        )
    return files


def dump(document: Any) -> str:
    """The one way generated files are written: stable key order, one row per few lines."""
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """A unified diff of each generated file, ignoring rows whose only change is `as_of`."""
    lines: list[str] = []
    for upstream in UPSTREAMS:
        before = _without_dates(old[upstream.target])
        after = _without_dates(new[upstream.target])
        lines += difflib.unified_diff(
            dump(before).splitlines(),
            dump(after).splitlines(),
            fromfile=f"{upstream.target} (shipped)",
            tofile=f"{upstream.target} (upstream)",
            lineterm="",
            n=2,
        )
    return lines


def _without_dates(document: dict[str, Any]) -> dict[str, Any]:
    def strip(rows: Any) -> Any:
        if isinstance(rows, list):
            return [{k: v for k, v in r.items() if k not in {"as_of", "source"}} for r in rows]
        return rows

    return {key: strip(value) for key, value in document.items()}
