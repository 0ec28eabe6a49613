"""pci.ids (https://pci-ids.ucw.cz, mirrored at github.com/pciutils/pciids) -> GPU rows.

Each NVIDIA device line reads `\\tDDDD  CHIP [Marketing Name]`. The chip code name picks the
family (architecture, compute capability) from gpu_families.toml; lines without a bracketed
name, and bridges, audio functions and placeholders, are not GPUs a user will name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

NVIDIA_VENDOR = "10de"  # NVIDIA Corporation: https://pci-ids.ucw.cz/read/PC/10de
_DEVICE = re.compile(r"\t([0-9a-f]{4})  (\S+)[^\[]*\[(.+)\]\s*")  # fullmatch
_NOT_A_GPU = re.compile(
    r"audio|nvswitch|reserved|engineering sample|initial devid|fpga|bridge|\bhost\b|dev id",
    re.IGNORECASE,
)
# Data-center boards (forward compatibility applies to them only): Tesla, the A/H/B/L series,
# HGX/DGX boards, Grace superchips. Workstation T400-T1000 and laptop parts are not.
_DATACENTER = re.compile(
    r"^(Tesla |HGX |DGX |GH\d{3}|GB\d{3}|(A|H|B)\d{1,3}[A-Z]?\b|A800|H800"
    r"|L(2|4|20|40)[A-Z]?\b|T4\b|T40\b|PG\d{3})"
)


def nvidia_devices(text: str) -> Iterable[tuple[str, str, str]]:
    """(device id, chip, marketing name) for every NVIDIA device line with a bracketed name."""
    in_nvidia = False
    for line in text.splitlines():
        if not line.startswith("\t"):
            if line and not line.startswith("#"):
                in_nvidia = line.startswith(f"{NVIDIA_VENDOR}  ")
            continue
        if not in_nvidia or line.startswith("\t\t"):
            continue
        match = _DEVICE.fullmatch(line)
        if match and not _NOT_A_GPU.search(match[3]):
            yield match[1], match[2], match[3].strip()


def name_variants(name: str) -> list[str]:
    """ "Quadro RTX 6000/8000" -> ["Quadro RTX 6000", "Quadro RTX 8000"];
    "A2 / A16" -> ["A2", "A16"];
    "GeForce RTX 5090 Max-Q / Mobile" -> [..., "GeForce RTX 5090 Mobile"]; [] without a "/"."""
    if "/" not in name:
        return []
    parts = [p.strip() for p in name.split("/") if p.strip()]
    first = parts[0]
    variants = [first]
    for part in parts[1:]:
        if " " in part or len(first.split()) == 1:
            variants.append(part)
        else:  # a lone word replaces the last word of the first name
            variants.append(" ".join([*first.split()[:-1], part]))
    return variants


def gpu_rows(
    text: str, families: list[Mapping[str, Any]], *, source: str, as_of: str
) -> list[dict[str, Any]]:
    """Group device IDs by (marketing name, family) and attach the family's facts."""
    compiled = [(re.compile(f"({f['chip']})[A-Z]*"), f) for f in families]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for pci_id, chip, name in nvidia_devices(text):
        family = next((f for pattern, f in compiled if pattern.fullmatch(chip)), None)
        if family is None:
            continue
        key = (name, family["compute_capability"])
        row = rows.setdefault(key, {
            "name": name,
            "chip": chip,
            "architecture": family["architecture"],
            "compute_capability": family["compute_capability"],
            "datacenter": bool(_DATACENTER.match(name)) and "Mobile" not in name,
            "aliases": name_variants(name),
            "pci_ids": [],
            "source": source,
            "as_of": as_of,
        })
        row["pci_ids"].append(pci_id)
    return sorted(rows.values(), key=lambda r: (r["name"].lower(), r["compute_capability"]))
