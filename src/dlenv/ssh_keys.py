"""The public keys `dlenv up` authorizes by default, and a dedicated pair on a first run.

A new user often has no key yet. Rather than stop with "make one", `up` makes one that belongs
to dlenv (`~/.ssh/dlenv_ed25519`), so it never touches the user's own `id_*` files, and says
where it is. The real `ssh-keygen` makes it (through the Runner), so the key is what OpenSSH
itself would make, in its own format and with its own file modes.
"""

from __future__ import annotations

import stat
from pathlib import Path

from dlenv.console import info, success
from dlenv.errors import DlenvError
from dlenv.process import Command, CommandFailed, Runner

KEY_NAME = "dlenv_ed25519"

# Package names of the OpenSSH client, per family: what `dlenv setup` knows the distros as.
INSTALL_SSH_KEYGEN = (
    "Install the OpenSSH client: `sudo apt install openssh-client` (Debian, Ubuntu), "
    "`sudo dnf install openssh-clients` (Fedora, RHEL family, Amazon Linux) or "
    "`sudo zypper install openssh-clients` (openSUSE, SLES); or pass --authorized-keys FILE."
)


def public_keys_or_new(home: Path, runner: Runner) -> list[Path]:
    """`~/.ssh/*.pub`, or, when there is none, the dedicated pair (made if missing)."""
    ssh_dir = home / ".ssh"
    keys = sorted(ssh_dir.glob("*.pub")) if ssh_dir.is_dir() else []
    return keys or [dedicated_key(home, runner)]


def dedicated_key(home: Path, runner: Runner) -> Path:
    """The public half of `~/.ssh/dlenv_ed25519`, made with ssh-keygen if the pair is absent.
    Never overwrites: an existing private key without its .pub is an error with the fix."""
    ssh_dir = home / ".ssh"
    private = ssh_dir / KEY_NAME
    public = private.with_name(f"{KEY_NAME}.pub")
    if public.is_file():
        return public
    if private.exists() or private.is_symlink():
        raise DlenvError(
            f"{private} exists but its public half {public} does not",
            hint=f"Write it with `ssh-keygen -y -f {private} > {public}`, or pass "
            "--authorized-keys FILE.",
        )
    if runner.which("ssh-keygen") is None:
        raise DlenvError(
            f"no SSH public key in {ssh_dir}, and ssh-keygen is not installed to make one",
            hint=INSTALL_SSH_KEYGEN,
        )
    _ensure_ssh_dir(ssh_dir)
    info(f"no SSH public key in {ssh_dir}: making a key pair for dlenv")
    try:
        # -N "": no passphrase, so the first `up` needs no prompt (the file is 0600, as ssh
        # makes it); -C names the key in authorized_keys listings.
        runner.run(
            Command.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dlenv", "-f",
                       str(private)),
            check=True,
            timeout=60,
        )  # fmt: skip
    except CommandFailed as failed:
        failed.hint = f"Make a key yourself (`ssh-keygen -t ed25519 -f {private}`) and run again."
        raise
    if not public.is_file():
        raise DlenvError(f"ssh-keygen finished but wrote no {public}")
    success(
        f"made {private} (and .pub) for logging in to your environments; ssh needs "
        f"`-i {private}` until `dlenv ssh-config` (next release) writes it for you"
    )
    return public


def _ensure_ssh_dir(ssh_dir: Path) -> None:
    """Create `~/.ssh` 0700 (sshd's StrictModes refuses a group- or world-writable one);
    an existing one is the user's and is left as it is."""
    if ssh_dir.is_symlink() or ssh_dir.exists():
        if not ssh_dir.is_dir():
            raise DlenvError(f"{ssh_dir} exists but is not a directory")
        return
    try:
        ssh_dir.mkdir(mode=0o700)
    except OSError as exc:
        raise DlenvError(f"cannot create {ssh_dir}: {exc.strerror}") from None
    ssh_dir.chmod(stat.S_IRWXU)  # mkdir's mode is masked by the umask; 0700 exactly
