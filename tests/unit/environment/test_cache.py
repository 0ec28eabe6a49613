"""The registry build cache: pull before building, push after; a miss builds, trouble warns.

The engines' answers are real, captured on this project's CI machine (Debian 12) from podman
4.3.1 and Docker 20.10.24 against Debian's docker-registry 2.8.2 on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dlenv.engine.caps import BuilderCaps
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.environment.cache import (
    PullOutcome,
    classify_pull,
    pull_from_cache,
    push_to_cache,
)
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import Project, open_project
from dlenv.errors import SpecError
from dlenv.process import Command, Result
from dlenv.spec.load import parse_spec
from tests.support.context import make_context
from tests.support.fakes import FakeRunner
from tests.support.index_config import uv_answers

PODMAN_MISSING = (
    "Trying to pull 127.0.0.1:34817/kube-x:abc...\n"
    "Error: initializing source docker://127.0.0.1:34817/kube-x:abc: reading manifest abc in "
    "127.0.0.1:34817/kube-x: manifest unknown: manifest unknown\n"
)
PODMAN_UNREACHABLE = (
    "Trying to pull 127.0.0.1:1/kube-x:abc...\n"
    "Error: initializing source docker://127.0.0.1:1/kube-x:abc: pinging container registry "
    '127.0.0.1:1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection '
    "refused\n"
)
DOCKER_MISSING = (
    "Error response from daemon: manifest for 127.0.0.1:34817/kube-x:abc not found: manifest "
    "unknown: manifest unknown\n"
)
DOCKER_UNREACHABLE = (
    'Error response from daemon: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: '
    "connection refused\n"
)
DIGEST = "sha256:" + "7e" * 32
SPEC = """name = "kc"
profile = "cpu"
engine = "podman"
[image]
base = "localhost/dlenv-test/debian:bookworm"
registry = "127.0.0.1:5000/team/cache"
registry_tls = false
[python]
version = "system"
[torch]
enabled = false
"""


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (PODMAN_MISSING, PullOutcome.MISSING),
        (DOCKER_MISSING, PullOutcome.MISSING),
        (PODMAN_UNREACHABLE, PullOutcome.FAILED),
        (DOCKER_UNREACHABLE, PullOutcome.FAILED),
        ("Error: unauthorized: authentication required\n", PullOutcome.FAILED),
    ],
)
def test_a_missing_tag_is_told_apart_from_trouble(output: str, expected: PullOutcome) -> None:
    assert classify_pull(False, output) is expected
    assert classify_pull(True, output) is PullOutcome.PULLED


class PodmanPushRunner(FakeRunner):
    """podman push writes the pushed manifest's digest to its --digestfile."""

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        result = super().run(command)
        if command.argv[:2] == ("podman", "push") and result.ok:
            argv = command.argv
            Path(argv[argv.index("--digestfile") + 1]).write_text(DIGEST + "\n")
        return result


def project_with(
    tmp_path: Path, answers: dict[tuple[str, ...], tuple[int, str, str]]
) -> tuple[Project, FakeRunner]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "dlenv.toml").write_text(SPEC)
    runner = PodmanPushRunner(
        responses={
            ("podman", "version"): (0, "4.3.1\n", ""),
            ("podman", "info"): (0, "{}", ""),
            **uv_answers(),
            **answers,
        },
        programs={"podman": "/usr/bin/podman"},
    )
    return open_project(EnvOptions(), make_context(tmp_path, runner)), runner


def test_a_hit_is_pulled_tagged_and_recorded_by_digest(tmp_path: Path) -> None:
    project, runner = project_with(tmp_path, {})
    reference = f"127.0.0.1:5000/team/cache/kc:{project.context.digest[:12]}"
    runner.responses = {
        **runner.responses,
        ("podman", "pull"): (0, "Trying to pull ...\nabc123\n", ""),
        ("podman", "tag"): (0, "", ""),
        ("podman", "image", "inspect"): (0, f'["127.0.0.1:5000/team/cache/kc@{DIGEST}"]\n', ""),
    }
    assert pull_from_cache(project)
    assert ("podman", "pull", "--tls-verify=false", reference) in runner.calls
    assert ("podman", "tag", reference, project.image_tag) in runner.calls
    assert project.state.published(project.context.digest) == (
        f"127.0.0.1:5000/team/cache/kc@{DIGEST}"
    )


