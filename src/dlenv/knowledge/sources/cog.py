"""replicate/cog's generated matrices -> knowledge rows.

cog scrapes download.pytorch.org and Docker Hub daily (tools/compatgen) into
pkg/config/torch_compatibility.json and pkg/config/cuda_compatibility.json. Their data are facts;
we read the JSON, not their code.
"""

from __future__ import annotations

import re
from typing import Any

TORCH_JSON = "https://raw.githubusercontent.com/replicate/cog/main/pkg/config/torch_compatibility.json"
CUDA_JSON = "https://raw.githubusercontent.com/replicate/cog/main/pkg/config/cuda_compatibility.json"
_OLDEST_TORCH = (2, 1)  # older releases have no wheels for the Pythons dlenv installs
_TAG = re.compile(r"(\d+\.\d+\.\d+)-(cudnn\d?)-devel-(ubuntu\d+\.\d+)")  # fullmatch


def _local(version: str) -> str:
    return version.split("+", 1)[0]


def torch_rows(entries: list[dict[str, Any]], *, source: str, as_of: str) -> list[dict[str, Any]]:
    rows = []
    for entry in entries:
        torch = _local(entry["Torch"])
        if tuple(int(p) for p in torch.split(".")[:2]) < _OLDEST_TORCH:
            continue
        cuda = entry["CUDA"]
        variant = "cpu" if cuda is None else "cu" + cuda.replace(".", "")
        rows.append({
            "torch": torch,
            "variant": variant,
            "cuda": cuda or "",
            "torchvision": _local(entry["Torchvision"]),
            "torchaudio": _local(entry["Torchaudio"]),
            "index_url": f"https://download.pytorch.org/whl/{variant}",
            "pythons": sorted(entry["Pythons"], key=lambda v: tuple(map(int, v.split(".")))),
            "source": source,
            "as_of": as_of,
        })
    return sorted(rows, key=lambda r: (tuple(map(int, r["torch"].split("."))), r["variant"]))


def image_rows(entries: list[dict[str, Any]], *, source: str, as_of: str) -> list[dict[str, Any]]:
    rows = []
    for entry in entries:
        match = _TAG.fullmatch(entry["Tag"])
        if not match:
            continue
        cuda, cudnn_tag, os_name = match.groups()
        row = {"cuda": cuda, "cudnn_tag": cudnn_tag, "os": os_name}
        rows.append({**row, "source": source, "as_of": as_of})
    return sorted(rows, key=lambda r: (r["os"], tuple(map(int, r["cuda"].split(".")))))
