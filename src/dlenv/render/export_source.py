"""What an exported configuration (devcontainer.json, a compose file) runs: the run
configuration `dlenv up` would use on this host, and where the image comes from.

The exports translate `RunConfig` (dlenv.engine: ports, mounts, GPU and hardening flags) into
each format, so the rules that decide those flags stay in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlenv.engine.base import Mount, RunConfig

CONTAINERFILE = "Containerfile"


@dataclass(frozen=True)
class ExportSource:
    config: RunConfig
    user: str
    workspace_target: str  # the workspace's path in the container
    image: str | None  # an image `dlenv build` made; None: build from the context beside the file
    gpu: bool  # the GPU profile

    @property
    def workspace(self) -> Mount:
        return next(m for m in self.config.mounts if m.target == self.workspace_target)

    @property
    def other_mounts(self) -> tuple[Mount, ...]:
        return tuple(m for m in self.config.mounts if m.target != self.workspace_target)
