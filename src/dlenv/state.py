"""Per-user, per-environment state on the host: the Jupyter token, authorized keys, build logs.

Lives in the user's state directory (`dlenv.context.state_root_from`), never in an
image. Secrets are created 0600 in a 0700 directory and written atomically.

The directory is checked, not trusted: the state root, `envs` and each environment's directory
are made 0700 level by level (parents too, not 0755), and must be real directories the user
owns; secrets are read with O_NOFOLLOW and checked on the open file. A token that is a symlink,
belongs to someone else or was readable by others is treated as leaked and replaced.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dlenv.console import info, warn
from dlenv.errors import DlenvError, UsageError
from dlenv.files import UnsafeFile, ensure_private_directory, read_private, write_atomic
from dlenv.spec.model import is_image_reference

# Key type prefixes of sshd(8)'s AUTHORIZED_KEYS FILE FORMAT (ssh-ed25519, ssh-rsa,
# ecdsa-sha2-nistp256, sk-ssh-ed25519@openssh.com, ...): https://man.openbsd.org/sshd.8
_PUBLIC_KEY_TYPES = ("ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-")

# What `secrets.token_urlsafe(32)` writes: 43 characters of the URL-safe Base64 alphabet
# (https://docs.python.org/3/library/secrets.html#secrets.token_urlsafe). Anything else in the
# token file (a truncated write, an editor's leftovers, binary garbage) is corruption: the file is
# the only copy, so a damaged token is replaced, never passed to Jupyter or printed in a URL.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_LOCK_OWNER = re.compile(r"[0-9]{1,10}")


class CorruptState(Exception):
    """A state file whose content is not what dlenv writes there."""


@dataclass(frozen=True)
class EnvState:
    directory: Path
    root: Path | None = None  # the state root above `envs`; its levels are guarded too

    @classmethod
    def for_env(cls, state_root: Path, name: str) -> EnvState:
        """`state_root` comes from the AppContext (`DLENV_STATE_DIR` or the platform's)."""
        return cls(state_root / "envs" / name, state_root)

    @property
    def token_file(self) -> Path:
        return self.directory / "jupyter_token"

    @property
    def authorized_keys_file(self) -> Path:
        return self.directory / "authorized_keys"

    @property
    def build_log(self) -> Path:
        return self.directory / "build.log"

    @property
    def secrets_dir(self) -> Path:
        return self.directory / "secrets"

    @property
    def context_dir(self) -> Path:
        return self.directory / "context"

    @property
    def published_file(self) -> Path:
        return self.directory / "published.json"

    def record_published(self, context_digest: str, reference: str) -> None:
        """Remember where the image of `context_digest` was last pushed or pulled, by digest
        (`REPOSITORY@sha256:...`): `dlenv export kube` names the image that way."""
        self.ensure_directory()
        data = {"context-digest": context_digest, "reference": reference}
        write_atomic(self.published_file, json.dumps(data, indent=2) + "\n", mode=0o600)

    def published(self, context_digest: str) -> str | None:
        """The digest reference recorded for this content, or None (none, another content, or
        a file that is not what dlenv writes)."""
        try:
            data = json.loads(read_private(self.published_file) or "null")
        except (UnsafeFile, OSError, ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or data.get("context-digest") != context_digest:
            return None
        reference = data.get("reference")
        if isinstance(reference, str) and "@sha256:" in reference and is_image_reference(
            reference
        ):
            return reference
        return None

    def ensure_directory(self) -> None:
        # Above the top level is the user's own (~/.local/state): made if missing, left as is.
        top = self.root if self.root is not None else self.directory
        top.parent.mkdir(parents=True, exist_ok=True)
        parts = self.directory.relative_to(top).parts
        levels = [top.joinpath(*parts[:n]) for n in range(len(parts) + 1)]
        try:
            for level in levels:
                # The root may be a symlink the user set up (DLENV_STATE_DIR); below it, none.
                ensure_private_directory(level, follow=level == self.root)
        except UnsafeFile as exc:
            raise DlenvError(
                f"the state directory is not safe to keep secrets in: {exc}",
                hint="It must be a directory you own, not a symbolic link; move it away "
                "(or set DLENV_STATE_DIR) and run again.",
            ) from None

    def jupyter_token(self) -> str:
        """The environment's token: made once, then reused so bookmarked URLs keep working,
        unless the old one may have leaked (then a new one, and a warning)."""
        self.ensure_directory()
        try:
            token = self._stored_token()
        except UnsafeFile as exc:
            warn(f"made a new Jupyter token: the old one may have leaked ({exc})")
            token = ""
        except CorruptState as exc:
            warn(f"made a new Jupyter token: {exc}; open Jupyter with the new URL")
            token = ""
        if not token:
            token = secrets.token_urlsafe(32)
            write_atomic(self.token_file, token + "\n", mode=0o600)  # replaces a symlink itself
        return token

    def read_token(self) -> str | None:
        """The token, or None when there is none or it is not private (`jupyter_token` renews
        it at the next start)."""
        try:
            return self._stored_token() or None
        except CorruptState as exc:
            warn(f"{exc}: the URL is shown without it. `dlenv restart` makes a new token.")
            return None
        except UnsafeFile:
            return None

    def _stored_token(self) -> str:
        """The token file's token, "" when there is none. Raises UnsafeFile (not private) or
        CorruptState (unreadable, or not a token dlenv wrote)."""
        try:
            text = read_private(self.token_file)
        except UnicodeDecodeError:
            raise CorruptState(f"{self.token_file} holds bytes that are not text") from None
        except OSError as exc:
            raise CorruptState(f"{self.token_file} cannot be read ({exc.strerror})") from None
        token = (text or "").strip()
        if token and not _TOKEN.fullmatch(token):
            raise CorruptState(f"{self.token_file} does not hold a token dlenv wrote (damaged)")
        return token

    @property
    def lock_file(self) -> Path:
        return self.directory / "lock"

    @contextmanager
    def exclusive(self, what: str) -> Iterator[None]:
        """Hold the environment's lock while `what` runs: a second dlenv on the same
        environment waits here (and says so) until the first is done.

        An advisory flock(2) on an open file: the kernel drops it when the holder exits, however
        it exits (Ctrl-C, SIGKILL, a crash), so no lock is ever left stale. The holder's PID in
        the file is only for the waiting message, read back with a full match.
        """
        self.ensure_directory()
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        unusable = DlenvError(
            f"the lock file {self.lock_file} is not a regular file of yours",
            hint="Remove it and run again (no dlenv may be running on this environment).",
        )
        try:
            fd = os.open(self.lock_file, flags, 0o600)
        except OSError:
            raise unusable from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise unusable
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise
                owner = _lock_owner(fd)
                by = f" (process {owner})" if owner else ""
                info(f"another dlenv is running `{what}` on this environment{by}; waiting for it")
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)  # releases the lock

    def write_authorized_keys(self, key_files: list[Path]) -> Path:
        keys = [read_public_key(path) for path in key_files]
        self.ensure_directory()
        write_atomic(self.authorized_keys_file, "".join(k + "\n" for k in keys), mode=0o644)
        return self.authorized_keys_file

    def write_secrets(self, values: Mapping[str, str]) -> Path:
        """The runtime secrets, one 0600 file per name in a 0700 directory, written atomically;
        files of secrets no longer named are removed. Names are environment-variable names
        (spec.model), so none can leave the directory."""
        self.ensure_directory()
        directory = self.secrets_dir
        try:
            ensure_private_directory(directory)
        except UnsafeFile as exc:
            raise DlenvError(f"the secrets directory is not safe: {exc}") from None
        for stale in directory.iterdir():
            if stale.name not in values:
                stale.unlink()
        for name, value in sorted(values.items()):
            write_atomic(directory / name, value, mode=0o600)
        return directory


def _lock_owner(fd: int) -> str | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if _LOCK_OWNER.fullmatch(text) else None


def read_public_key(path: Path) -> str:
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"public key file not found: {path}",
            hint="Make a key with `ssh-keygen -t ed25519` and pass its .pub file.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read public key {path}: {exc}") from None
    if "PRIVATE KEY" in text:
        raise UsageError(
            f"{path} is a private key",
            hint=f"Pass the public half instead: {path}.pub",
        )
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    if not lines or not all(line.startswith(_PUBLIC_KEY_TYPES) for line in lines):
        raise UsageError(
            f"{path} does not look like an OpenSSH public key",
            hint="Expected a line like `ssh-ed25519 AAAA... you@host` (a .pub file).",
        )
    return "\n".join(lines)
