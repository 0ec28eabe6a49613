"""Reading the user's package-index configuration (the edge of dlenv.resolve.indexes): the
default index from the user's uv or pip configuration, else the installer's own default.

No index or mirror host is written in dlenv's code. The default index is the one the user's
installer configuration names, else the installer's own default:
- uv's configuration (`UV_DEFAULT_INDEX`, `UV_INDEX_URL`, uv.toml), read by asking uv itself
  (`uv pip compile --emit-index-url` prints the index it would use);
- else pip's (`PIP_INDEX_URL`, then `index-url` in pip.conf's `[install]` or `[global]`);
- else uv's built-in default, again as uv reports it (run with `--no-config` and without the
  index variables).
The indexes of PyTorch's and NVIDIA's wheels come from the knowledge data (with their sources);
`DLENV_INDEX_PYTORCH` and `DLENV_INDEX_NVIDIA` name the user's mirrors of them.
"""

from __future__ import annotations

import configparser
import json
import os
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dlenv.errors import DlenvError, UsageError
from dlenv.process import Command, Runner
from dlenv.resolve.indexes import IndexConfig, check_index_url
from dlenv.uv_binary import find_uv

# The variables through which uv is told its default index (uv's "Environment variables" docs,
# https://docs.astral.sh/uv/reference/environment/, generated from github.com/astral-sh/uv,
# crates/uv-static/src/env_vars.rs).
UV_INDEX_VARIABLES = ("UV_DEFAULT_INDEX", "UV_INDEX_URL")
# pip's configuration files, lowest precedence first, and its variables. Source: pip's
# "Configuration" docs, https://pip.pypa.io/en/stable/topics/configuration/ ("Location" and
# "Precedence / Override order"): global, user, site (the active virtualenv), then
# PIP_CONFIG_FILE, then PIP_*. The order inside each level, and the two exceptions, are in pip's
# code (github.com/pypa/pip, src/pip/_internal/utils/appdirs.py `site_config_dirs` and
# src/pip/_internal/configuration.py `get_configuration_files`, `iter_config_files`,
# `_load_config_files`): global is each XDG_CONFIG_DIRS entry in the order listed, then /etc (a
# later file overrides an earlier one); user is the legacy ~/.pip, then XDG_CONFIG_HOME; the user
# files are skipped when PIP_CONFIG_FILE names an existing file; and PIP_CONFIG_FILE=/dev/null
# (os.devnull) loads no file at all.
PIP_INDEX_VARIABLE = "PIP_INDEX_URL"
# The mirrors of the knowledge data's named indexes; value: the mirror's base URL.
MIRROR_VARIABLES = {"pytorch": "DLENV_INDEX_PYTORCH", "nvidia": "DLENV_INDEX_NVIDIA"}


def read_index_config(
    runner: Runner,
    environ: Mapping[str, str],
    upstreams: Mapping[str, str] | None = None,
    root: Path = Path("/"),
) -> IndexConfig:
    """The user's index configuration. `upstreams`: name -> URL prefix of the named indexes;
    `root`: where the system-wide pip configuration is read (`/`, or a test's tree)."""
    uv = find_uv(runner)
    # Both asks at once: each is a uv process that first looks for an interpreter (tens of ms,
    # more with shims on PATH), and `up` on a built image waits for them (bench/RESULTS.md).
    with ThreadPoolExecutor(max_workers=2) as pool:
        asked = pool.submit(_uv_default, runner, uv, builtin=False)
        builtin = _uv_default(runner, uv, builtin=True)
        configured = asked.result()
    if configured != builtin:
        origin = next((v for v in UV_INDEX_VARIABLES if environ.get(v)), "uv.toml")
        default = configured
    elif pip := pip_index_url(environ, root):
        default, origin = pip
    else:
        default, origin = builtin, "uv's default"
    mirrors = {}
    for name, variable in MIRROR_VARIABLES.items():
        if (mirror := environ.get(variable)) and upstreams and name in upstreams:
            mirrors[upstreams[name]] = check_index_url(mirror, variable)
    return IndexConfig(check_index_url(default, origin), origin, mirrors)


