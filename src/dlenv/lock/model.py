"""The lock as data: what was resolved (the input) and what it resolved to (pins per layer).

The input is derived from the ResolvedEnv alone, so staleness is a pure comparison: no network.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from dlenv.resolve import ResolvedEnv

LOCK_FILENAME = "dlenv.lock"
FORMAT_VERSION = 1
# Images dlenv builds run on these; the resolve is universal, so the pins hold for both.
# OCI platform names (os/architecture, GOARCH values): github.com/opencontainers/image-spec,
# image-index.md.
PLATFORMS = ("linux/amd64", "linux/arm64")


@dataclass(frozen=True)
class LayerInput:
    """One package layer as the spec asks for it (before resolution)."""

    name: str
    requirements: tuple[str, ...]  # sorted


@dataclass(frozen=True)
class LockInput:
    """Everything the resolution depends on. Same input, same digest, same lock."""

    python: str  # the spec's python.version: "3.12" or "system"
    base_image: str  # decides the interpreter when python is "system"
    platforms: tuple[str, ...]
    extra_index_urls: tuple[str, ...]  # searched before PyPI, in this order
    layers: tuple[LayerInput, ...]  # heaviest first

    @property
    def digest(self) -> str:
        data = {
            "python": self.python,
            # The base image only matters through its python3.
            "base_image": self.base_image if self.python == "system" else "",
            "platforms": list(self.platforms),
            "extra_index_urls": list(self.extra_index_urls),
            "layers": [[layer.name, list(layer.requirements)] for layer in self.layers],
        }
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class LockedPackage:
    name: str  # as uv prints it (normalised)
    version: str
    marker: str  # PEP 508 marker ("" when it applies everywhere); uv evaluates it at install
    hashes: tuple[str, ...]

    def requirement_line(self) -> str:
        """The line in a pip/uv requirements file, hashes included."""
        head = f"{self.name}=={self.version}"
        if self.marker:
            head += f" ; {self.marker}"
        return " \\\n    ".join([head, *(f"--hash={h}" for h in self.hashes)])


@dataclass(frozen=True)
class LockedLayer:
    name: str
    requirements: tuple[str, ...]  # the input, kept for the staleness diff
    packages: tuple[LockedPackage, ...]  # sorted by name, then marker


@dataclass(frozen=True)
class Lock:
    input_digest: str
    python: str  # the spec's python.version
    python_target: str  # the interpreter resolved for: "3.11" (probed for "system")
    base_image: str
    platforms: tuple[str, ...]
    extra_index_urls: tuple[str, ...]
    resolver: str  # "uv 0.13.9"
    layers: tuple[LockedLayer, ...]

    @classmethod
    def of(
        cls, given: LockInput, python_target: str, resolver: str, layers: tuple[LockedLayer, ...]
    ) -> Lock:
        """The lock of `given`: its digest and inputs, and what the resolve found."""
        return cls(
            input_digest=given.digest,
            python=given.python,
            python_target=python_target,
            base_image=given.base_image,
            platforms=given.platforms,
            extra_index_urls=given.extra_index_urls,
            resolver=resolver,
            layers=layers,
        )

    def layer(self, name: str) -> LockedLayer | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    @property
    def package_count(self) -> int:
        return sum(len(layer.packages) for layer in self.layers)


def lock_input(env: ResolvedEnv) -> LockInput:
    """What `dlenv lock` resolves for this environment.

    All layers share one index list: the resolve is one, so every layer must fetch each package
    from the same index the resolver found it on (its hash would not match another index's file).
    """
    extra: list[str] = []
    for layer in env.layers:
        for url in (layer.index_url, *layer.extra_index_urls):
            if url and url not in extra:
                extra.append(url)
    return LockInput(
        python=env.spec.python.version,
        base_image=env.base_image,
        platforms=PLATFORMS,
        extra_index_urls=tuple(extra),
        layers=tuple(
            LayerInput(layer.name, tuple(sorted(layer.requirements))) for layer in env.layers
        ),
    )
