"""Doctor's driver findings against the first driver release per GPU (driver_support.toml)."""

from __future__ import annotations

from dlenv.host.gpus import HostGpu
from dlenv.host.inventory import Inventory
from dlenv.host.parse.nvidia import DriverModule, ModuleFlavor, SmiFailure
from dlenv.host.rules.gpu import driver_findings
from dlenv.knowledge import load_knowledge


def _rtx_5090() -> HostGpu:
    k = load_knowledge()
    return HostGpu(0, "NVIDIA GeForce RTX 5090", "2b85", k.gpu_by_pci_id("2b85"))


def _inventory(version: str, flavor: ModuleFlavor = ModuleFlavor.OPEN) -> Inventory:
    # R560 loaded, but the card is newer than the branch: nvidia-smi finds no device.
    return Inventory(
        smi_installed=True,
        smi_failure=SmiFailure.NO_DEVICES,
        smi_output="No devices were found",
        driver_module=DriverModule(version, flavor),
        modules=frozenset({"nvidia"}),
    )


def test_driver_branch_older_than_the_gpu_fails_with_the_minimum_branch() -> None:
    found = driver_findings(_inventory("560.35.03"), [_rtx_5090()], load_knowledge())
    unsupported = [f for f in found if f.id == "driver.gpu_unsupported"]
    assert len(unsupported) == 1, found
    assert "driver 560.35.03 (R560) does not support GPU 0" in unsupported[0].message
    assert "R570 or newer (>= 570.86.16)" in unsupported[0].fix


def test_a_driver_at_the_floor_has_no_such_finding() -> None:
    inv = Inventory(driver_module=DriverModule("570.86.16", ModuleFlavor.OPEN),
                    modules=frozenset({"nvidia"}), smi_installed=True)
    found = driver_findings(inv, [_rtx_5090()], load_knowledge())
    assert not [f for f in found if f.id == "driver.gpu_unsupported"]


def test_blackwell_on_the_proprietary_module_is_flagged() -> None:
    inv = Inventory(driver_module=DriverModule("575.57.08", ModuleFlavor.PROPRIETARY),
                    modules=frozenset({"nvidia"}), smi_installed=True)
    found = driver_findings(inv, [_rtx_5090()], load_knowledge())
    assert any(f.id == "driver.flavor" and "open kernel module" in f.message for f in found), found