def test_a_miss_builds_without_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, runner = project_with(tmp_path, {("podman", "pull"): (125, "", PODMAN_MISSING)})
    assert not pull_from_cache(project)
    err = capsys.readouterr().err
    assert "not in the registry cache yet" in err
    assert "warning" not in err.lower()
    assert not any(call[:2] == ("podman", "tag") for call in runner.calls)


def test_an_unreachable_registry_warns_and_builds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, _ = project_with(tmp_path, {("podman", "pull"): (125, "", PODMAN_UNREACHABLE)})
    assert not pull_from_cache(project)
    assert "connection refused" in capsys.readouterr().err


def test_after_a_build_the_image_is_pushed_and_its_digest_kept(tmp_path: Path) -> None:
    project, runner = project_with(tmp_path, {("podman", "push"): (0, "", "")})
    push_to_cache(project)
    reference = f"127.0.0.1:5000/team/cache/kc:{project.context.digest[:12]}"
    push = next(call for call in runner.calls if call[:2] == ("podman", "push"))
    assert push[2] == "--tls-verify=false"
    assert push[-2:] == (project.image_tag, f"docker://{reference}")
    assert project.state.published(project.context.digest) == (
        f"127.0.0.1:5000/team/cache/kc@{DIGEST}"
    )


def test_a_failed_push_only_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, _ = project_with(tmp_path, {("podman", "push"): (125, "", PODMAN_UNREACHABLE)})
    push_to_cache(project)  # no exception
    assert "could not push to the registry cache" in capsys.readouterr().err
    assert project.state.published(project.context.digest) is None


@pytest.mark.parametrize(
    "registry",
    [
        "https://registry.example.com/cache",  # a scheme
        "registry.example.com",  # no path
        "cache",  # no host: would mean Docker Hub
        "registry.example.com/cache:tag",  # a tag
        "registry.example.com/Cache",  # upper case path
        "registry.example.com/cache\nFROM evil",
    ],
)
def test_registry_must_be_host_and_path(registry: str) -> None:
    text = f"[image]\nregistry = {_toml_string(registry)}\n"
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "dlenv.toml")
    assert "image.registry" in str(caught.value.problems)


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@pytest.mark.parametrize(
    "registry", ["", "127.0.0.1:5000/dlenv", "registry.example.com/team/cache", "[::1]:5000/c"]
)
def test_registry_accepts_host_port_and_path(registry: str) -> None:
    spec = parse_spec(f"[image]\nregistry = {_toml_string(registry)}\n", "dlenv.toml")
    assert spec.image.registry == registry


def test_the_content_tag_does_not_depend_on_where_the_project_lives(tmp_path: Path) -> None:
    # Two machines, two checkouts: the cache can only be shared if the tags agree.
    first, _ = project_with(tmp_path / "alice" / "project", {})
    second, _ = project_with(tmp_path / "bob" / "elsewhere", {})
    assert first.image_tag == second.image_tag


def test_docker_pulls_and_pushes_without_a_tls_switch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Docker has no per-command TLS switch: its daemon's insecure-registries decides.
    project, _ = project_with(tmp_path, {})
    runner = FakeRunner(
        responses={
            ("docker", "pull"): (1, "", DOCKER_MISSING),
            ("docker", "tag"): (0, "", ""),
            ("docker", "push"): (0, f"1: digest: {DIGEST} size: 1234\n", ""),
        }
    )
    docker = dataclasses.replace(
        project, engine=CliEngine(EngineKind("docker", BuilderCaps()), runner)
    )
    assert not pull_from_cache(docker)
    assert "insecure-registries" in capsys.readouterr().err
    push_to_cache(docker)
    reference = f"127.0.0.1:5000/team/cache/kc:{project.context.digest[:12]}"
    assert runner.calls == [
        ("docker", "pull", reference),
        ("docker", "tag", project.image_tag, reference),
        ("docker", "push", reference),
    ]
    assert docker.state.published(project.context.digest) == (
        f"127.0.0.1:5000/team/cache/kc@{DIGEST}"
    )
