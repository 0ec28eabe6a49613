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
from dataclasses import dataclass, field

PREFIX = "dev.dlenv."
MANAGED = f"{PREFIX}managed"
NAME = f"{PREFIX}name"
USER = f"{PREFIX}user"
BIND = f"{PREFIX}bind"
SSH_PORT = f"{PREFIX}ssh-port"
JUPYTER_PORT = f"{PREFIX}jupyter-port"
CONTEXT_DIGEST = f"{PREFIX}context-digest"
# Extra named ports ("gradio=7860,tensorboard=6006"), the idle-stop setting ("2h"), the names of
# the runtime secrets ("HF_TOKEN"; never a value), the cache scope and the dotfiles repository.
PORTS = f"{PREFIX}ports"
IDLE_STOP = f"{PREFIX}idle-stop"
SECRETS = f"{PREFIX}secrets"
CACHES = f"{PREFIX}caches"
DOTFILES = f"{PREFIX}dotfiles"
# On a cache volume: what it caches ("uv", "huggingface", ...), and for a shared one the UID of
# the user whose environments share it.
CACHE = f"{PREFIX}cache"
CACHE_OWNER = f"{PREFIX}cache-owner"
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
    ports: Mapping[str, int] = field(default_factory=dict)  # extra named ports
    idle_stop: str | None = None  # "2h"; None: off
    secrets: tuple[str, ...] = ()  # names only
    caches: str | None = None  # "shared", "environment"; None: off
    dotfiles: str | None = None  # the repository URL
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
        if self.ports:
            labels[PORTS] = ",".join(f"{k}={v}" for k, v in sorted(self.ports.items()))
        if self.idle_stop is not None:
            labels[IDLE_STOP] = self.idle_stop
        if self.secrets:
            labels[SECRETS] = ",".join(sorted(self.secrets))
        if self.caches is not None:
            labels[CACHES] = self.caches
        if self.dotfiles is not None:
            labels[DOTFILES] = self.dotfiles
        if self.gpus:
            labels[GPUS] = ",".join(self.gpus)
        if self.owner_uid is not None:
            labels[OWNER_UID] = str(self.owner_uid)
        if self.owner is not None:
            labels[OWNER] = self.owner
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
            ports=_named_ports(labels.get(PORTS)),
            idle_stop=labels.get(IDLE_STOP) or None,
            secrets=tuple(
                n for n in (labels.get(SECRETS) or "").split(",") if _NAME_RE.fullmatch(n)
            ),
            caches=labels.get(CACHES) or None,
            dotfiles=labels.get(DOTFILES) or None,
            gpus=_gpus(labels.get(GPUS)),
            owner_uid=int(uid) if _UID.fullmatch(uid := labels.get(OWNER_UID, "")) else None,
            owner=owner if _OWNER.fullmatch(owner := labels.get(OWNER, "")) else None,
        )


def cache_labels(kind: str, *, owner_uid: int | None, env_name: str | None) -> dict[str, str]:
    """A cache volume's labels: shared by one user's environments (`owner_uid`), or one
    environment's own (`env_name`, removed with it)."""
    labels = {MANAGED: "true", CACHE: kind}
    if owner_uid is not None:
        labels[CACHE_OWNER] = str(owner_uid)
    if env_name is not None:
        labels[NAME] = env_name
    return labels


@dataclass(frozen=True)
class VolumeLabels:
    """What a dlenv volume says about itself: the environment it belongs to (None for a shared
    cache), the cache it holds (None for a workspace or host-key volume), the sharing user."""

    env_name: str | None
    cache: str | None
    owner_uid: int | None

    @classmethod
    def decode(cls, labels: Mapping[str, str]) -> VolumeLabels:
        owner = labels.get(CACHE_OWNER) or ""
        return cls(
            env_name=labels.get(NAME) or None,
            cache=labels.get(CACHE) or None,
            owner_uid=int(owner) if owner.isdigit() and len(owner) < 11 else None,
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


_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def _named_ports(text: str | None) -> dict[str, int]:
    ports: dict[str, int] = {}
    for item in (text or "").split(","):
        name, _, number = item.partition("=")
        port = _port(number)
        if _NAME_RE.fullmatch(name) and port is not None:
            ports[name] = port
    return ports


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
