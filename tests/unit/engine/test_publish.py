"""Manifest-list builds and pushes: exact argv, and the digest read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.engine.base import BuildRequest
from dlenv.engine.publish import (
    check_reference,
    manifest_name,
    multiplatform_build_argv,
    push,
    push_plan,
)
from dlenv.errors import EngineError, UsageError
from tests.support.fakes import FakeRunner

PUSHED = Path(__file__).parents[2] / "fixtures" / "push" / "docker-20.10-push.txt"
TAG = "localhost/dlenv/lk:4024bfe6a32b"


def test_podman_builds_all_platforms_into_a_manifest_list() -> None:
    request = BuildRequest(context=Path("/ctx"), tag=TAG, ca_bundle=Path("/ca.pem"))
    argv = multiplatform_build_argv("podman", request, ("linux/amd64", "linux/arm64"))
    assert argv == (
        "podman", "build", "--platform", "linux/amd64,linux/arm64",
        "--manifest", f"{TAG}-multiarch", "--file", "/ctx/Containerfile",
        "--secret", "id=dlenv-ca,src=/ca.pem", "/ctx",
    )  # fmt: skip


def test_docker_multiplatform_build_is_refused_with_a_way_out() -> None:
    with pytest.raises(UsageError, match="need podman"):
        multiplatform_build_argv("docker", BuildRequest(Path("/ctx"), TAG), ("linux/arm64",))


def test_podman_push_of_an_image_and_of_a_manifest_list(tmp_path: Path) -> None:
    digest = tmp_path / "digest"
    image = push_plan("podman", TAG, "127.0.0.1:5000/dl:1", manifest=False, tls_verify=False,
                      digest_file=digest)  # fmt: skip
    assert [c.argv for c in image.commands] == [
        ("podman", "push", "--tls-verify=false", "--digestfile", str(digest), TAG,
         "docker://127.0.0.1:5000/dl:1"),
    ]  # fmt: skip
    listed = push_plan("podman", manifest_name(TAG), "reg.example/dl:1", manifest=True,
                       tls_verify=True, digest_file=digest)  # fmt: skip
    assert [c.argv for c in listed.commands] == [
        ("podman", "manifest", "push", "--all", "--digestfile", str(digest), f"{TAG}-multiarch",
         "docker://reg.example/dl:1"),
    ]  # fmt: skip


def test_docker_push_reads_the_digest_from_dockers_output() -> None:
    runner = FakeRunner(
        {
            ("docker", "tag"): (0, "", ""),
            ("docker", "push"): (0, PUSHED.read_text(), ""),
        }
    )
    digest = push(runner, "docker", TAG, "127.0.0.1:5055/cap/debian:1", manifest=False,
                  tls_verify=True)  # fmt: skip
    assert digest == "sha256:8f77a19322924bf6c00f10f30a27f21caa6253ef7c21035b389632e6c4881c61"
    assert runner.calls == [
        ("docker", "tag", TAG, "127.0.0.1:5055/cap/debian:1"),
        ("docker", "push", "127.0.0.1:5055/cap/debian:1"),
    ]


def test_a_failed_push_names_login_and_tls() -> None:
    runner = FakeRunner({("podman", "push"): (125, "", "Error: ... 401 Unauthorized\n")})
    with pytest.raises(EngineError) as caught:
        push(runner, "podman", TAG, "reg.example/dl:1", manifest=False, tls_verify=True)
    assert "podman login" in (caught.value.hint or "")


@pytest.mark.parametrize("bad", ["Reg/Upper", "reg/dl@sha256:" + "0" * 64, "", "reg/dl:"])
def test_bad_references_are_refused(bad: str) -> None:
    with pytest.raises(UsageError, match="not an image reference"):
        check_reference(bad)
