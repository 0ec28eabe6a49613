"""CUDA releases, drivers and compute capabilities: the rules NVIDIA publishes, as queries."""

from __future__ import annotations

import msgspec

from dlenv.knowledge.versions import Version, as_tuple


class DriverFloor(msgspec.Struct, frozen=True):
    minor_compat: str  # any X.Y of this major runs, with limited features ("525.60.13")
    full: str  # the X.Y GA toolkit's driver: every feature of X.Y ("570.26" for 12.8)


class CudaMajor(msgspec.Struct, frozen=True):
    major: str
    minor_compat_floor: str
    min_cc: str
    source: str = ""
    as_of: str = ""


class CudaRelease(msgspec.Struct, frozen=True):
    cuda: str  # "12.8"
    driver: str
    latest_update_driver: str
    source: str = ""
    as_of: str = ""


class CcSupport(msgspec.Struct, frozen=True):
    cc: str
    since: str  # first CUDA X.Y that can target it
    source: str = ""
    as_of: str = ""


class CudaTable(msgspec.Struct, frozen=True):
    majors: tuple[CudaMajor, ...]
    releases: tuple[CudaRelease, ...]  # oldest first
    ccs: tuple[CcSupport, ...]

    def major(self, cuda: str) -> CudaMajor | None:
        name = cuda.split(".", maxsplit=1)[0]
        return next((m for m in self.majors if m.major == name), None)

    def release(self, cuda: str) -> CudaRelease | None:
        return next((r for r in self.releases if r.cuda == cuda), None)

    def versions(self) -> list[str]:
        return [r.cuda for r in self.releases]

    def driver_floor(self, cuda: str) -> DriverFloor | None:
        release, major = self.release(cuda), self.major(cuda)
        if release is None or major is None:
            return None
        return DriverFloor(major.minor_compat_floor, release.driver)

    def max_cuda_for_driver(self, driver: Version) -> str | None:
        """Newest X.Y whose GA driver is at or below `driver` (nvidia-smi's "CUDA Version")."""
        fits = [r.cuda for r in self.releases if as_tuple(r.driver) <= driver]
        return fits[-1] if fits else None

    def runs_on_driver(self, cuda: str, driver: Version) -> tuple[bool, bool]:
        """(runs at all, runs only through minor-version compatibility)."""
        release, major = self.release(cuda), self.major(cuda)
        if release is None or major is None:
            return False, False
        if as_tuple(release.driver) <= driver:
            return True, False
        return as_tuple(major.minor_compat_floor) <= driver, True

    def supports_cc(self, cuda: str, cc: str) -> bool:
        """CUDA X.Y can build for and ship libraries for compute capability `cc`."""
        major = self.major(cuda)
        row = next((c for c in self.ccs if c.cc == cc), None)
        if major is None or row is None:
            return False
        return as_tuple(major.min_cc) <= as_tuple(cc) and as_tuple(row.since) <= as_tuple(cuda)
