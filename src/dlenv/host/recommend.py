"""Host -> recommended spec values for `dlenv init`, and the commented dlenv.toml text.

The text is the embedded default spec with values edited in place by tomlkit, so every
explanatory comment survives; the result is validated with `parse_spec` before anyone writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tomlkit

from dlenv.errors import DlenvError
from dlenv.host.gpus import HostGpu, resolver_facts
from dlenv.host.inventory import Inventory
from dlenv.knowledge import Knowledge
from dlenv.resolve import resolve
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
    reasons.append(
        f"engine {engine}: "
        + (
            f"answers on this host ({', '.join(usable)} found)"
            if usable
            else "no engine answers yet"
        )
    )
    if not gpus:
        reasons.append("profile cpu: no NVIDIA GPU found")
        return Recommendation("cpu", engine, "auto", reasons=tuple(reasons))
    del knowledge  # the resolver consults it
    cuda = best_cuda(inv.driver_version, gpus, inv.arch)
    if cuda is None:
        reasons.append("CUDA auto: no CUDA fits this driver yet, or the driver is unknown")
        return Recommendation("gpu", engine, "auto", reasons=tuple(reasons))
    names = ", ".join(sorted({g.name for g in gpus}))
    reasons.append(f"CUDA {cuda}: what dlenv resolves for driver {inv.driver_version} and {names}")
    return Recommendation("gpu", engine, cuda, reasons=tuple(reasons))


def best_cuda(driver: str | None, gpus: list[HostGpu], arch: str | None) -> str | None:
    """The CUDA the resolver picks for these GPUs and driver (one source of truth for "auto")."""
    if driver is None:
        return None
    facts = resolver_facts(gpus, driver, arch)
    try:
        return resolve(parse_spec(default_spec_text(), "the default spec"), facts).cuda
    except DlenvError:
        return None


def spec_text(rec: Recommendation, base: str | None = None) -> str:
    """The default spec with the recommendation applied; SpecError if it does not validate."""
    doc = tomlkit.parse(base if base is not None else default_spec_text())
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
