"""nvidia-smi, /proc/driver/nvidia/version and lspci parsers on real captures."""

from pathlib import Path

from dlenv.host.parse.nvidia import (
    ModuleFlavor,
    SmiFailure,
    classify_smi_failure,
    merge_smi,
    parse_driver_version_file,
    parse_lspci_nn,
    parse_proc_modules,
    parse_smi_list,
    parse_smi_table,
    pci_from_sysfs,
)

CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured"


def text(name: str) -> str:
    return (CAPTURED / name).read_text()


def test_eight_h100s():
    report = parse_smi_table(text("nvidia-smi/h100-sxm-x8-565.57.01.txt"))
    assert report.driver_version == "565.57.01"
    assert report.cuda_version == "12.7"
    assert [g.index for g in report.gpus] == list(range(8))
    assert {g.name for g in report.gpus} == {"NVIDIA H100 80GB HBM3"}
    assert report.gpus[7].memory_total_mib == 81559
    assert report.gpus[0].mig_mode == "Disabled"


def test_one_gpu_new_and_old_table_layouts():
    ada = parse_smi_table(text("nvidia-smi/rtx4070-x1-550.40.07.txt"))
    assert (ada.driver_version, ada.cuda_version) == ("550.40.07", "12.4")
    assert [(g.name, g.memory_total_mib, g.mig_mode) for g in ada.gpus] == [
        ("NVIDIA GeForce RTX 4070", 12282, None)
    ]
    pascal = parse_smi_table(text("nvidia-smi/titan-xp-x1-450.57.txt"))
    assert pascal.driver_version == "450.57"
    assert [(g.index, g.name, g.memory_total_mib) for g in pascal.gpus] == [(0, "TITAN Xp", 12196)]


def test_mig_table_and_listing_merge_full_names():
    table = parse_smi_table(text("nvidia-smi/a100-80g-mig-x2-520.61.05.txt"))
    assert [g.mig_mode for g in table.gpus] == ["Enabled", "Enabled"]
    assert table.gpus[0].name == "NVIDIA A100 80G..."  # the table truncates
    listing = parse_smi_list(text("nvidia-smi/mig-list-a100-sxm4-80gb.txt"))
    assert len(listing) == 1 and len(listing[0].mig_devices) == 7
    assert listing[0].uuid == "GPU-7fdaf0a5-179b-f636-d15d-daf243e3ff16"
    merged = merge_smi(table, listing)
    assert merged.gpus[0].name == "NVIDIA A100-SXM4-80GB"
    assert merged.gpus[0].mig_devices[0] == "MIG 1g.10gb"
    assert merged.gpus[1].name == "NVIDIA A100 80G..."


def test_listing_without_mig():
    gpus = parse_smi_list(text("nvidia-smi/list-quadro-rtx4000-x2.txt"))
    assert [(g.index, g.name, g.mig_devices) for g in gpus] == [
        (0, "Quadro RTX 4000", ()),
        (1, "Quadro RTX 4000", ()),
    ]


def test_zero_gpus_and_no_driver_are_classified():
    assert classify_smi_failure(text("nvidia-smi/no-devices.txt")) is SmiFailure.NO_DEVICES
    assert classify_smi_failure(text("nvidia-smi/no-driver.txt")) is SmiFailure.NO_DRIVER
    assert classify_smi_failure("Failed to initialize NVML: Driver/library version mismatch") is (
        SmiFailure.VERSION_MISMATCH
    )
    assert classify_smi_failure("segfault") is SmiFailure.OTHER
    assert parse_smi_table(text("nvidia-smi/no-devices.txt")).gpus == ()


def test_driver_version_file_flavours():
    open_ = parse_driver_version_file(text("driver-version/open-565.57.01.txt"))
    assert open_ is not None and (open_.version, open_.flavor) == ("565.57.01", ModuleFlavor.OPEN)
    prop = parse_driver_version_file(text("driver-version/proprietary-590.48.01.txt"))
    assert prop is not None and (prop.version, prop.flavor) == (
        "590.48.01",
        ModuleFlavor.PROPRIETARY,
    )
    old = parse_driver_version_file(text("driver-version/proprietary-440.82.txt"))
    assert old is not None and old.version == "440.82"
    assert parse_driver_version_file("garbage") is None


def test_lspci_finds_only_the_nvidia_display_device():
    devices = parse_lspci_nn(text("lspci/nvidia-rtx3080-and-intel.txt"))
    assert len(devices) == 4
    gpus = [d for d in devices if d.is_nvidia_gpu]
    assert [(g.slot, g.class_code, g.device) for g in gpus] == [("01:00.0", "0300", "2206")]


def test_sysfs_values_and_proc_modules():
    device = pci_from_sysfs("0000:01:00.0", "0x10de\n", "0x2684\n", "0x030200\n")
    assert device.is_nvidia_gpu and device.device == "2684" and device.class_code == "0302"
    assert not pci_from_sysfs("x", "0x10de", "0x22e9", "0x040300").is_nvidia_gpu
    modules = parse_proc_modules("nouveau 2904064 1 - Live 0x0\nttm 98304 1 nouveau, Live 0x0\n")
    assert modules == {"nouveau", "ttm"}
