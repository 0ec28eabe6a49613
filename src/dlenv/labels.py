"""The one codec for dlenv's container and image labels: what is written, and how it is read.

It depends on nothing else in dlenv, so the resolver (image labels), the engine (finding
dlenv's containers and volumes) and the environment layer all name labels from here.

Container labels carry what `status`, `ls`, `verify`, `shell` and the next `up` need to know of a
running environment (its user, ports, bind address, build digest), so none of them re-derives it
from a spec that may have changed since. Every default for a missing label lives here, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "dev.dlenv."
MANAGED = f"{PREFIX}managed"
NAME = f"{PREFIX}name"
USER = f"{PREFIX}user"
BIND = f"{PREFIX}bind"
SSH_PORT = f"{PREFIX}ssh-port"
JUPYTER_PORT = f"{PREFIX}jupyter-port"
CONTEXT_DIGEST = f"{PREFIX}context-digest"
# The GPU indices the container was given ("0,2"; absent: none, or "all"), and who made it:
# `ls --all-users` and the GPU choice of the next `up` (dlenv.environment.gpu_choice) read them.
GPUS = f"{PREFIX}gpus"
OWNER_UID = f"{PREFIX}owner-uid"
OWNER = f"{PREFIX}owner"
# Image labels: what the image holds, written by the resolver (read by `status` and `verify`).
PROFILE = f"{PREFIX}profile"
BASE = f"{PREFIX}base"
# The base image's digest (dlenv.lock's base-digest, or the engine's answer at build time), and
# whether it is a registry manifest digest or the engine's local image ID.
BASE_DIGEST = f"{PREFIX}base-digest"
BASE_DIGEST_KIND = f"{PREFIX}base-digest-kind"
PYTHON = f"{PREFIX}python"
CUDA = f"{PREFIX}cuda"
TORCH = f"{PREFIX}torch"
TORCHVISION = f"{PREFIX}torchvision"
TORCHAUDIO = f"{PREFIX}torchaudio"

# Read when a label is missing (an environment made by an older dlenv): the spec's defaults.
DEFAULT_USER = "dev"
DEFAULT_BIND = "127.0.0.1"


@dataclass(frozen=True)
class EnvLabels:
    """What a dlenv container says about itself."""

    name: str
    user: str = DEFAULT_USER
    bind: str = DEFAULT_BIND
    ssh_port: int | None = None
    jupyter_port: int | None = None
    context_digest: str | None = None
    gpus: tuple[str, ...] = ()
    owner_uid: int | None = None
    owner: str | None = None

    def encode(self) -> dict[str, str]:
        labels = {MANAGED: "true", NAME: self.name, USER: self.user, BIND: self.bind}
        if self.ssh_port is not None:
            labels[SSH_PORT] = str(self.ssh_port)
        if self.jupyter_port is not None:
            labels[JUPYTER_PORT] = str(self.jupyter_port)
        if self.context_digest is not None:
            labels[CONTEXT_DIGEST] = self.context_digest
        if self.gpus:
            labels[GPUS] = ",".join(self.gpus)
        if self.owner_uid is not None:
            labels[OWNER_UID] = str(self.owner_uid)
        if self.owner is not None:
            labels[OWNER] = self.owner
        return labels

    @classmethod
    def decode(cls, labels: Mapping[str, str], fallback_name: str) -> EnvLabels:
        """Read labels back; a missing or malformed value reads as unknown, never as a crash."""
        return cls(
            name=labels.get(NAME) or fallback_name,
            user=labels.get(USER) or DEFAULT_USER,
            bind=labels.get(BIND) or DEFAULT_BIND,
            ssh_port=_port(labels.get(SSH_PORT)),
            jupyter_port=_port(labels.get(JUPYTER_PORT)),
            context_digest=labels.get(CONTEXT_DIGEST),
            gpus=_gpus(labels.get(GPUS)),
            owner_uid=int(uid) if _UID.fullmatch(uid := labels.get(OWNER_UID, "")) else None,
            owner=owner if _OWNER.fullmatch(owner := labels.get(OWNER, "")) else None,
        )


def is_managed(labels: Mapping[str, str]) -> bool:
    return labels.get(MANAGED) == "true"


def owner_labels(name: str) -> dict[str, str]:
    """The labels on an environment's volumes: enough to find and remove them with it."""
    return {MANAGED: "true", NAME: name}


def base_digest_labels(digest: str, kind: str) -> dict[str, str]:
    return {BASE_DIGEST: digest, BASE_DIGEST_KIND: kind}


def image_contents(labels: Mapping[str, str]) -> dict[str, str]:
    """What an image says it holds (CUDA, torch, Python, ...), keyed without the prefix."""
    return {
        key.removeprefix(PREFIX): value
        for key, value in sorted(labels.items())
        if key.startswith(PREFIX) and key != CONTEXT_DIGEST
    }


# Another user's container is hostile input: only what these full matches allow is shown.
_GPU_INDEX = re.compile(r"[0-9]{1,3}")
_UID = re.compile(r"[0-9]{1,10}")
_OWNER = re.compile(r"[a-z_][a-z0-9_-]{0,31}\$?")


def _gpus(text: str | None) -> tuple[str, ...]:
    parts = (text or "").split(",")
    return tuple(parts) if all(_GPU_INDEX.fullmatch(p) for p in parts) else ()


def _port(text: str | None) -> int | None:
    if text is None or not text.isdigit():
        return None
    port = int(text)
    return port if 0 < port < 65536 else None
