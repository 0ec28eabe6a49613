"""PyTorch wheels: torch version x CUDA variant -> companions, index, Pythons, kernels."""

from __future__ import annotations

import msgspec

from dlenv.knowledge.versions import as_tuple, xy


class TorchWheel(msgspec.Struct, frozen=True):
    torch: str  # "2.9.1"
    variant: str  # "cu128", "cpu"
    cuda: str  # "12.8"; "" for cpu
    torchvision: str
    torchaudio: str
    index_url: str
    pythons: tuple[str, ...]
    source: str = ""
    as_of: str = ""

    @property
    def minor(self) -> str:
        return xy(self.torch)


class KernelSet(msgspec.Struct, frozen=True):
    variant: str
    first: str  # torch X.Y
    last: str
    sass: tuple[str, ...]
    ptx: tuple[str, ...]
    source: str = ""
    as_of: str = ""

    def covers(self, torch: str) -> bool:
        return as_tuple(self.first) <= as_tuple(xy(torch)) <= as_tuple(self.last)


def runs_on(kernels: KernelSet, cc: str) -> bool:
    """SASS runs on the same major at an equal or higher minor; PTX JITs on anything newer."""
    major, minor = as_tuple(cc)
    for built in kernels.sass:
        b_major, b_minor = as_tuple(built)
        if b_major == major and b_minor <= minor:
            return True
    return any(as_tuple(p) <= (major, minor) for p in kernels.ptx)


class TorchTable(msgspec.Struct, frozen=True):
    wheels: tuple[TorchWheel, ...]  # oldest torch first
    kernels: tuple[KernelSet, ...]
    stable: dict[str, tuple[str, ...]]  # torch X.Y -> stable CUDA X.Y

    def kernels_for(self, wheel: TorchWheel) -> KernelSet | None:
        return next(
            (k for k in self.kernels if k.variant == wheel.variant and k.covers(wheel.torch)), None
        )

    def is_stable(self, wheel: TorchWheel) -> bool:
        return wheel.cuda in self.stable.get(wheel.minor, ())

    def minors(self) -> list[str]:
        seen: dict[str, None] = {}
        for wheel in self.wheels:
            seen.setdefault(wheel.minor, None)
        return list(seen)
