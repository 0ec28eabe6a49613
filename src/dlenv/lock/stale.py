"""Is the lock still the resolution of this spec? A pure comparison, with reasons spelled out."""

from __future__ import annotations

from dlenv.lock.model import Lock, LockInput


def stale_reasons(lock: Lock, wanted: LockInput) -> list[str]:
    """Empty when the lock matches; else one line per difference, in the spec's terms."""
    if lock.input_digest == wanted.digest:
        return []
    reasons: list[str] = []
    if lock.python != wanted.python:
        reasons.append(f"python.version changed: {lock.python} -> {wanted.python}")
    elif wanted.python == "system" and lock.base_image != wanted.base_image:
        reasons.append(
            f"the base image (whose python3 is used) changed: {lock.base_image} -> "
            f"{wanted.base_image}"
        )
    if tuple(lock.platforms) != wanted.platforms:
        reasons.append(f"platforms changed: {', '.join(lock.platforms)} -> "
                       f"{', '.join(wanted.platforms)}")
    if lock.extra_index_urls != wanted.extra_index_urls:
        reasons.append("package indexes changed (CUDA variant or groups)")
    locked = {layer.name: set(layer.requirements) for layer in lock.layers}
    for layer in wanted.layers:
        before = locked.pop(layer.name, None)
        if before is None:
            reasons.append(f"layer {layer.name} is new")
            continue
        added = sorted(set(layer.requirements) - before)
        removed = sorted(before - set(layer.requirements))
        if added:
            reasons.append(f"layer {layer.name}: added {', '.join(added)}")
        if removed:
            reasons.append(f"layer {layer.name}: removed {', '.join(removed)}")
    reasons += [f"layer {name} is no longer in the spec" for name in sorted(locked)]
    order = [layer.name for layer in lock.layers]
    if not reasons and order != [layer.name for layer in wanted.layers]:
        reasons.append("the layer order changed")
    return reasons or ["the lock's input digest does not match (was it edited by hand?)"]
