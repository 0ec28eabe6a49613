"""Host paths a spec names: the workspace directory and the SSH keys, resolved the one way.

`~` is the HOME of the context (not of the process); relative paths are relative to its cwd;
symlinks are resolved before any check, so a link cannot smuggle in a directory refused by name.
"""

from __future__ import annotations

from pathlib import Path

from dlenv.errors import UsageError
from dlenv.spec import Spec

# Directories that belong to the system, refused as a workspace together with everything below
# them (a workspace is mounted read-write and its files are written with the user's UID).
# Top-level names from the Filesystem Hierarchy Standard 3.0
# (https://refspecs.linuxfoundation.org/FHS_3.0/fhs/ch03.html), plus /snap and /selinux.
SYSTEM_DIRECTORIES = frozenset(
    {"bin", "boot", "dev", "etc", "proc", "root", "run", "sbin", "selinux", "snap", "sys",
     "usr", "var"}
)  # fmt: skip


def expand_home(text: str, home: Path | None) -> Path:
    """`~` and `~/x` under `home`; any other path as it is."""
    if text == "~" or text.startswith("~/"):
        if home is None:
            raise UsageError(f"{text!r}: HOME is not set, so ~ cannot be expanded")
        return home / text[2:]
    return Path(text)


def resolve_host_path(text: str, cwd: Path, home: Path | None) -> Path:
    return (cwd / expand_home(text, home)).resolve()


def workspace_refusal(path: Path, home: Path | None) -> str | None:
    """Why the resolved directory `path` can never be a workspace, or None."""
    own_home = home.resolve() if home is not None else None
    if path == Path(path.anchor):
        return "the root directory would give the container the whole host"
    if own_home is not None and path == own_home:
        return "your home directory itself would give the container your keys and configuration"
    if own_home is not None and path in own_home.parents:
        return f"it holds your home directory {own_home}"
    homes = Path(path.anchor) / "home"
    if homes in (path, path.parent):
        return "it is, or holds, a user's home directory"
    inside_home = own_home is not None and own_home in path.parents
    top = path.parts[1] if len(path.parts) > 1 else ""
    if not inside_home and (top in SYSTEM_DIRECTORIES or top.startswith("lib")):
        return f"/{top} is a system directory"
    return None


def resolve_workspace(text: str, cwd: Path, home: Path | None) -> Path | None:
    """The host directory `run.workspace` mounts (None for the named volume); a UsageError when
    it is one a workspace must never be, whoever asked for it."""
    if text == "volume":
        return None
    path = resolve_host_path(text, cwd, home)
    why = workspace_refusal(path, home)
    if why is not None:
        raise UsageError(
            f"run.workspace {text!r} resolves to {path}: refused, {why}",
            hint='Use a project directory (e.g. ~/work/project) or "volume" (the default).',
        )
    return path


def spec_key_files(spec: Spec, cwd: Path, home: Path | None) -> list[Path]:
    """The key files `ssh.authorized_keys` names, resolved."""
    return [resolve_host_path(text, cwd, home) for text in spec.ssh.authorized_keys]
