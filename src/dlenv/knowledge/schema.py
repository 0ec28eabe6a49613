"""The schema of every data file: what the refresh tool writes and the tests check.

Kept apart from the loader so `dlenv compat` does not pay for validation at every start.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta, field

# msgspec searches with Python's re, where `$` also matches before a trailing newline: `\Z` is
# the end of the text only. ASCII: `\d` would take any Unicode digit.
Date = Annotated[str, Meta(pattern=r"(?a)^\d{4}-\d{2}-\d{2}\Z")]
XY = Annotated[str, Meta(pattern=r"(?a)^\d{1,2}\.\d{1,2}\Z")]
XYZ = Annotated[str, Meta(pattern=r"(?a)^\d{1,2}\.\d{1,2}\.\d{1,2}\Z")]
Driver = Annotated[str, Meta(pattern=r"(?a)^\d{3}(\.\d{1,3}){1,2}\Z")]
Source = Annotated[str, Meta(min_length=3)]
PciId = Annotated[str, Meta(pattern=r"^[0-9a-f]{4}\Z")]


# Rows are checked whole (every field typed, no unknown key). msgspec's kw_only holds for the
# fields of the class that says it, so every row says it: required fields follow defaults.
class _Row(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    source: Source
    as_of: Date


class GpuRow(_Row, kw_only=True):
    name: str
    chip: str | None = None
    architecture: str
    compute_capability: XY
    datacenter: bool
    pci_ids: list[PciId] = []
    aliases: list[str] = []


class FamilyRow(_Row, kw_only=True):
    chip: str
    architecture: str
    compute_capability: XY


class MajorRow(_Row, kw_only=True):
    major: Annotated[str, Meta(pattern=r"(?a)^\d{1,2}\Z")]
    minor_compat_floor: Driver
    min_cc: XY


class ReleaseRow(_Row, kw_only=True):
    cuda: XY
    driver: Driver
    latest_update_driver: Driver


class CcRow(_Row, kw_only=True):
    cc: XY
    since: XY


class ForwardCompatRow(_Row, kw_only=True):
    gpus: str
    package: str


class WheelRow(_Row, kw_only=True):
    torch: XYZ
    variant: Annotated[str, Meta(pattern=r"(?a)^(cpu|cu\d{3})\Z")]
    cuda: Annotated[str, Meta(pattern=r"(?a)^(\d{1,2}\.\d{1,2})?\Z")]
    torchvision: XYZ
    torchaudio: XYZ
    index_url: Annotated[str, Meta(pattern=r"^https://download\.pytorch\.org/whl/")]
    pythons: list[XY]


class KernelRow(_Row, kw_only=True):
    variant: str
    from_: XY = field(name="from")
    until: XY
    sass: list[XY]
    ptx: list[XY]


class StableRow(_Row, kw_only=True):
    torch: XY
    stable: list[XY]


class ImageRow(_Row, kw_only=True):
    cuda: XYZ
    cudnn_tag: Annotated[str, Meta(pattern=r"(?a)^cudnn\d?\Z")]
    os: str


class GroupRow(_Row, kw_only=True):
    group: str
    cuda_major: str
    packages: list[str]
    index: str | None = None
    python_min: XY
    python_max: XY
    driver_min: Driver | None = None
    min_cc: XY | None = None


class GpuFirstDriverRow(_Row, kw_only=True):
    pci_id: PciId
    name: str
    first_driver: Driver


class ArchitectureDriverRow(_Row, kw_only=True):
    architecture: str
    first_driver: Driver
    open_only: bool


# file -> (table key -> row model); "" validates the top-level document as one row.
TABLES: dict[str, dict[str, type[_Row]]] = {
    "gpus.json": {"gpus": GpuRow},
    "gpu_families.toml": {"family": FamilyRow, "extra_gpu": GpuRow},
    "cuda.toml": {"major": MajorRow, "release": ReleaseRow, "cc": CcRow},
    "torch.json": {"wheels": WheelRow},
    "torch_variants.toml": {"kernels": KernelRow, "release": StableRow},
    "cuda_images.json": {"images": ImageRow},
    "images.toml": {},
    "packages.toml": {"group": GroupRow},
    "driver_support.toml": {"architecture": ArchitectureDriverRow, "gpu": GpuFirstDriverRow},
}


def validate_files(files: dict[str, Any]) -> list[str]:
    """Every problem as "file: table[row].field: message"; empty when all is well."""
    problems: list[str] = []
    for name, tables in TABLES.items():
        document = files.get(name)
        if document is None:
            problems.append(f"{name}: missing")
            continue
        for table, model in tables.items():
            rows = document.get(table)
            if not isinstance(rows, list) or not rows:
                problems.append(f"{name}: {table}: expected a non-empty list of rows")
                continue
            for index, row in enumerate(rows):
                problems += _check(model, row, f"{name}: {table}[{index}]")
    forward = files.get("cuda.toml", {}).get("forward_compat")
    problems += _check(ForwardCompatRow, forward, "cuda.toml: forward_compat")
    return problems


def _check(model: type[_Row], row: Any, where: str) -> list[str]:
    """Every required field the row lacks, else its first problem as msgspec words it
    ("Expected `str` ... - at `$.as_of`"): msgspec stops at the first."""
    if isinstance(row, dict):
        fields = msgspec.structs.fields(model)
        missing = [f.encode_name for f in fields if f.required and f.encode_name not in row]
        if missing:
            return [f"{where}: missing {', '.join(missing)}"]
    try:
        msgspec.convert(row, model, strict=True)
    except msgspec.ValidationError as exc:
        return [f"{where}: {exc}"]
    return []
