"""What each engine's builder understands, and the names the engine gives build inputs.

The renderer asks these questions of the engine (never the other way round): which RUN mounts
exist, whether COPY takes --chmod, and under which id the CA bundle secret is mounted.
"""

from __future__ import annotations

from dataclasses import dataclass

# The id of the CA bundle's build secret; RUN steps mount it at /run/secrets/<id>, the default
# target of `RUN --mount=type=secret` (Dockerfile reference, "RUN --mount=type=secret":
# https://docs.docker.com/reference/dockerfile/#run---mounttypesecret).
CA_SECRET_ID = "dlenv-ca"
CA_SECRET_PATH = f"/run/secrets/{CA_SECRET_ID}"


@dataclass(frozen=True)
class BuilderCaps:
    """What the engine's builder understands (buildah and BuildKit: all; legacy Docker: none)."""

    cache_mounts: bool = True
    secret_mounts: bool = True
    needs_syntax_line: bool = False  # BuildKit reads `# syntax=` to pick the frontend


# The legacy Docker builder understands no RUN --mount.
LEGACY_CAPS = BuilderCaps(cache_mounts=False, secret_mounts=False)
BUILDKIT_CAPS = BuilderCaps(needs_syntax_line=True)
BUILDAH_CAPS = BuilderCaps()
