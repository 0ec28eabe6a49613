"""The names one environment's resources get on the engine, decided in one place."""

from __future__ import annotations

from dataclasses import dataclass

# The caches that outlive a rebuild: each a volume, mounted where the tool's variable points.
# UV_CACHE_DIR: https://docs.astral.sh/uv/reference/environment/#uv_cache_dir
# PIP_CACHE_DIR (pip's --cache-dir as PIP_<OPTION>):
#   https://pip.pypa.io/en/stable/topics/configuration/#environment-variables
# HF_HOME (models, datasets, and the hub's token when no HF_TOKEN_PATH):
#   https://huggingface.co/docs/huggingface_hub/package_reference/environment_variables#hfhome
# TORCH_HOME (torch.hub's $TORCH_HOME/hub and checkpoints):
#   https://docs.pytorch.org/docs/stable/hub.html#where-are-my-downloaded-models-saved
CACHE_ROOT = "/var/cache/dlenv"


@dataclass(frozen=True)
class Cache:
    kind: str
    variable: str

    @property
    def target(self) -> str:
        return f"{CACHE_ROOT}/{self.kind}"


CACHES = (
    Cache("huggingface", "HF_HOME"),
    Cache("pip", "PIP_CACHE_DIR"),
    Cache("torch", "TORCH_HOME"),
    Cache("uv", "UV_CACHE_DIR"),
)


def shared_cache_volume(kind: str, uid: int) -> str:
    """A cache every environment of the user with `uid` shares."""
    return f"dlenv-cache-{uid}-{kind}"

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

    def cache_volume(self, kind: str) -> str:
        """A cache of this environment's own (run.caches = "environment")."""
        return f"{self.name}-cache-{kind}"
