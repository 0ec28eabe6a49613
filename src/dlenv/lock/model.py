"""The lock as data: what was resolved (the input) and what it resolved to (pins per layer).

The input is derived from the ResolvedEnv alone, so staleness is a pure comparison: no network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from dlenv.engine.base import BaseDigest
from dlenv.lock import validate
from dlenv.resolve import ResolvedEnv

LOCK_FILENAME = "dlenv.lock"
# 2: content-digest, and every value checked on reading (issue 11).
FORMAT_VERSION = 2
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

    def __post_init__(self) -> None:
        # Every LockedPackage is checked, however made: nothing unchecked reaches a render.
        validate.check_package_name(self.name)
        validate.check_version(self.version)
        validate.check_marker(self.marker)
        validate.check_hashes(self.hashes)

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

    def __post_init__(self) -> None:
        validate.check_layer_name(self.name)
        for i, requirement in enumerate(self.requirements):
            validate.check_requirement(requirement, f"requirements[{i}]")


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
    # The base image's digest as the engine reported it at `dlenv lock` (issue 11): the build
    # pins FROM to it. Empty in a lock written before dlenv recorded it (built unpinned).
    base_digest: str = ""
    base_digest_kind: str = ""  # dlenv.engine.base.DIGEST_KINDS; empty with no digest

    def __post_init__(self) -> None:
        validate.check_digest(self.input_digest, "input-digest")
        validate.check_python(self.python)
        validate.check_python_target(self.python_target)
        validate.check_image(self.base_image)
        validate.check_platforms(self.platforms, PLATFORMS)
        for i, url in enumerate(self.extra_index_urls):
            validate.check_index_url(url, f"extra-index-urls[{i}]")
        validate.check_unique(self.extra_index_urls, "extra-index-urls", "index")
        validate.check_resolver(self.resolver)
        validate.check_base_digest(self.base_digest, self.base_digest_kind)
        validate.check_unique((layer.name for layer in self.layers), "layers", "layer")
        # One pin per package and marker: a second one would be a second, unreviewed install.
        pins = (f"{p.name} ; {p.marker}" for layer in self.layers for p in layer.packages)
        validate.check_unique(pins, "layers", "package")

    @property
    def content_digest(self) -> str:
        """sha256 of everything the lock holds, inputs and pins: dlenv.lock records it, so an
        edit by hand (a changed pin or hash) is noticed on reading. Not a signature: whoever
        can edit the file can recompute it; the checks of each value and the comparison with
        the spec (stale.py) are what defend against a hostile lock."""
        data = dataclasses.asdict(self)
        if not self.base_digest:
            # A lock without a base digest keeps the content digest it was written with.
            del data["base_digest"], data["base_digest_kind"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    @property
    def base(self) -> BaseDigest | None:
        return BaseDigest(self.base_digest, self.base_digest_kind) if self.base_digest else None

    @classmethod
    def of(
        cls,
        given: LockInput,
        python_target: str,
        resolver: str,
        layers: tuple[LockedLayer, ...],
        base: BaseDigest | None = None,
    ) -> Lock:
        """The lock of `given`: its digest and inputs, what the resolve found, and the digest
        of its base image."""
        return cls(
            input_digest=given.digest,
            python=given.python,
            python_target=python_target,
            base_image=given.base_image,
            platforms=given.platforms,
            extra_index_urls=given.extra_index_urls,
            resolver=resolver,
            layers=layers,
            base_digest=base.digest if base else "",
            base_digest_kind=base.kind if base else "",
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
