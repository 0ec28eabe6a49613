"""Where each install reads from: the user's uv or pip configuration, else uv's own default,
as uv itself reports it. uv's answers are replayed in the form uv 0.13.9 printed them here
(`--index-url URL`); the URLs are under the reserved `.test` domain (RFC 2606)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlenv.environment.index_config import (
    pip_index_url,
    python_download_url,
    read_index_config,
)
from dlenv.errors import UsageError
from dlenv.resolve.indexes import IndexConfig
from tests.support.fakes import FakeRunner
from tests.support.index_config import index_url

BUILTIN = index_url("builtin")


def uv(configured: str, builtin: str = BUILTIN) -> FakeRunner:
    """`env -u UV_DEFAULT_INDEX ... uv --no-config` answers `builtin`; plain `env uv` the other."""
    line = "--index-url {}\n\n"
    return FakeRunner(
        responses={
            ("env", "-u"): (0, line.format(builtin), "Resolved in 0.94ms\n"),
            ("env",): (0, line.format(configured), "Resolved in 0.94ms\n"),
        },
        programs={"uv": "/usr/bin/uv"},
    )


def home(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path / "xdg")}


def test_without_configuration_uvs_own_default_is_used(tmp_path: Path) -> None:
    config = read_index_config(uv(BUILTIN), home(tmp_path), root=tmp_path)
    assert (config.default, config.origin) == (BUILTIN, "uv's default")


def test_uv_configuration_wins(tmp_path: Path) -> None:
    environ = home(tmp_path) | {"UV_DEFAULT_INDEX": index_url("uv-mirror")}
    config = read_index_config(uv(index_url("uv-mirror")), environ)
    assert (config.default, config.origin) == (index_url("uv-mirror"), "UV_DEFAULT_INDEX")


def test_uv_toml_is_named_when_no_variable_is_set(tmp_path: Path) -> None:
    config = read_index_config(uv(index_url("toml-mirror")), home(tmp_path))
    assert config.origin == "uv.toml"


def test_pip_configuration_is_read_when_uv_has_none(tmp_path: Path) -> None:
    conf = tmp_path / ".config" / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(f"[global]\nindex-url = {index_url('pip-mirror')}\ntimeout = 60\n")
    config = read_index_config(uv(BUILTIN), home(tmp_path), root=tmp_path)
    assert config.default == index_url("pip-mirror")
    assert config.origin == f"{conf} [global] index-url"


def test_pip_install_section_overrides_global_and_the_variable_overrides_files(
    tmp_path: Path,
) -> None:
    (tmp_path / "xdg" / "pip").mkdir(parents=True)
    (tmp_path / "xdg" / "pip" / "pip.conf").write_text(
        f"[global]\nindex-url = {index_url('a')}\n[install]\nindex-url = {index_url('b')}\n"
    )
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "pip.conf").write_text(f"[global]\nindex-url = {index_url('z')}\n")
    assert pip_index_url(home(tmp_path), tmp_path) == (
        index_url("b"),
        f"{tmp_path / 'xdg' / 'pip' / 'pip.conf'} [install] index-url",
    )
    environ = home(tmp_path) | {"PIP_INDEX_URL": index_url("c")}
    assert pip_index_url(environ, tmp_path) == (index_url("c"), "PIP_INDEX_URL")


def test_an_index_url_with_credentials_is_refused(tmp_path: Path) -> None:
    environ = home(tmp_path) | {"PIP_INDEX_URL": index_url("private", userinfo="user:s3cret@")}
    with pytest.raises(UsageError) as refused:
        read_index_config(uv(BUILTIN), environ, root=tmp_path)
    assert "credentials" in refused.value.message and "s3cret" not in refused.value.message


def test_a_mirror_replaces_its_upstream_prefix_only() -> None:
    config = IndexConfig(
        default=BUILTIN,
        origin="test",
        mirrors={index_url("upstream", "/whl"): index_url("mirror", "/torch/")},
    )
    assert config.locate(index_url("upstream", "/whl/cu128")) == index_url("mirror", "/torch/cu128")
    assert config.locate(index_url("upstream", "/whlx")) == index_url("upstream", "/whlx")
    assert config.locate(None) == BUILTIN


def test_named_mirrors_come_from_their_variables(tmp_path: Path) -> None:
    environ = home(tmp_path) | {"DLENV_INDEX_PYTORCH": index_url("torch", "/whl")}
    upstreams = {"pytorch": index_url("upstream", "/whl"), "nvidia": index_url("nv", "")}
    config = read_index_config(uv(BUILTIN), environ, upstreams, root=tmp_path)
    assert config.mirrors == {index_url("upstream", "/whl"): index_url("torch", "/whl")}


def test_uv_names_where_it_downloads_a_python(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shape of `uv python list --only-downloads --output-format json` (uv 0.13.9), one entry
    # per download, newest first; the host is replaced by a `.test` one.
    entry = {
        "key": "cpython-3.12.16-linux-x86_64-gnu",
        "version": "3.12.16",
        "implementation": "cpython",
        "url": index_url("downloads", "/releases/download/20261110/cpython-3.12.16.tar.gz"),
    }
    other = entry | {"version": "3.13.9", "url": index_url("downloads", "/x/3.13.tar.gz")}
    runner = FakeRunner(
        responses={("uv", "python"): (0, json.dumps([other, entry]), "")},
        programs={"uv": "uv"},
    )
    monkeypatch.setattr("dlenv.environment.index_config.find_uv", lambda runner: "uv")
    assert python_download_url(runner, "3.12") == entry["url"]
    assert python_download_url(runner, "3.9") is None
