"""The digest of a base image, from `podman/docker image inspect --format '{{json .}}'`. Pure.

Podman prints a list of one image with `Digest` (the manifest digest it stores the image by, also
for images it imported) and `RepoDigests`; Docker prints one object whose `RepoDigests` is empty
for an imported or locally built image, and names familiar repositories short ("ubuntu@...").
A repository digest counts only for the base's own repository: an image tagged into two
repositories carries the other one's digest, which `FROM THIS_REPO@DIGEST` would not find.
"""

from __future__ import annotations

import re

from dlenv.engine.base import IMAGE_ID, MANIFEST, BaseDigest

_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def repository(ref: str) -> str:
    """The repository of an image reference, in full: "ubuntu:24.04" -> docker.io/library/ubuntu
    (the distribution/reference normalisation both engines apply to familiar names)."""
    name = ref.split("@", 1)[0]
    slash = name.rfind("/")
    if ":" in name[slash + 1 :]:
        name = name[: name.rfind(":")]
    first, _, rest = name.partition("/")
    if not rest:
        return f"docker.io/library/{name}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{name}"
    if first == "docker.io" and "/" not in rest:
        return f"docker.io/library/{rest}"
    return name


def base_digest(data: object, ref: str) -> BaseDigest | None:
    """The digest that pins `ref`: its repository's manifest digest, else the image ID."""
    if isinstance(data, list):  # podman: a list of the images asked for
        data = data[0] if len(data) == 1 else None
    if not isinstance(data, dict):
        return None
    wanted = repository(ref)
    repo_digests = data.get("RepoDigests")
    found = [
        digest
        for name, _, digest in (
            item.partition("@")
            for item in (repo_digests if isinstance(repo_digests, list) else [])
            if isinstance(item, str)
        )
        if repository(name) == wanted and _SHA256.fullmatch(digest)
    ]
    if found:
        # Podman's `Digest` is the one it stores the image by; its RepoDigests may add others
        # (a manifest list's) for the same repository.
        stored = data.get("Digest")
        return BaseDigest(stored if stored in found else found[0], MANIFEST)
    image_id = data.get("Id")
    if isinstance(image_id, str):
        # Docker writes "sha256:<hex>", podman the bare hex.
        bare = image_id.removeprefix("sha256:")
        if _HEX64.fullmatch(bare):
            return BaseDigest(f"sha256:{bare}", IMAGE_ID)
    return None
