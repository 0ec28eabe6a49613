"""Host-side state: the Jupyter token file and the authorized keys."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dlenv.errors import DlenvError, UsageError
from dlenv.files import UnsafeFile, read_private
from dlenv.state import EnvState, read_public_key

PUBLIC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGtestkeymaterialonlyforunittests user@host"


def test_token_is_private_stable_and_secret_sized(tmp_path: Path) -> None:
    state = EnvState(tmp_path / "envs" / "x")
    token = state.jupyter_token()
    assert len(token) >= 40
    assert stat.S_IMODE(state.token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.directory.stat().st_mode) == 0o700
    assert state.jupyter_token() == token  # reused: bookmarked URLs keep working
    assert EnvState(tmp_path / "envs" / "y").jupyter_token() != token


def test_authorized_keys_collects_public_keys(tmp_path: Path) -> None:
    (tmp_path / "a.pub").write_text(PUBLIC + "\n")
    (tmp_path / "b.pub").write_text("# comment\n" + PUBLIC.replace("user", "other") + "\n")
    state = EnvState(tmp_path / "state")
    written = state.write_authorized_keys([tmp_path / "a.pub", tmp_path / "b.pub"])
    assert written.read_text().splitlines() == [PUBLIC, PUBLIC.replace("user", "other")]


def test_private_key_is_refused_with_the_public_path(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nxxx\n-----END OPENSSH PRIVATE KEY-----\n")
    with pytest.raises(UsageError) as caught:
        read_public_key(key)
    assert caught.value.hint == f"Pass the public half instead: {key}.pub"


def test_garbage_and_missing_keys_are_bad_input(tmp_path: Path) -> None:
    (tmp_path / "x.pub").write_text("hello\n")
    with pytest.raises(UsageError, match="OpenSSH public key"):
        read_public_key(tmp_path / "x.pub")
    with pytest.raises(UsageError, match="not found"):
        read_public_key(tmp_path / "missing.pub")


# The state directory is checked, not trusted ---------------------------------------------------
def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_every_level_of_the_state_directory_is_made_private(tmp_path: Path) -> None:
    root = tmp_path / "state" / "dlenv"
    state = EnvState.for_env(root, "demo")
    state.jupyter_token()
    # Not 0755 parents: `envs` lists every environment's name, and each holds a secret.
    assert [_mode(p) for p in (root, root / "envs", state.directory)] == [0o700] * 3


def test_a_loose_directory_of_ours_is_tightened(tmp_path: Path) -> None:
    state = EnvState.for_env(tmp_path / "root", "demo")
    state.directory.mkdir(parents=True, mode=0o755)
    state.directory.chmod(0o755)
    (tmp_path / "root" / "envs").chmod(0o777)
    state.ensure_directory()
    assert _mode(state.directory) == _mode(tmp_path / "root" / "envs") == 0o700


@pytest.mark.parametrize("link", ["envs", "envs/demo"])
def test_a_symlink_inside_the_state_directory_is_refused(tmp_path: Path, link: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "demo").mkdir(parents=True)
    root = tmp_path / "root"
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    (root / link).symlink_to(elsewhere if link == "envs" else elsewhere / "demo")
    with pytest.raises(DlenvError, match="symbolic link"):
        EnvState.for_env(root, "demo").jupyter_token()
    assert list((elsewhere / "demo").iterdir()) == []  # nothing written through the link


def test_a_state_root_the_user_symlinked_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    EnvState.for_env(tmp_path / "link", "demo").jupyter_token()
    assert (tmp_path / "real" / "envs" / "demo" / "jupyter_token").is_file()


def test_a_directory_owned_by_someone_else_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = EnvState.for_env(tmp_path / "root", "demo")
    state.ensure_directory()
    monkeypatch.setattr("dlenv.files.os.geteuid", lambda: os.getuid() + 4242)
    with pytest.raises(DlenvError, match="owned by UID") as caught:
        state.ensure_directory()
    assert "DLENV_STATE_DIR" in (caught.value.hint or "")


def test_a_token_others_could_read_is_replaced(tmp_path: Path) -> None:
    state = EnvState.for_env(tmp_path / "root", "demo")
    old = state.jupyter_token()
    state.token_file.chmod(0o644)
    assert state.read_token() is None  # never shown or used again
    new = state.jupyter_token()
    assert new != old and len(new) >= 40
    assert _mode(state.token_file) == 0o600
    assert state.read_token() == new


def test_a_token_symlink_is_not_followed_but_replaced(tmp_path: Path) -> None:
    state = EnvState.for_env(tmp_path / "root", "demo")
    state.ensure_directory()
    planted = tmp_path / "planted"
    planted.write_text("attacker-chosen-token\n")
    planted.chmod(0o600)
    state.token_file.symlink_to(planted)
    assert state.read_token() is None
    token = state.jupyter_token()
    assert token != "attacker-chosen-token"
    assert not state.token_file.is_symlink() and _mode(state.token_file) == 0o600
    assert planted.read_text() == "attacker-chosen-token\n"  # the link's target is untouched


def test_a_fifo_in_place_of_the_token_neither_hangs_nor_is_used(tmp_path: Path) -> None:
    state = EnvState.for_env(tmp_path / "root", "demo")
    state.ensure_directory()
    os.mkfifo(state.token_file, 0o600)
    assert state.read_token() is None
    assert len(state.jupyter_token()) >= 40 and state.token_file.is_file()


def test_a_token_someone_else_owns_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "jupyter_token"
    token.write_text("t\n")
    token.chmod(0o600)
    assert read_private(token) == "t\n"
    monkeypatch.setattr("dlenv.files.os.geteuid", lambda: os.getuid() + 4242)
    with pytest.raises(UnsafeFile, match="owned by UID"):
        read_private(token)
    assert read_private(tmp_path / "missing") is None