def _uv_default(runner: Runner, uv: str, *, builtin: bool) -> str:
    unset = [arg for v in UV_INDEX_VARIABLES for arg in ("-u", v)] if builtin else []
    argv = ("env", *unset, uv, "pip", "compile", "--emit-index-url", "--no-header", "--quiet")
    # Nothing is resolved, so any interpreter does: naming dlenv's own spares uv its search of
    # PATH (0.5-1.5 s where pyenv's shims come first, as on the CI machine; 0.1 s with it).
    argv += ("--python", sys.executable)
    argv += ("--no-config", "-") if builtin else ("-",)
    result = runner.run(Command(argv, stdin=""))
    for line in result.stdout.splitlines():
        if line.startswith("--index-url "):
            return line.split(None, 1)[1].strip()
    raise DlenvError(
        "uv did not say which package index it uses",
        details=(result.stderr or result.stdout).strip()[-2000:] or None,
        hint="Check your uv configuration (uv.toml, UV_DEFAULT_INDEX) with "
        "`uv pip compile --emit-index-url -`.",
    )


def python_download_url(runner: Runner, version: str) -> str | None:
    """Where uv downloads CPython `version` ("3.12") from, as uv itself reports it
    (`uv python list --only-downloads --output-format json`: a list of objects with
    `implementation`, `version` and `url`, as uv 0.13.9 printed it here)."""
    argv = (find_uv(runner), "python", "list", "--only-downloads", "--output-format", "json")
    result = runner.run(Command(argv))
    try:
        entries = json.loads(result.stdout) if result.ok else []
    except json.JSONDecodeError:
        return None
    for entry in entries if isinstance(entries, list) else []:
        if (
            isinstance(entry, dict)
            and entry.get("implementation") == "cpython"
            and str(entry.get("version", "")).startswith(version + ".")
            and isinstance(entry.get("url"), str)
        ):
            return str(entry["url"])
    return None


def pip_config_files(environ: Mapping[str, str], root: Path = Path("/")) -> list[Path]:
    """pip's configuration files, lowest precedence first (see the source above)."""
    explicit = environ.get("PIP_CONFIG_FILE")
    if explicit == os.devnull:
        return []
    home = Path(environ.get("HOME", "/nonexistent"))
    config_dirs = environ.get("XDG_CONFIG_DIRS") or str(root / "etc" / "xdg")
    files = [Path(d) / "pip" / "pip.conf" for d in config_dirs.split(":") if d]
    files.append(root / "etc" / "pip.conf")
    if not (explicit and Path(explicit).exists()):
        files.append(home / ".pip" / "pip.conf")
        files.append(Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / "pip.conf")
    if venv := environ.get("VIRTUAL_ENV"):
        files.append(Path(venv) / "pip.conf")
    if explicit:
        files.append(Path(explicit))
    return files


def pip_index_url(environ: Mapping[str, str], root: Path = Path("/")) -> tuple[str, str] | None:
    """pip's `index-url` and where it was set, or None when pip's configuration names none."""
    if value := environ.get(PIP_INDEX_VARIABLE):
        return value.split()[0], PIP_INDEX_VARIABLE
    # Later files override earlier ones key by key; a command's own section ([install]) then
    # overrides [global], whichever file each came from.
    found: dict[str, tuple[str, str]] = {}
    for path in pip_config_files(environ, root):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError) as exc:
            raise UsageError(f"{path}: pip's configuration cannot be read: {exc}") from None
        for section in ("global", "install"):
            if parser.has_option(section, "index-url"):
                words = parser.get(section, "index-url").split()
                if words:
                    found[section] = (words[0], f"{path} [{section}] index-url")
    return found.get("install") or found.get("global")
