"""The schema of every data file: what the refresh tool writes and the tests check.

Kept apart from the loader so `dlenv compat` does not pay for validation at every start.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# pydantic-core matches `pattern` with Rust's regex crate, where `$` is the end of the text only:
# unlike Python's re, a trailing newline does not pass.
Date = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
XY = Annotated[str, Field(pattern=r"^\d{1,2}\.\d{1,2}$")]
XYZ = Annotated[str, Field(pattern=r"^\d{1,2}\.\d{1,2}\.\d{1,2}$")]
Driver = Annotated[str, Field(pattern=r"^\d{3}(\.\d{1,3}){1,2}$")]
Source = Annotated[str, Field(min_length=3)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    source: Source
    as_of: Date


class GpuRow(_Row):
    name: str
    chip: str | None = None
    architecture: str
    compute_capability: XY
    datacenter: bool
    pci_ids: list[Annotated[str, Field(pattern=r"^[0-9a-f]{4}$")]] = []
    aliases: list[str] = []


class FamilyRow(_Row):
    chip: str
    architecture: str
    compute_capability: XY


class MajorRow(_Row):
    major: Annotated[str, Field(pattern=r"^\d{1,2}$")]
    minor_compat_floor: Driver
    min_cc: XY


class ReleaseRow(_Row):
    cuda: XY
    driver: Driver
    latest_update_driver: Driver


class CcRow(_Row):
    cc: XY
    since: XY


class ForwardCompatRow(_Row):
    gpus: str
    package: str


class WheelRow(_Row):
    torch: XYZ
    variant: Annotated[str, Field(pattern=r"^(cpu|cu\d{3})$")]
    cuda: Annotated[str, Field(pattern=r"^(\d{1,2}\.\d{1,2})?$")]
    torchvision: XYZ
    torchaudio: XYZ
    index_url: Annotated[str, Field(pattern=r"^https://download\.pytorch\.org/whl/")]
    pythons: list[XY]


class KernelRow(_Row):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)
    variant: str
    from_: XY = Field(alias="from")
    until: XY
    sass: list[XY]
    ptx: list[XY]


class StableRow(_Row):
    torch: XY
    stable: list[XY]


class ImageRow(_Row):
    cuda: XYZ
    cudnn_tag: Annotated[str, Field(pattern=r"^cudnn\d?$")]
    os: str


class GroupRow(_Row):
    group: str
    cuda_major: str
    packages: list[str]
    index: str | None = None
    python_min: XY
    python_max: XY
    driver_min: Driver | None = None
    min_cc: XY | None = None


class GpuFirstDriverRow(_Row):
    pci_id: Annotated[str, Field(pattern=r"^[0-9a-f]{4}$")]
    name: str
    first_driver: Driver


class ArchitectureDriverRow(_Row):
    architecture: str
    first_driver: Driver
    open_only: bool


# file -> (table key -> row model); "" validates the top-level document as one row.
TABLES: dict[str, dict[str, type[BaseModel]]] = {
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


def _check(model: type[BaseModel], row: Any, where: str) -> list[str]:
    try:
        model.model_validate(row)
    except ValidationError as exc:
        return [
            f"{where}.{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
    return []
