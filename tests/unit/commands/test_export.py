"""`dlenv export` in-process: what it writes, what it refuses, and that no secret lands in a file.

The engine's answers are real captures (tests/fixtures/captured/README.md) replayed by a fake
runner."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from dlenv.cli import run
from tests.support.context import make_context
from tests.support.engine_captures import CAPTURED, PODMAN_ROOTFUL
from tests.support.fakes import FakeRunner
from tests.support.index_config import uv_answers
from tests.support.keygen import PUBLIC

ABSENT_IMAGE = (
    125,
    (CAPTURED / "image-inspect/podman-absent-ci.stdout").read_text(),
    (CAPTURED / "image-inspect/podman-absent-ci.stderr").read_text(),
)
PRESENT_IMAGE = (0, "sha256:" + "ab" * 32 + "\n", "")
SPEC = 'name = "demo"\nprofile = "cpu"\nengine = "podman"\n'


def export(
    tmp_path: Path, *args: str, image: tuple[int, str, str] = ABSENT_IMAGE, spec: str = SPEC
) -> tuple[int, Path]:
    (tmp_path / "dlenv.toml").write_text(spec)
    (tmp_path / "key.pub").write_text(PUBLIC)
    runner = FakeRunner(
        responses={
            ("podman", "info"): (0, PODMAN_ROOTFUL.read_text(), ""),
            ("podman", "image", "inspect"): image,
            **uv_answers(),
        },
        programs={"podman": "/usr/bin/podman"},
    )
    ctx = make_context(tmp_path, runner)
    code = run(["export", *args, "--authorized-keys", str(tmp_path / "key.pub")], ctx)
    return code, ctx.state_root / "envs" / "demo"


def test_the_context_folders_are_0755_whatever_the_umask(tmp_path: Path) -> None:
    """The image's /etc and /usr/local/bin get the modes of the context's folders (one COPY):
    a private umask must not make them 0700 in the image."""
    previous = os.umask(0o077)
    try:
        code, _ = export(tmp_path, "devcontainer")
    finally:
        os.umask(previous)
    assert code == 0
    rootfs = tmp_path / ".devcontainer" / "rootfs"
    folders = [rootfs, *(p for p in rootfs.rglob("*") if p.is_dir() and not p.is_symlink())]
    assert {p.stat().st_mode & 0o777 for p in folders} == {0o755}


def test_devcontainer_writes_the_json_and_the_build_context(tmp_path: Path) -> None:
    code, state = export(tmp_path, "devcontainer")
    assert code == 0
    folder = tmp_path / ".devcontainer"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir()) == [
        "Containerfile", "devcontainer.json",
        "rootfs/etc/dlenv/jupyter_server_config.py",
        "rootfs/etc/jupyter/labconfig/default_setting_overrides.json",
        "rootfs/etc/localtime",
        "rootfs/etc/profile.d/dlenv.sh", "rootfs/etc/ssh/sshd_config", "rootfs/etc/timezone",
        "rootfs/usr/local/bin/dlenv-dotfiles", "rootfs/usr/local/bin/dlenv-entrypoint",
        "rootfs/usr/local/bin/dlenv-idle-watch", "rootfs/usr/local/bin/dlenv-jupyter-lab",
    ]  # fmt: skip
    document = json.loads((folder / "devcontainer.json").read_text())
    assert document["build"] == {"dockerfile": "Containerfile", "context": "."}
    # The image gets the modes the context has (one COPY): scripts 0755, the rest 0644.
    bin_dir = folder / "rootfs/usr/local/bin"
    assert {p.stat().st_mode & 0o777 for p in bin_dir.iterdir()} == {0o755}
    assert (folder / "rootfs/etc/profile.d/dlenv.sh").stat().st_mode & 0o777 == 0o644
    assert (folder / "rootfs/etc/localtime").readlink() == Path("/usr/share/zoneinfo/Etc/UTC")
    # The secrets the file mounts exist, and their values are in no written file.
    token = (state / "jupyter_token").read_text().strip()
    assert (state / "authorized_keys").read_text() == PUBLIC
    for path in folder.rglob("*"):
        assert path.is_dir() or path.is_symlink() or token not in path.read_text()


def test_compose_writes_the_file_and_its_context_folder(tmp_path: Path) -> None:
    code, state = export(tmp_path, "compose", "--out", "deploy")
    assert code == 0
    document = yaml.safe_load((tmp_path / "deploy/compose.yaml").read_text())
    service = document["services"]["demo"]
    assert service["build"] == {"context": "./dlenv-build", "dockerfile": "Containerfile"}
    assert (tmp_path / "deploy/dlenv-build/Containerfile").is_file()
    token = (state / "jupyter_token").read_text().strip()
    assert token not in (tmp_path / "deploy/compose.yaml").read_text()


def test_image_needs_a_built_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = export(tmp_path, "compose", "--image")
    assert code == 1
    assert "dlenv build" in capsys.readouterr().err
    assert not (tmp_path / "compose.yaml").exists()


def test_image_names_the_built_image_and_writes_no_context(tmp_path: Path) -> None:
    code, _ = export(tmp_path, "devcontainer", "--image", image=PRESENT_IMAGE)
    assert code == 0
    folder = tmp_path / ".devcontainer"
    assert [p.name for p in folder.iterdir()] == ["devcontainer.json"]
    image = json.loads((folder / "devcontainer.json").read_text())["image"]
    assert image.startswith("localhost/dlenv/demo:")


def test_a_ca_bundle_cannot_travel_with_a_build_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    code, _ = export(tmp_path, "devcontainer", "--ca-bundle", str(ca))
    assert code == 2
    assert "--image" in capsys.readouterr().err
    assert not (tmp_path / ".devcontainer").exists()


def test_a_changed_file_is_replaced_only_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export(tmp_path, "compose")[0] == 0
    target = tmp_path / "compose.yaml"
    target.write_text("# mine\n")
    assert export(tmp_path, "compose")[0] == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == "# mine\n"
    assert export(tmp_path, "compose", "--force")[0] == 0
    assert target.read_text().startswith("# Generated by dlenv")


def test_an_unchanged_export_is_rewritten_without_force(tmp_path: Path) -> None:
    assert export(tmp_path, "devcontainer")[0] == 0
    first = (tmp_path / ".devcontainer/devcontainer.json").read_text()
    assert export(tmp_path, "devcontainer")[0] == 0
    assert (tmp_path / ".devcontainer/devcontainer.json").read_text() == first


def test_a_spec_file_that_opens_the_host_needs_a_confirmation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The exported file publishes what the spec asks for, as `up` would: the same question first.
    opened = SPEC + '\n[run]\nbind = "0.0.0.0"\n'
    assert export(tmp_path, "compose", spec=opened)[0] == 2
    assert "confirmation" in capsys.readouterr().err
    assert not (tmp_path / "compose.yaml").exists()
    assert export(tmp_path, "compose", "--yes", spec=opened)[0] == 0
    assert "0.0.0.0:2222:22" in (tmp_path / "compose.yaml").read_text()
