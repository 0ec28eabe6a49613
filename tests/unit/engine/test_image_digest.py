"""Base image digests (issue 11) from real `image inspect` output, and where they go: the lock,
the pinned FROM line and the labels. Fixtures: tests/fixtures/captured/image-inspect (README)."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest

from dlenv.engine.argv import build_argv
from dlenv.engine.base import IMAGE_ID, MANIFEST, BaseDigest, BuildRequest
from dlenv.engine.caps import BuilderCaps
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.engine.image_digest import base_digest, repository
from dlenv.errors import EngineError, UsageError
from dlenv.labels import BASE_DIGEST, BASE_DIGEST_KIND, base_digest_labels, image_contents
from dlenv.lock import Lock, dumps, loads, lock_input, stale_reasons
from dlenv.process import Command, Result
from dlenv.render import RenderInput, render_context
from dlenv.resolve import resolve
from tests.support.fakes import FakeRunner
from tests.support.locks import BASE, fixture_lock
from tests.unit.lock.test_stale import spec

CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured" / "image-inspect"
DEBIAN = "localhost/dlenv-test/debian:bookworm"
DOCKER_ID = "sha256:eb2b0c1c3e611d1184bac582bdb21a027fb9f76a1fac79588dd9d44ebc412b15"


def captured(name: str) -> object:
    return json.loads((CAPTURED / name).read_text())


def test_podman_gives_a_manifest_digest_even_for_an_imported_image() -> None:
    assert base_digest(captured("podman-local-debian-ci.json"), DEBIAN) == BASE


def test_docker_gives_an_imported_image_only_its_id() -> None:
    found = base_digest(captured("docker-local-debian-ci.json"), DEBIAN)
    assert found == BaseDigest(DOCKER_ID, IMAGE_ID)


def test_a_repo_digest_counts_only_for_the_bases_own_repository() -> None:
    """The same image, also pulled from a registry: its RepoDigests name that repository."""
    data = captured("docker-pulled-two-repos-ci.json")
    assert base_digest(data, DEBIAN) == BaseDigest(DOCKER_ID, IMAGE_ID)
    pulled = "127.0.0.1:48621/dlenv-test/debian:bookworm"
    digest = "sha256:1a59110c8d35589b82025cb3eae09de459f5853f30ce2b36149f116160de0c74"
    assert base_digest(data, pulled) == BaseDigest(digest, MANIFEST)
    assert base_digest(captured("podman-pulled-ci.json"), pulled) == BaseDigest(digest, MANIFEST)


@pytest.mark.parametrize(
    ("ref", "repo"),
    [
        ("ubuntu:24.04", "docker.io/library/ubuntu"),
        ("docker.io/library/ubuntu:24.04", "docker.io/library/ubuntu"),
        ("docker.io/ubuntu", "docker.io/library/ubuntu"),
        ("nvidia/cuda:12.4.1-base-ubuntu22.04", "docker.io/nvidia/cuda"),
        ("localhost/dlenv-test/debian:bookworm", "localhost/dlenv-test/debian"),
        ("127.0.0.1:5000/a/b@sha256:" + "0" * 64, "127.0.0.1:5000/a/b"),
        ("nvcr.io/nvidia/pytorch:24.01-py3", "nvcr.io/nvidia/pytorch"),
    ],
)
def test_repository_normalises_familiar_names(ref: str, repo: str) -> None:
    assert repository(ref) == repo


def test_other_shapes_give_no_digest() -> None:
    assert base_digest(None, DEBIAN) is None
    assert base_digest([], DEBIAN) is None
    assert base_digest({"Id": "nope", "RepoDigests": ["x@sha256:1"]}, DEBIAN) is None


def engine(program: str, table: dict[tuple[str, ...], tuple[int, str, str]]) -> CliEngine:
    return CliEngine(EngineKind(program, BuilderCaps()), FakeRunner(responses=table))


def test_engine_pulls_a_missing_base_then_reads_its_digest() -> None:
    absent = (
        125,
        (CAPTURED / "podman-absent-ci.stdout").read_text(),
        (CAPTURED / "podman-absent-ci.stderr").read_text(),
    )
    present = (0, (CAPTURED / "podman-local-debian-ci.json").read_text(), "")
    answers = iter([absent, present])

    class Replay(FakeRunner):
        """Inspect answers "absent", then (after the pull) the captured image."""

        def run(
            self, command: Command, *, check: bool = False, timeout: float | None = None
        ) -> Result:
            if command.argv[:3] == ("podman", "image", "inspect"):
                self.calls.append(command.argv)
                return Result(command, *next(answers))
            return super().run(command, check=check, timeout=timeout)

    runner = Replay(responses={("podman", "pull"): (0, "", "")})
    found = CliEngine(EngineKind("podman", BuilderCaps()), runner).base_digest(DEBIAN)
    assert found == BASE
    assert [c[:2] for c in runner.calls] == [
        ("podman", "image"),
        ("podman", "pull"),
        ("podman", "image"),
    ]


def test_a_base_that_cannot_be_pulled_is_an_engine_error_with_its_message() -> None:
    absent = (
        1,
        (CAPTURED / "docker-absent-ci.stdout").read_text(),
        (CAPTURED / "docker-absent-ci.stderr").read_text(),
    )
    failed = (
        1,
        "",
        'Get "http://localhost/v2/": dial tcp 127.0.0.1:80: connect: connection refused',
    )
    docker = engine("docker", {("docker", "image", "inspect"): absent, ("docker", "pull"): failed})
    with pytest.raises(EngineError) as caught:
        docker.base_digest("localhost/dlenv-test/does-not-exist:1")
    assert "dial tcp" in (caught.value.details or "")


def test_the_lock_file_keeps_the_base_digest_and_checks_it() -> None:
    lock = fixture_lock()
    assert loads(dumps(lock)).base == BASE
    text = dumps(lock)
    for old, new in [
        (BASE.digest, "sha256:" + "A" * 64),
        (BASE.digest, BASE.digest + "\\nRUN evil"),
        ('"manifest"', '"registry"'),
    ]:
        with pytest.raises(UsageError, match="base-digest"):
            loads(text.replace(old, new))


def test_a_lock_without_a_base_digest_still_reads_and_keeps_its_content_digest() -> None:
    """Locks written before the base digest was recorded stay valid (and build unpinned)."""
    old = replace(fixture_lock(), base_digest="", base_digest_kind="")
    text = dumps(old)
    assert "base-digest" not in text
    assert loads(text) == old
    # The content digest tests/golden/lock/dlenv.lock had before base digests were recorded.
    assert old.content_digest == (
        "sha256:dc796b58abeedc3739eac2a8175d4a68c44234a8981dc23d6bca4fe6f58c7dcb"
    )
    half = dumps(fixture_lock()).replace('base-digest-kind = "manifest"\n', "")
    with pytest.raises(UsageError, match="base-digest-kind"):
        loads(half)


def test_a_pinned_base_makes_the_lock_stale_when_the_base_changes() -> None:
    other = spec(**{"python.version": "3.11", "image.base": "docker.io/library/debian:12"})
    lock = replace(fixture_lock(), python="3.11", input_digest=lock_input(resolve(other)).digest)
    same = lock_input(resolve(spec(**{"python.version": "3.11"})))
    assert stale_reasons(replace(lock, input_digest=same.digest), same) == []
    reasons = stale_reasons(lock, lock_input(resolve(other)))
    assert reasons == [
        f"the base image changed: {DEBIAN} -> docker.io/library/debian:12 (the lock pins "
        f"{DEBIAN} by its digest)"
    ]


def render(lock: Lock | None) -> str:
    given = RenderInput(resolve(spec()), BuilderCaps(), uid=1000, gid=1000, lock=lock)
    return render_context(given).files["Containerfile"]


def test_a_locked_build_pins_from_to_the_repository_digest_and_labels_it() -> None:
    containerfile = render(fixture_lock())
    assert f"\nFROM localhost/dlenv-test/debian@{BASE.digest}\n" in containerfile
    assert f'{BASE_DIGEST}="{BASE.digest}"' in containerfile
    assert f'{BASE_DIGEST_KIND}="manifest"' in containerfile


def test_an_image_id_is_named_alone_in_from() -> None:
    lock = replace(fixture_lock(), base_digest=DOCKER_ID, base_digest_kind=IMAGE_ID)
    containerfile = render(lock)
    assert f"\nFROM {DOCKER_ID}\n" in containerfile
    assert f'{BASE_DIGEST_KIND}="image-id"' in containerfile


def test_without_a_base_digest_from_names_the_base_as_the_spec_says() -> None:
    old = replace(fixture_lock(), base_digest="", base_digest_kind="")
    for lock in (None, old):
        containerfile = render(lock)
        assert f"\nFROM {DEBIAN}\n" in containerfile
        assert BASE_DIGEST not in containerfile


def test_an_unpinned_build_labels_the_base_digest_on_the_command_line() -> None:
    request = BuildRequest(
        Path("/ctx"), "localhost/dlenv/x:1", labels=base_digest_labels(DOCKER_ID, IMAGE_ID)
    )
    argv = build_argv("docker", request)
    assert ("--label", f"{BASE_DIGEST}={DOCKER_ID}") in itertools.pairwise(argv)


def test_status_contents_show_the_base_digest() -> None:
    labels = {BASE_DIGEST: BASE.digest, BASE_DIGEST_KIND: MANIFEST, "dev.dlenv.context-digest": "x"}
    assert image_contents(labels) == {"base-digest": BASE.digest, "base-digest-kind": MANIFEST}
