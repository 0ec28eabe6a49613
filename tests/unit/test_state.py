"""Host-side state: the Jupyter token file and the authorized keys."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dlenv.errors import DlenvError, UsageError
from dlenv.state import EnvState, default_public_keys, read_public_key

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


def test_no_default_key_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(DlenvError) as caught:
        default_public_keys(tmp_path)
    assert "ssh-keygen -t ed25519" in (caught.value.hint or "")
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519.pub").write_text(PUBLIC)
    assert default_public_keys(tmp_path) == [tmp_path / ".ssh" / "id_ed25519.pub"]
