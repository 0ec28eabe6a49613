"""pip_config_files follows pip's own order (github.com/pypa/pip, src/pip/_internal/configuration.py
and src/pip/_internal/utils/appdirs.py); lowest precedence first, so a later file wins."""

from __future__ import annotations

import os
from pathlib import Path

from dlenv.environment.index_config import pip_config_files, pip_index_url
from tests.support.index_config import index_url


def test_xdg_config_dirs_in_listed_order_then_etc() -> None:
    files = pip_config_files({"HOME": "/h", "XDG_CONFIG_DIRS": "/a:/b"})
    assert files[:3] == [Path("/a/pip/pip.conf"), Path("/b/pip/pip.conf"), Path("/etc/pip.conf")]


def test_full_order_without_pip_config_file() -> None:
    environ = {"HOME": "/h", "VIRTUAL_ENV": "/venv"}
    assert pip_config_files(environ) == [
        Path("/etc/xdg/pip/pip.conf"),
        Path("/etc/pip.conf"),
        Path("/h/.pip/pip.conf"),
        Path("/h/.config/pip/pip.conf"),
        Path("/venv/pip.conf"),
    ]


def test_existing_pip_config_file_skips_the_user_files(tmp_path: Path) -> None:
    explicit = tmp_path / "pip.conf"
    explicit.write_text("[global]\n", encoding="utf-8")
    files = pip_config_files({"HOME": "/h", "PIP_CONFIG_FILE": str(explicit)})
    assert Path("/h/.pip/pip.conf") not in files
    assert Path("/h/.config/pip/pip.conf") not in files
    assert files[-1] == explicit


def test_missing_pip_config_file_keeps_the_user_files(tmp_path: Path) -> None:
    explicit = tmp_path / "absent.conf"
    files = pip_config_files({"HOME": "/h", "PIP_CONFIG_FILE": str(explicit)})
    assert Path("/h/.config/pip/pip.conf") in files
    assert files[-1] == explicit


def test_devnull_pip_config_file_loads_nothing() -> None:
    assert pip_config_files({"HOME": "/h", "PIP_CONFIG_FILE": os.devnull}) == []


def test_user_index_url_ignored_when_pip_config_file_exists(tmp_path: Path) -> None:
    user = tmp_path / "home" / ".config" / "pip"
    user.mkdir(parents=True)
    (user / "pip.conf").write_text(f"[global]\nindex-url = {index_url('user')}\n")
    explicit = tmp_path / "explicit.conf"
    explicit.write_text("[global]\ntimeout = 5\n", encoding="utf-8")
    environ = {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_DIRS": str(tmp_path / "none"),
        "PIP_CONFIG_FILE": str(explicit),
    }
    found = pip_index_url(environ)
    assert found is None or found[0] != index_url("user")
