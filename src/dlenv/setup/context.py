"""What a family module needs to build its steps: the distro, the host facts and the options."""

from __future__ import annotations

from dataclasses import dataclass

from dlenv.host.os_release import Distro
from dlenv.setup.host_state import HostState
from dlenv.setup.plan import Component, Engine
from dlenv.setup.sources import CUDA_REPO_ARCH


@dataclass(frozen=True)
class SetupOptions:
    engine: Engine = Engine.PODMAN
    rootless: bool = False
    components: tuple[Component, ...] = tuple(Component)
    # The login that gets group `docker` and runs rootless engines; None or "root" = nobody.
    user: str | None = None


@dataclass(frozen=True)
class Context:
    distro: Distro
    host: HostState
    options: SetupOptions

    @property
    def open_modules(self) -> bool:
        """Open kernel modules unless a GPU predates Turing (NVIDIA's default since 560)."""
        return not self.host.pre_turing_gpu

    @property
    def cuda_arch(self) -> str:
        return CUDA_REPO_ARCH.get(self.host.arch, self.host.arch)

    @property
    def login(self) -> str | None:
        user = self.options.user
        return None if user in (None, "", "root") else user
