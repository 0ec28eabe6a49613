"""GPU lookups by the names nvidia-smi prints and by PCI device ID.

Names below are as nvidia-smi reports them (`nvidia-smi --query-gpu=name`), e.g. in
NVIDIA's own docs and public bug reports; IDs are from pci.ids (github.com/pciutils/pciids).
"""

from __future__ import annotations

import pytest

from dlenv.knowledge import load_knowledge


@pytest.mark.parametrize(
    ("name", "cc", "arch", "datacenter"),
    [
        ("NVIDIA GeForce RTX 4090", "8.9", "Ada", False),
        ("nvidia geforce rtx 4090", "8.9", "Ada", False),
        ("GeForce RTX 4090", "8.9", "Ada", False),
        ("NVIDIA A100-SXM4-80GB", "8.0", "Ampere", True),
        ("Tesla V100-SXM2-16GB", "7.0", "Volta", True),
        ("Tesla T4", "7.5", "Turing", True),
        ("NVIDIA H100 80GB HBM3", "9.0", "Hopper", True),
        ("NVIDIA H200", "9.0", "Hopper", True),
        ("NVIDIA B200", "10.0", "Blackwell", True),
        ("NVIDIA L4", "8.9", "Ada", True),
        ("NVIDIA L40S", "8.9", "Ada", True),
        ("NVIDIA A10G", "8.6", "Ampere", True),
        ("NVIDIA GeForce GTX 1080 Ti", "6.1", "Pascal", False),
        ("Quadro RTX 8000", "7.5", "Turing", False),
        ("NVIDIA RTX A6000", "8.6", "Ampere", False),
        ("NVIDIA RTX 6000 Ada Generation", "8.9", "Ada", False),
        ("NVIDIA GeForce RTX 5090", "12.0", "Blackwell", False),
        ("Tesla K80", "3.7", "Kepler", True),
    ],
)
def test_gpu_by_name(name: str, cc: str, arch: str, datacenter: bool) -> None:
    model = load_knowledge().gpu_by_name(name)
    assert model is not None, name
    assert (model.compute_capability, model.architecture, model.datacenter) == (
        cc,
        arch,
        datacenter,
    )


@pytest.mark.parametrize("pci_id", ["2684", "0x2684", "0X2684", "10de:2684", " 2684 "])
def test_gpu_by_pci_id_forms(pci_id: str) -> None:
    model = load_knowledge().gpu_by_pci_id(pci_id)
    assert model is not None
    assert model.name == "GeForce RTX 4090"


@pytest.mark.parametrize(
    ("pci_id", "name"),
    [("1eb8", "Tesla T4"), ("20b2", "A100 SXM4 80GB"), ("2330", "H100 SXM5 80GB"),
     ("2901", "B200"), ("2b85", "GeForce RTX 5090"), ("1b80", "GeForce GTX 1080")],
)
def test_gpu_by_pci_id(pci_id: str, name: str) -> None:
    model = load_knowledge().gpu_by_pci_id(pci_id)
    assert model is not None
    assert model.name == name


@pytest.mark.parametrize("bad", ["", "zzzz", "12345", "0x"])
def test_gpu_by_pci_id_rejects_non_ids(bad: str) -> None:
    assert load_knowledge().gpu_by_pci_id(bad) is None


def test_unknown_gpu_has_close_matches() -> None:
    k = load_knowledge()
    assert k.gpu_by_name("RTX 4909") is None
    assert "GeForce RTX 4090" in k.gpu_close_matches("RTX 4909")


def test_ambiguous_family_is_not_guessed() -> None:
    # "RTX" alone spans many compute capabilities: no answer rather than a wrong one.
    assert load_knowledge().gpu_by_name("NVIDIA RTX") is None
