"""One interface over the docker and podman CLIs. Argv builders are pure; `CliEngine` runs them."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Mount:
    """A named volume (source without "/") or a bind mount (absolute host path)."""

    source: str
    target: str
    read_only: bool = False

    @property
    def is_volume(self) -> bool:
        return not self.source.startswith("/")

    def flag(self) -> str:
        option = f"{self.source}:{self.target}"
        return option + (":ro" if self.read_only else "")

    def mount_option(self) -> str:
        """The same mount in `--mount` syntax (devcontainer.json's `mounts` and
        `workspaceMount`): key=value fields as one CSV record, which is how Docker reads the
        option (a field with a comma or a quote is quoted; docker's opts/mount.go uses
        encoding/csv)."""
        kind = "volume" if self.is_volume else "bind"
        fields = [f"type={kind}", f"source={self.source}", f"target={self.target}"]
        if self.read_only:
            fields.append("readonly")
        record = io.StringIO()
        csv.writer(record, lineterminator="").writerow(fields)
        return record.getvalue()


@dataclass(frozen=True)
class RunConfig:
    name: str
    image: str
    bind: str
    ports: Mapping[int, int]  # host port -> container port
    mounts: tuple[Mount, ...]
    labels: Mapping[str, str]
    tmpfs: tuple[str, ...] = ()
    shm_size: str | None = None
    gpu_flags: tuple[str, ...] = ()  # from dlenv.engine.gpu
    env: Mapping[str, str] = field(default_factory=dict)  # never secrets: `inspect` shows these
    extra_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildRequest:
    context: Path
    tag: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ca_bundle: Path | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)  # proxies only: never secrets
    no_cache: bool = False
    # Hosts of the https package indexes the Containerfile names (the legacy builder's relay
    # upgrades only these); the network the build runs in ("host": for the relay, or for an
    # index on the host's loopback), None for the engine's default.
    index_hosts: tuple[str, ...] = ()
    network: str | None = None


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    state: str  # "running", "exited", "created", ...
    image: str
    labels: Mapping[str, str]
    restart_count: int = 0  # restarts by the engine's restart policy since `run`


@dataclass(frozen=True)
class BuildStep:
    """A step of a build, parsed from the builder's output."""

    number: int
    total: int
    instruction: str


# What a base digest is (dlenv.lock's base-digest-kind, the image label of the same name).
# "manifest": the registry manifest digest the engine pulled (or stored) the image by: pullable
# anywhere, pinned as REPOSITORY@DIGEST. "image-id": the engine's own image ID, for an image with
# no registry digest (Docker gives none to an image it imported or built locally): only an engine
# holding that very image can build from it, pinned as `FROM sha256:...`.
MANIFEST = "manifest"
IMAGE_ID = "image-id"
DIGEST_KINDS = (MANIFEST, IMAGE_ID)


@dataclass(frozen=True)
class BaseDigest:
    digest: str  # sha256:<64 hex>
    kind: str  # one of DIGEST_KINDS
