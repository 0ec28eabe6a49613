"""Read the data files shipped in dlenv/knowledge/data into a Knowledge, once per process.

Big generated tables are JSON (the C parser keeps `dlenv compat` instant); hand-curated ones are
TOML so each row can carry a comment. The full schema check (knowledge.schema) runs in the tests
and the refresh tool; here a wrong key surfaces as a clear error instead of a traceback.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from dlenv.errors import DlenvError
from dlenv.knowledge.cuda import CcSupport, CudaMajor, CudaRelease, CudaTable
from dlenv.knowledge.drivers import ArchitectureDriver, DriverSupportTable, GpuFirstDriver
from dlenv.knowledge.gpus import GpuModel, GpuTable
from dlenv.knowledge.images import CudaImage, ImageTable
from dlenv.knowledge.model import ForwardCompat, Knowledge
from dlenv.knowledge.packages import PackageGroup, PackageTable
from dlenv.knowledge.wheels import KernelSet, TorchTable, TorchWheel

DATA_PACKAGE = "dlenv.knowledge.data"


def read_data(name: str) -> Any:
    text = resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else tomllib.loads(text)


@cache
def load_knowledge() -> Knowledge:
    try:
        return build_knowledge({name: read_data(name) for name in DATA_FILES})
    except (KeyError, TypeError, ValueError) as exc:
        raise DlenvError(
            f"dlenv's compatibility data is damaged: {exc}",
            hint="Reinstall dlenv; if you edited the data files, run the knowledge tests.",
        ) from exc


DATA_FILES = (
    "gpus.json",
    "gpu_families.toml",
    "cuda.toml",
    "torch.json",
    "torch_variants.toml",
    "cuda_images.json",
    "images.toml",
    "packages.toml",
    "driver_support.toml",
)


def build_knowledge(files: dict[str, Any]) -> Knowledge:
    """Data files (already parsed) -> Knowledge. Pure, so tests can feed edited tables."""
    gpus = [_gpu(row) for row in files["gpus.json"]["gpus"]]
    gpus += [_gpu(row) for row in files["gpu_families.toml"].get("extra_gpu", [])]
    cuda = files["cuda.toml"]
    variants = files["torch_variants.toml"]
    images = files["images.toml"]
    drivers = files.get("driver_support.toml", {})
    return Knowledge(
        gpus=GpuTable(tuple(gpus)),
        cuda=CudaTable(
            majors=tuple(CudaMajor(**row) for row in cuda["major"]),
            releases=tuple(CudaRelease(**row) for row in cuda["release"]),
            ccs=tuple(CcSupport(**row) for row in cuda["cc"]),
        ),
        torch=TorchTable(
            wheels=tuple(_wheel(row) for row in files["torch.json"]["wheels"]),
            kernels=tuple(_kernels(row) for row in variants["kernels"]),
            stable={row["torch"]: tuple(row["stable"]) for row in variants["release"]},
        ),
        images=ImageTable(
            repository=images["repository"],
            preferred_os=tuple(images["preferred_os"]),
            flavors=dict(images["flavors"]),
            images=tuple(CudaImage(**row) for row in files["cuda_images.json"]["images"]),
        ),
        packages=PackageTable(
            tuple(_group(row) for row in files["packages.toml"]["group"])
        ),
        forward_compat=ForwardCompat(
            package=cuda["forward_compat"]["package"], source=cuda["forward_compat"]["source"]
        ),
        drivers=DriverSupportTable(
            gpus=tuple(GpuFirstDriver(**row) for row in drivers.get("gpu", [])),
            architectures=tuple(
                ArchitectureDriver(**row) for row in drivers.get("architecture", [])
            ),
        ),
    )


def _wheel(row: dict[str, Any]) -> TorchWheel:
    return TorchWheel(**{**row, "pythons": tuple(row["pythons"])})


def _kernels(row: dict[str, Any]) -> KernelSet:
    return KernelSet(
        variant=row["variant"],
        first=row["from"],
        last=row["until"],
        sass=tuple(row["sass"]),
        ptx=tuple(row["ptx"]),
        source=row["source"],
        as_of=row["as_of"],
    )


def _group(row: dict[str, Any]) -> PackageGroup:
    return PackageGroup(**{**row, "packages": tuple(row["packages"])})


def _gpu(row: dict[str, Any]) -> GpuModel:
    return GpuModel(
        name=row["name"],
        compute_capability=row["compute_capability"],
        architecture=row["architecture"],
        pci_ids=tuple(row.get("pci_ids", ())),
        aliases=tuple(row.get("aliases", ())),
        datacenter=bool(row.get("datacenter", False)),
        source=row["source"],
        as_of=row["as_of"],
    )
