"""The first-run key pair: made by ssh-keygen only when no key exists, never over a file."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.process import CommandFailed, SubprocessRunner
from dlenv.ssh_keys import KEY_NAME, dedicated_key, public_keys_or_new
from dlenv.state import read_public_key
from tests.support.fakes import FakeRunner
from tests.support.keygen import PUBLIC, KeygenRunner


def keygen(code: int = 0) -> KeygenRunner:
    return KeygenRunner(
        responses={("ssh-keygen",): (code, "", "" if code == 0 else "Permission denied\n")},
        programs={"ssh-keygen": "/usr/bin/ssh-keygen"},
    )


def test_no_ssh_directory_makes_a_private_one_and_a_dedicated_pair(tmp_path: Path) -> None:
    runner = keygen()
    keys = public_keys_or_new(tmp_path, runner)
    ssh_dir = tmp_path / ".ssh"
    assert keys == [ssh_dir / f"{KEY_NAME}.pub"]
    assert stat.S_IMODE(ssh_dir.stat().st_mode) == 0o700
    assert runner.calls == [
        ("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dlenv", "-f",
         str(ssh_dir / KEY_NAME)),
    ]  # fmt: skip


def test_an_existing_ssh_directory_keeps_its_mode(tmp_path: Path) -> None:
    ssh_dir = tmp_path / ".ssh"
    ssh_dir.mkdir(mode=0o755)
    ssh_dir.chmod(0o755)
    (ssh_dir / "known_hosts").write_text("")
    public_keys_or_new(tmp_path, keygen())
    assert stat.S_IMODE(ssh_dir.stat().st_mode) == 0o755
    assert (ssh_dir / "known_hosts").read_text() == ""


def test_the_users_own_keys_come_first_and_nothing_runs(tmp_path: Path) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519.pub").write_text(PUBLIC)
    runner = keygen()
    assert public_keys_or_new(tmp_path, runner) == [tmp_path / ".ssh" / "id_ed25519.pub"]
    assert runner.calls == []


def test_an_existing_dedicated_pair_is_reused_not_remade(tmp_path: Path) -> None:
    runner = keygen()
    first = dedicated_key(tmp_path, runner)
    private = tmp_path / ".ssh" / KEY_NAME
    private.write_text("the user's key, whatever it is\n")
    assert dedicated_key(tmp_path, runner) == first
    assert len(runner.calls) == 1
    assert private.read_text() == "the user's key, whatever it is\n"


def test_a_private_key_without_its_public_half_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / ".ssh").mkdir()
    private = tmp_path / ".ssh" / KEY_NAME
    private.write_text("precious\n")
    runner = keygen()
    with pytest.raises(DlenvError) as raised:
        public_keys_or_new(tmp_path, runner)
    assert "ssh-keygen -y -f" in (raised.value.hint or "")
    assert runner.calls == []
    assert private.read_text() == "precious\n"


def test_a_missing_ssh_keygen_names_the_package_to_install(tmp_path: Path) -> None:
    runner = FakeRunner()  # `which` finds nothing
    with pytest.raises(DlenvError) as raised:
        public_keys_or_new(tmp_path, runner)
    assert "ssh-keygen is not installed" in raised.value.message
    assert "apt install openssh-client" in (raised.value.hint or "")
    assert runner.calls == []


def test_a_failing_ssh_keygen_is_reported_with_a_fix(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed) as raised:
        public_keys_or_new(tmp_path, keygen(code=1))
    assert "Permission denied" in (raised.value.details or "")
    assert "ssh-keygen -t ed25519" in (raised.value.hint or "")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="OpenSSH client not installed")
def test_the_real_ssh_keygen_makes_a_key_sshd_accepts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    [public] = public_keys_or_new(home, SubprocessRunner())
    assert read_public_key(public).startswith("ssh-ed25519 ")
    assert read_public_key(public).endswith(" dlenv")
    private = home / ".ssh" / KEY_NAME
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / ".ssh").stat().st_mode) == 0o700
    # A second run reuses it: same key, nothing rewritten.
    before = private.read_bytes()
    assert public_keys_or_new(home, SubprocessRunner()) == [public]
    assert private.read_bytes() == before
