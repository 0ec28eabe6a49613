"""What the command line can say about an environment, as one value the commands pass down."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class EnvOptions:
    """None means "as the spec says". Built by `dlenv.commands.options.env_options`."""

    spec_path: Path | None = None
    name: str | None = None
    profile: str | None = None
    base_image: str | None = None
    python: str | None = None
    engine: str | None = None
    ca_bundle: Path | None = None
    ssh_port: int | None = None
    jupyter_port: int | None = None
    bind: str | None = None
    workspace: str | None = None
    host: str | None = None  # the box: "[user@]host[:port]"

    def overrides(self) -> dict[str, Any]:
        """Spec keys the options set; `dlenv.spec.apply_overrides` validates them like the file."""
        return {
            "name": self.name,
            "profile": self.profile,
            "image.base": self.base_image,
            "python.version": self.python,
            "ssh.port": self.ssh_port,
            "jupyter.port": self.jupyter_port,
            "run.bind": self.bind,
            "run.workspace": self.workspace,
            "host": self.host,
        }
