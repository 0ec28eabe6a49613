"""Is the lock still the resolution of this spec? A pure comparison, with reasons spelled out.

Every input the lock records is compared with what the spec resolves to, not only the input
digest: anyone can compute the digest of a spec, so a lock whose digest matches but whose layers
or indexes are someone else's is stale, and is never built.
"""

from __future__ import annotations

from dlenv.lock.model import Lock, LockInput

_HAND_EDITED = "(was it edited by hand?)"


def stale_reasons(lock: Lock, wanted: LockInput) -> list[str]:
    """Empty when the lock matches; else one line per difference, in the spec's terms."""
    reasons = _differences(lock, wanted)
    if lock.input_digest != wanted.digest:
        reasons = reasons or [f"the lock's input digest does not match {_HAND_EDITED}"]
    elif reasons:  # the digest is the spec's, the content is not: the lock was changed after it
        reasons.append(f"the lock's input digest matches the spec but its inputs do not "
                       f"{_HAND_EDITED}")
    return reasons + _base_pin(lock, wanted)


def _base_pin(lock: Lock, wanted: LockInput) -> list[str]:
    """A lock's base digest pins the base image it was read from, so another base makes it
    stale. The input digest leaves the base out unless python3 comes from it (and then
    _differences says so already): no sign of a hand edit, the spec moved."""
    already_said = lock.python == wanted.python == "system"
    if lock.base_digest and lock.base_image != wanted.base_image and not already_said:
        return [
            f"the base image changed: {lock.base_image} -> {wanted.base_image} (the lock pins "
            f"{lock.base_image} by its digest)"
        ]
    return []


def _differences(lock: Lock, wanted: LockInput) -> list[str]:
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
        reasons.append(
            "package indexes changed (CUDA variant or groups): "
            f"{_urls(lock.extra_index_urls)} -> {_urls(wanted.extra_index_urls)}"
        )
    reasons += _layer_differences(lock, wanted)
    return reasons


def _layer_differences(lock: Lock, wanted: LockInput) -> list[str]:
    reasons: list[str] = []
    locked = {layer.name: layer.requirements for layer in lock.layers}
    for layer in wanted.layers:
        before = locked.pop(layer.name, None)
        if before is None:
            reasons.append(f"layer {layer.name} is new")
            continue
        added = sorted(set(layer.requirements) - set(before))
        removed = sorted(set(before) - set(layer.requirements))
        if added:
            reasons.append(f"layer {layer.name}: added {', '.join(added)}")
        if removed:
            reasons.append(f"layer {layer.name}: removed {', '.join(removed)}")
        if not added and not removed and tuple(before) != layer.requirements:
            reasons.append(f"layer {layer.name}: its requirements are repeated or out of order")
    reasons += [f"layer {name} is no longer in the spec" for name in sorted(locked)]
    order = [layer.name for layer in lock.layers]
    if not reasons and order != [layer.name for layer in wanted.layers]:
        reasons.append("the layer order changed")
    return reasons


def _urls(urls: tuple[str, ...]) -> str:
    return ", ".join(urls) if urls else "(none)"
