"""A registry as the shared build cache (`image.registry`).

The image tag is the build context's digest, so the same spec gives the same tag on every
machine: before building, `up` and `build` try `REGISTRY/NAME:CONTENTTAG`, and after a local
build they push it there. The cache only ever saves time: a tag that is not there yet means
"build", an unreachable registry or a failed push is a warning, never a failed `up`.
"""

from __future__ import annotations

from enum import Enum

from dlenv.console import info, success, warn
from dlenv.engine.publish import push
from dlenv.environment.project import Project
from dlenv.errors import DlenvError


class PullOutcome(Enum):
    PULLED = "pulled"
    MISSING = "missing"  # the registry answered: no such tag (yet)
    FAILED = "failed"  # unreachable, refused, or anything else: warn and build


# What the engines print when the registry answered but has no such tag (captured here from
# podman 4.3 and Docker 20.10 against Distribution 2.8; tests/unit/environment/test_cache.py):
# podman: "reading manifest TAG in REPO: manifest unknown: manifest unknown";
# docker: "manifest for REF not found: manifest unknown: manifest unknown". A repository that
# does not exist yet gives "name unknown" on registries that tell the two apart.
_MISSING = ("manifest unknown", "name unknown")


def classify_pull(ok: bool, output: str) -> PullOutcome:
    if ok:
        return PullOutcome.PULLED
    lowered = output.lower()
    return PullOutcome.MISSING if any(s in lowered for s in _MISSING) else PullOutcome.FAILED


def _last_error_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][-300:] if lines else "no output"


def cache_reference(project: Project) -> str | None:
    registry = project.spec.image.registry
    return project.names.cache_reference(registry, project.context.digest) if registry else None


def _repository(project: Project) -> str:
    return project.names.cache_repository(project.spec.image.registry)


def pull_from_cache(project: Project) -> bool:
    """Pull this content's image from the cache and tag it as the local image. True if pulled."""
    reference = cache_reference(project)
    if reference is None:
        return False
    engine = project.engine
    if engine.name == "docker" and not project.spec.image.registry_tls:
        # No per-command switch: Docker's daemon decides (127.0.0.0/8 is insecure by default).
        info(
            "image.registry_tls = false: Docker reaches a plain-HTTP registry only when its "
            'daemon lists it under "insecure-registries" in /etc/docker/daemon.json'
        )
    result = engine.pull(reference, tls_verify=project.spec.image.registry_tls)
    outcome = classify_pull(result.ok, result.stdout + result.stderr)
    if outcome is PullOutcome.MISSING:
        info(f"{reference} is not in the registry cache yet: building")
        return False
    if outcome is PullOutcome.FAILED:
        warn(
            "the registry cache could not be read "
            f"({_last_error_line(result.stderr or result.stdout)}); building locally"
        )
        return False
    engine.tag(reference, project.image_tag)
    # After a pull, the engine records the registry's manifest digest (after a push, podman
    # records its local one instead, hence push_to_cache keeps what the push reports).
    prefix = f"{_repository(project)}@"
    digests = [d for d in engine.repo_digests(reference) if d.startswith(prefix)]
    if len(digests) == 1:
        project.state.record_published(project.context.digest, digests[0])
    success(f"pulled {reference} from the registry cache (no build needed)")
    return True


def push_to_cache(project: Project) -> None:
    """Push the image just built to the cache; a failure is a warning (the image is built)."""
    reference = cache_reference(project)
    if reference is None:
        return
    engine = project.engine
    try:
        digest = push(
            engine.runner,
            engine.name,
            project.image_tag,
            reference,
            manifest=False,
            tls_verify=project.spec.image.registry_tls,
        )
    except DlenvError as error:
        warn(f"could not push to the registry cache: {error.message}; the image is built here")
        return
    project.state.record_published(project.context.digest, f"{_repository(project)}@{digest}")
    info(f"pushed {reference} to the registry cache ({digest})")
