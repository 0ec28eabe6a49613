"""The one codec for dlenv's container and image labels: what is written, and how it is read.

It depends on nothing else in dlenv, so the resolver (image labels), the engine (finding
dlenv's containers and volumes) and the environment layer all name labels from here.

Container labels carry what `status`, `ls`, `verify`, `shell` and the next `up` need to know of a
running environment (its user, ports, bind address, build digest), so none of them re-derives it
from a spec that may have changed since. Every default for a missing label lives here, once.
"""

from __future__ import annotations

import ipaddress
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

# What the spec allows (dlenv.spec.model uses these), so a value read back from a label is held to
# the rule it was written under. Used with `fullmatch`.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
# shadow-utils' portable user name pattern (see LOGIN_PATTERN in dlenv.setup.context).
USER_PATTERN = re.compile(r"[a-z_][a-z0-9_-]{0,30}")

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

    def encode(self) -> dict[str, str]:
        labels = {MANAGED: "true", NAME: self.name, USER: self.user, BIND: self.bind}
        if self.ssh_port is not None:
            labels[SSH_PORT] = str(self.ssh_port)
        if self.jupyter_port is not None:
            labels[JUPYTER_PORT] = str(self.jupyter_port)
        if self.context_digest is not None:
            labels[CONTEXT_DIGEST] = self.context_digest
        return labels

    @classmethod
    def decode(cls, labels: Mapping[str, str], fallback_name: str) -> EnvLabels:
        """Read labels back; a missing or malformed value reads as unknown (or the default),
        never as a crash and never as text that would reach a command or a printed ssh line."""
        return cls(
            name=_matching(labels.get(NAME), NAME_PATTERN) or fallback_name,
            user=_matching(labels.get(USER), USER_PATTERN) or DEFAULT_USER,
            bind=_address(labels.get(BIND)) or DEFAULT_BIND,
            ssh_port=_port(labels.get(SSH_PORT)),
            jupyter_port=_port(labels.get(JUPYTER_PORT)),
            context_digest=labels.get(CONTEXT_DIGEST),
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


def _port(text: str | None) -> int | None:
    if text is None or not text.isdigit():
        return None
    port = int(text)
    return port if 0 < port < 65536 else None


def _matching(text: str | None, pattern: re.Pattern[str]) -> str | None:
    return text if text is not None and pattern.fullmatch(text) else None


def _address(text: str | None) -> str | None:
    """An IP address as `--bind` takes it; anything else reads as missing."""
    if text is None or not text.isascii():
        return None
    try:
        return str(ipaddress.ip_address(text)) if text.strip() == text else None
    except ValueError:
        return None
