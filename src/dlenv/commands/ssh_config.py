"""`dlenv ssh-config`: make `ssh dlenv-NAME` (and scp, rsync, VS Code, Cursor, PyCharm) work.

Writes the environment's Host block to a file dlenv owns (~/.ssh/dlenv/config), pins its host
key in dlenv's own known_hosts, and adds one `Include` line to ~/.ssh/config, only after
showing the diff and asking (a backup is kept; no other line changes).
"""

from __future__ import annotations

import shutil
import stat
import sys
from pathlib import Path

import typer

from dlenv.commands.options import env_options
from dlenv.console import info, out, success, warn
from dlenv.context import AppContext
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import HOSTKEYS_DIR
from dlenv.environment.target import Target, find_target, require_running
from dlenv.errors import DlenvError, UsageError
from dlenv.files import UnsafeFile, ensure_private_directory, write_atomic
from dlenv.ssh_config import (
    HostEntry,
    host_key_line,
    include_line,
    merge_block,
    merge_known_host,
    render_block,
    unified_diff,
    with_include,
)
from dlenv.ssh_keys import KEY_NAME

BACKUP_SUFFIX = ".dlenv-backup"  # as `dlenv setup` names the backups of files it edits


def register(app: typer.Typer) -> None:
    app.command("ssh-config")(ssh_config_command)


@env_options("target")
def ssh_config_command(
    options: EnvOptions,
    ctx: AppContext,
    print_only: bool = typer.Option(
        False, "--print", help="Print the Host block; write nothing."
    ),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Add the Include line to ~/.ssh/config without asking."
    ),
) -> None:
    """Write an SSH host for the environment: `ssh dlenv-NAME` then works, as do IDEs.

    The block goes to ~/.ssh/dlenv/config with the environment's host key pinned; one Include
    line is added to ~/.ssh/config after showing the diff and asking.
    """
    if ctx.home is None:
        raise UsageError("HOME is not set", hint="Set HOME to your home directory.")
    ssh_dir = ctx.home / ".ssh"
    own = ssh_dir / "dlenv"
    target = find_target(options, ctx)
    entry = host_entry(target, own / "known_hosts", ssh_dir)
    block = render_block(entry)
    if print_only:
        out.print(block.rstrip("\n"), markup=False, highlight=False)
        return
    key = host_key_line(entry.host_key_alias, _host_public_key(target))
    try:
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        ensure_private_directory(own)
    except UnsafeFile as exc:
        raise DlenvError(f"cannot keep dlenv's SSH files there: {exc}") from None
    config = own / "config"
    write_atomic(config, merge_block(_read(config), target.name, block), mode=0o600)
    known = own / "known_hosts"
    write_atomic(known, merge_known_host(_read(known), entry.host_key_alias, key), mode=0o600)
    success(f"wrote {entry.alias} to {config} (host key pinned in {known})")
    _add_include(ssh_dir / "config", config, yes=yes)
    info(f"connect with `ssh {entry.alias}`; VS Code, Cursor and PyCharm list it as a host")


def host_entry(target: Target, known_hosts: Path, ssh_dir: Path) -> HostEntry:
    container = require_running(target)
    labels = target.labels
    if labels.ssh_port is None:
        raise DlenvError(
            f"{target.name}'s container does not record its SSH port",
            hint="Recreate it with `dlenv down && dlenv up`.",
        )
    del container
    return HostEntry(
        name=target.name,
        user=labels.user,
        ssh_port=labels.ssh_port,
        jupyter_port=labels.jupyter_port,
        jump=target.box.address if target.box is not None else None,
        known_hosts=known_hosts,
        identity=_dlenv_identity(target, ssh_dir),
    )


def _dlenv_identity(target: Target, ssh_dir: Path) -> Path | None:
    """dlenv's own key, when the environment authorizes it: ssh does not try it by default."""
    private = ssh_dir / KEY_NAME
    try:
        public = (ssh_dir / f"{KEY_NAME}.pub").read_text(encoding="utf-8").split()
        authorized = target.state.authorized_keys_file.read_text(encoding="utf-8")
    except OSError:
        return None
    blob = public[1] if len(public) >= 2 else None
    return private if blob and private.is_file() and blob in authorized.split() else None


def _host_public_key(target: Target) -> str:
    result = target.engine.exec(
        target.name, ("cat", f"{HOSTKEYS_DIR}/ssh_host_ed25519_key.pub"), user="root"
    )
    if not result.ok:
        raise DlenvError(
            f"could not read {target.name}'s SSH host key",
            details=(result.stderr or result.stdout).strip() or None,
            hint="Is the environment up? `dlenv status` says.",
        )
    return result.stdout


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _add_include(user_config: Path, dlenv_config: Path, *, yes: bool) -> None:
    """Put the Include line at the top of ~/.ssh/config: diff first, ask, back up, write."""
    real = user_config.resolve()  # a symlinked config (dotfile managers) is edited where it is
    before = _read(real)
    after = with_include(before, include_line(dlenv_config))
    if after is None:
        return
    out.print(unified_diff(user_config, before, after).rstrip("\n"), markup=False)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                f"adding the Include line to {user_config} needs a confirmation",
                hint=f"Pass --yes to add it, or use `ssh -F {dlenv_config}` instead.",
            )
        if not typer.confirm(f"Add this line to {user_config}?", default=False):
            warn(f"{user_config} left as it was; `ssh -F {dlenv_config} HOST` works meanwhile")
            return
    mode = stat.S_IMODE(real.stat().st_mode) if real.exists() else 0o600
    if real.exists():
        backup = real.with_name(real.name + BACKUP_SUFFIX)
        shutil.copy2(real, backup)
        info(f"backup: {backup}")
    write_atomic(real, after, mode=mode)
    success(f"added `Include {dlenv_config}` to {user_config}")
