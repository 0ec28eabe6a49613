"""What a family module needs to build its steps: the distro, the host facts and the options."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlenv.errors import UsageError
from dlenv.host.os_release import Distro
from dlenv.knowledge import Knowledge, load_knowledge
from dlenv.knowledge.versions import as_tuple
from dlenv.setup.host_state import HostState
from dlenv.setup.plan import Component, Engine
from dlenv.setup.sources import CUDA_REPO_ARCH

# Login names dlenv writes into a plan: shadow-utils' portable pattern for user names
# ("User/group names must match [a-z_][a-z0-9_-]*[$]", libmisc/chkname.c, shadow-maint/shadow;
# the trailing `$` is for Samba machine accounts), capped at useradd(8)'s "Usernames may only be
# up to 32 characters long". Some distributions accept more (RHEL: upper case and dots); such a
# name is refused with the one command to run by hand, never pasted into a script.
LOGIN_PATTERN = re.compile(r"[a-z_][a-z0-9_-]{0,31}\$?")


@dataclass(frozen=True)
class SetupOptions:
    engine: Engine = Engine.PODMAN
    rootless: bool = False
    components: tuple[Component, ...] = tuple(Component)
    # The login that gets group `docker` and runs rootless engines: the invoking user
    # (`invoking_user`); None = unknown, "root" = nobody (root needs no group).
    user: str | None = None


@dataclass(frozen=True)
class Context:
    distro: Distro
    host: HostState
    options: SetupOptions

    @property
    def open_modules(self) -> bool:
        """Open kernel modules unless a GPU predates Turing (NVIDIA's default since 560); always
        for a GPU that runs only with them (Blackwell)."""
        return self.open_only_gpu or not self.host.pre_turing_gpu

    @property
    def open_only_gpu(self) -> bool:
        k = load_knowledge()
        return any(k.drivers.open_only(_architecture(k, d)) for d in self.host.gpu_device_ids)

    @property
    def first_driver(self) -> str | None:
        """The oldest driver release that supports every GPU here (None: no floor known)."""
        k = load_knowledge()
        floors = [
            k.drivers.first_driver([f"{d:04x}"], _architecture(k, d))
            for d in self.host.gpu_device_ids
        ]
        known = [f for f in floors if f]
        return max(known, key=as_tuple) if known else None

    @property
    def cuda_arch(self) -> str:
        return CUDA_REPO_ARCH.get(self.host.arch, self.host.arch)

    @property
    def login(self) -> str | None:
        """The user to set the engine up for, validated; None when unknown or root."""
        user = self.options.user
        if user in (None, "", "root"):
            return None
        return check_login(user)


def check_login(user: str) -> str:
    if LOGIN_PATTERN.fullmatch(user) is None:
        raise UsageError(
            f"user name {user!r} is not one dlenv puts in a setup script "
            "(lower-case letters, digits, '_' and '-', at most 32 characters)",
            hint="pass --user NAME for another user, or add this one to group docker by hand: "
            "`sudo usermod -aG docker USER`",
        )
    return user


def _architecture(k: Knowledge, device_id: int) -> str | None:
    model = k.gpu_by_pci_id(f"{device_id:04x}")
    return model.architecture if model else None
