"""Optional package groups (RAPIDS, DALI, CuPy, ...) per CUDA major, with their floors."""

from __future__ import annotations

import msgspec


class PackageGroup(msgspec.Struct, frozen=True):
    group: str
    cuda_major: str  # "12", "13", or "any" (works with and without CUDA)
    packages: tuple[str, ...]
    index: str | None = None
    python_min: str = "3.10"
    python_max: str = "3.14"
    driver_min: str | None = None
    min_cc: str | None = None
    source: str = ""
    as_of: str = ""


class PackageTable(msgspec.Struct, frozen=True):
    groups: tuple[PackageGroup, ...]

    def variants(self, group: str) -> list[PackageGroup]:
        return [g for g in self.groups if g.group == group]

    def for_cuda(self, group: str, cuda: str | None) -> PackageGroup | None:
        """The build of `group` for CUDA `cuda` ("12.8"), or for no CUDA when `cuda` is None."""
        major = cuda.split(".", maxsplit=1)[0] if cuda else None
        rows = self.variants(group)
        return next((g for g in rows if g.cuda_major in {major, "any"}), None)
