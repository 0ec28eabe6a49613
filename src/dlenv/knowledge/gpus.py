"""GPU models: name and PCI device ID -> compute capability and architecture.

nvidia-smi, lspci and pci.ids spell the same board differently ("NVIDIA A100-SXM4-80GB",
"A100 SXM4 80GB", "Tesla V100-SXM2-16GB"), so lookups compare normalised names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import get_close_matches

import msgspec

# Brand words nvidia-smi adds or drops between driver generations; they never tell boards apart.
_BRAND_WORDS = frozenset({"nvidia", "geforce", "tesla", "quadro"})
_PCI_ID = re.compile(r"(0x)?([0-9a-f]{4})")  # fullmatch


class GpuModel(msgspec.Struct, frozen=True):
    name: str
    compute_capability: str  # "8.9"
    architecture: str  # "Ada"
    pci_ids: tuple[str, ...] = ()  # "2684": 4 lowercase hex digits, vendor 10de
    datacenter: bool = False  # forward compatibility is for data-center GPUs only
    aliases: tuple[str, ...] = ()  # other names pci.ids gives in one entry ("Quadro RTX 8000")
    source: str = ""
    as_of: str = ""


def normalise_name(name: str) -> str:
    """Lower-case, brand words dropped: "NVIDIA A100-SXM4-80GB" -> "a100 sxm4 80gb"."""
    words = re.sub(r"[-_/,()\[\]]+", " ", name.lower()).split()
    return " ".join(w for w in words if w not in _BRAND_WORDS)


def _cc_key(model: GpuModel) -> float:
    major, minor = model.compute_capability.split(".")
    return int(major) * 100 + int(minor)


def normalise_pci_id(text: str) -> str | None:
    """ "0x2684", "2684", "10de:2684" -> "2684"; None when it is not a 16-bit hex device ID."""
    value = text.strip().lower()
    if value.startswith("10de:"):
        value = value[5:]
    match = _PCI_ID.fullmatch(value)
    return match[2] if match else None


class GpuTable:
    """The models, found by normalised name and by PCI device ID: an index built once, when
    the knowledge is loaded."""

    __slots__ = ("_by_name", "_by_pci", "models")

    def __init__(self, models: tuple[GpuModel, ...]) -> None:
        self.models = models
        self._by_name: dict[str, GpuModel] = {}
        self._by_pci: dict[str, GpuModel] = {}
        # pci.ids reuses a few names across chips (an OEM "GT 1030" on Kepler): by name, the
        # board with more device IDs wins, then the newer chip.
        ranked = sorted(models, key=lambda m: (-len(m.pci_ids), -_cc_key(m)))
        for model in ranked:
            self._by_name.setdefault(normalise_name(model.name), model)
        for model in ranked:
            for alias in model.aliases:
                self._by_name.setdefault(normalise_name(alias), model)
        for model in models:
            for pci in model.pci_ids:
                self._by_pci.setdefault(pci, model)

    def by_pci_id(self, pci_id: str) -> GpuModel | None:
        key = normalise_pci_id(pci_id)
        return self._by_pci.get(key) if key else None

    def by_name(self, name: str) -> GpuModel | None:
        """Exact (normalised) name, else the longest known name the query starts with
        ("h100 80gb hbm3" -> "H100"), else a family all of one compute capability ("h200" ->
        "H200 NVL", "H200 SXM 141GB")."""
        query = normalise_name(name)
        if not query:
            return None
        exact = self._by_name.get(query)
        if exact:
            return exact
        words = query.split()
        for cut in range(len(words) - 1, 0, -1):
            prefix = self._by_name.get(" ".join(words[:cut]))
            if prefix:
                return prefix
        family = [m for key, m in self._by_name.items() if key.startswith(query + " ")]
        if family and len({m.compute_capability for m in family}) == 1:
            return min(family, key=lambda m: len(m.name))
        return None

    def close_matches(self, name: str, limit: int = 5) -> list[str]:
        query = normalise_name(name)
        keys = get_close_matches(query, list(self._by_name), n=limit, cutoff=0.6)
        return [self._by_name[key].name for key in keys]

    def names(self) -> Iterable[str]:
        return (m.name for m in self.models)
