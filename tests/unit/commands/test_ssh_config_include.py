"""Adding dlenv's Include to ~/.ssh/config: shown as a diff, asked, backed up, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.commands.ssh_config import _add_include
from dlenv.errors import UsageError

MINE = "Host work\n  HostName work.example.test\n  User ana\n"


def test_without_a_terminal_it_asks_for_yes_and_changes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(MINE)
    with pytest.raises(UsageError) as caught:
        _add_include(config, tmp_path / "dlenv" / "config", yes=False)
    assert "--yes" in (caught.value.hint or "")
    assert config.read_text() == MINE
    assert not (tmp_path / "config.dlenv-backup").exists()


def test_with_yes_the_line_goes_first_the_rest_stays_and_a_backup_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    config.write_text(MINE)
    config.chmod(0o640)
    _add_include(config, tmp_path / "dlenv" / "config", yes=True)
    shown = capsys.readouterr().out
    assert f'+Include "{tmp_path}/dlenv/config"' in shown  # the diff came first
    text = config.read_text()
    assert text.splitlines()[1] == f'Include "{tmp_path}/dlenv/config"'
    assert text.endswith("\n" + MINE)
    assert (tmp_path / "config.dlenv-backup").read_text() == MINE
    assert config.stat().st_mode & 0o777 == 0o640
    _add_include(config, tmp_path / "dlenv" / "config", yes=True)  # again: nothing to do
    assert config.read_text() == text


def test_a_symlinked_config_is_edited_where_it_lives(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "ssh_config").write_text(MINE)
    link = tmp_path / "config"
    link.symlink_to(dotfiles / "ssh_config")
    _add_include(link, tmp_path / "dlenv" / "config", yes=True)
    assert link.is_symlink()
    assert (dotfiles / "ssh_config").read_text().endswith(MINE)
    assert "Include" in (dotfiles / "ssh_config").read_text()


def test_a_missing_config_is_made_private(tmp_path: Path) -> None:
    config = tmp_path / "config"
    _add_include(config, tmp_path / "dlenv" / "config", yes=True)
    assert config.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "config.dlenv-backup").exists()
