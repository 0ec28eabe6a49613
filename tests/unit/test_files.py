"""dlenv.files: the atomic writes every state and context file goes through."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.files import link_atomic, write_atomic


def test_a_link_replaces_a_file_or_an_older_link_and_its_target_is_never_touched(
    tmp_path: Path,
) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    path = tmp_path / "localtime"
    path.write_text("a file where the link goes")
    link_atomic(path, str(target))
    assert path.is_symlink() and path.readlink() == target
    link_atomic(path, "/usr/share/zoneinfo/Europe/Berlin")  # dangling here: never followed
    assert path.readlink() == Path("/usr/share/zoneinfo/Europe/Berlin")
    assert target.read_text() == "untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "localtime"]


def test_a_failed_link_leaves_the_old_one_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "localtime"
    link_atomic(path, "/old")

    def refuse(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        link_atomic(path, "/new")
    assert path.readlink() == Path("/old")
    assert [p.name for p in tmp_path.iterdir()] == ["localtime"]


def test_a_write_sets_the_mode_before_any_byte(tmp_path: Path) -> None:
    path = tmp_path / "token"
    write_atomic(path, "secret", mode=0o600)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == "secret"
