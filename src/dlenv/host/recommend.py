"""Host -> recommended spec values for `dlenv init`, and the commented dlenv.toml text.

The text is the embedded default spec with values edited in place by tomlkit, so every
explanatory comment survives; the result is validated with `parse_spec` before anyone writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tomlkit

from dlenv.host.gpus import HostGpu
from dlenv.host.inventory import Inventory
from dlenv.host.rules.spec import WHEEL_ARCHES, _runs
from dlenv.host.rules.versions import vtuple
from dlenv.knowledge import Knowledge
from dlenv.resolve import DEFAULT_CUDA_TAG
from dlenv.spec import default_spec_text, parse_spec


@dataclass(frozen=True)
class Recommendation:
    profile: str  # "gpu" | "cpu"
    engine: str  # "podman" | "docker" | "auto"
    cuda: str  # "X.Y" or "auto"
    groups: tuple[str, ...] = ()
    name: str = "dlenv"
    reasons: tuple[str, ...] = field(default_factory=tuple)


def recommend(inv: Inventory, gpus: list[HostGpu], knowledge: Knowledge) -> Recommendation:
    reasons = []
    usable = [e.name for e in inv.engines if e.ok]
    engine = "podman" if "podman" in usable else ("docker" if usable else "auto")
    reasons.append(f"engine {engine}: " + (f"answers on this host ({', '.join(usable)} found)"
                                           if usable else "no engine answers yet"))
    if not gpus:
        reasons.append("profile cpu: no NVIDIA GPU found")
        return Recommendation("cpu", engine, "auto", reasons=tuple(reasons))
    cuda = best_cuda(inv.driver_version, gpus, knowledge)
    if cuda is None:
        reasons.append("CUDA auto: the driver version is unknown (install the driver first)")
        return Recommendation("gpu", engine, "auto", reasons=tuple(reasons))
    names = ", ".join(sorted({g.name for g in gpus}))
    reasons.append(f"CUDA {cuda}: newest with full support on driver {inv.driver_version} "
                   f"and torch kernels for {names}")
    return Recommendation("gpu", engine, cuda, reasons=tuple(reasons))


def best_cuda(driver: str | None, gpus: list[HostGpu], knowledge: Knowledge) -> str | None:
    """Newest CUDA with an image tag whose full driver floor the host meets and whose torch wheel
    has kernels for every GPU."""
    if driver is None:
        return None
    for cuda in sorted(DEFAULT_CUDA_TAG, key=vtuple, reverse=True):
        floor = knowledge.cuda_driver_floor(cuda)
        if floor is None or vtuple(driver) < vtuple(floor.full):
            continue
        arches = WHEEL_ARCHES.get("cu" + cuda.replace(".", ""))
        ccs = [g.compute_capability for g in gpus if g.compute_capability]
        if arches and not all(_runs(cc, *arches) for cc in ccs):
            continue
        return cuda
    return None


def spec_text(rec: Recommendation) -> str:
    """The default spec with the recommendation applied; raises SpecError if it does not validate."""
    doc = tomlkit.parse(default_spec_text())
    doc["name"] = rec.name
    doc["profile"] = rec.profile
    doc["engine"] = rec.engine
    image = doc["image"]
    python = doc["python"]
    assert isinstance(image, tomlkit.items.Table) and isinstance(python, tomlkit.items.Table)
    image["cuda"] = rec.cuda
    python["groups"] = list(rec.groups)
    header = "".join(f"# dlenv init: {reason}\n" for reason in rec.reasons)
    text = header + tomlkit.dumps(doc)
    parse_spec(text, "the generated dlenv.toml")
    return text
