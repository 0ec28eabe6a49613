"""The names one environment's resources get on the engine, decided in one place."""

from __future__ import annotations

from dataclasses import dataclass

IMAGE_NAMESPACE = "localhost/dlenv"  # `localhost/`: never pulled from, or pushed to, a registry


@dataclass(frozen=True)
class EnvNames:
    name: str

    @property
    def container(self) -> str:
        return self.name

    @property
    def image_repository(self) -> str:
        return f"{IMAGE_NAMESPACE}/{self.name}"

    def image_tag(self, context_digest: str) -> str:
        """The tag is the build context's digest: same spec, same tag, no rebuild."""
        return f"{self.image_repository}:{context_digest[:12]}"

    def cache_repository(self, registry: str) -> str:
        return f"{registry}/{self.name}"

    def cache_reference(self, registry: str, context_digest: str) -> str:
        """Where the registry build cache keeps this content: REGISTRY/NAME:CONTENTTAG, the
        same content tag as the local image's."""
        return f"{self.cache_repository(registry)}:{context_digest[:12]}"

    @property
    def workspace_volume(self) -> str:
        return f"{self.name}-workspace"

    @property
    def hostkeys_volume(self) -> str:
        return f"{self.name}-sshd"

    @property
    def access_secret(self) -> str:
        """The Kubernetes Secret with the authorized keys and the Jupyter token."""
        return f"{self.name}-access"
