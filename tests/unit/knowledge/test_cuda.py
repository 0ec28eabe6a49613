"""Driver floors, the driver -> CUDA mapping and architecture support per CUDA release.

Expected values: CUDA release notes Tables 2 and 3 and section 2.6.2 (reference/compat-facts.md).
"""

from __future__ import annotations

import pytest

from dlenv.errors import UsageError
from dlenv.knowledge import DriverFloor, load_knowledge


@pytest.mark.parametrize(
    ("cuda", "floor"),
    [
        ("12.8", DriverFloor("525.60.13", "570.26")),
        ("12.4", DriverFloor("525.60.13", "550.54.14")),
        ("13.0", DriverFloor("580.65.06", "580.65.06")),
        ("11.8", DriverFloor("450.80.02", "520.61.05")),
    ],
)
def test_cuda_driver_floor(cuda: str, floor: DriverFloor) -> None:
    assert load_knowledge().cuda_driver_floor(cuda) == floor


def test_unknown_cuda_has_no_floor() -> None:
    assert load_knowledge().cuda_driver_floor("12.7") is None


@pytest.mark.parametrize(
    ("driver", "cuda"),
    [
        ("550.54.14", "12.4"),
        ("550.54.13", "12.3"),
        ("570.124.06", "12.8"),
        ("575.57.08", "12.9"),
        ("580.95.05", "13.0"),
        ("595.71.05", "13.2"),
        ("470.82.01", None),
    ],
)
def test_max_cuda_for_driver(driver: str, cuda: str | None) -> None:
    assert load_knowledge().max_cuda_for_driver(driver) == cuda


@pytest.mark.parametrize("bad", ["550", "550.x", "v550.54.14", "", "550.54.14.1"])
def test_max_cuda_for_driver_rejects_malformed(bad: str) -> None:
    with pytest.raises(UsageError, match="not an NVIDIA driver version"):
        load_knowledge().max_cuda_for_driver(bad)


@pytest.mark.parametrize(
    ("cuda", "cc", "supported"),
    [
        ("11.8", "3.7", True),  # Kepler: last in 11.x
        ("12.0", "3.7", False),  # removed in 12.0
        ("12.9", "6.1", True),
        ("13.0", "6.1", False),  # Maxwell/Pascal/Volta removed in 13.0
        ("13.0", "7.0", False),
        ("13.0", "7.5", True),  # Turing kept
        ("12.6", "12.0", False),  # Blackwell arrives in 12.8
        ("12.8", "12.0", True),
        ("12.8", "10.3", False),  # B300 arrives in 12.9
        ("12.9", "10.3", True),
        ("12.8", "9.9", False),  # no such GPU
    ],
)
def test_cuda_supports_cc(cuda: str, cc: str, supported: bool) -> None:
    assert load_knowledge().cuda_supports_cc(cuda, cc) is supported
