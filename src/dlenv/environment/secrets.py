"""Runtime secrets ([secrets]): their values, read on the client at `up` from the environment
variable or file each names, never from anywhere else and never shown.

The values go to the state directory (state.EnvState.write_secrets, 0600 files in a 0700
directory), which the container mounts read-only; its entrypoint copies each to
/run/secrets/NAME (a tmpfs, 0400, the user's). Sessions see NAME_PATH, the file's path: for
HF_TOKEN that is HF_TOKEN_PATH, which huggingface_hub itself reads the token from
(https://huggingface.co/docs/huggingface_hub/package_reference/environment_variables#hftokenpath).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dlenv.environment.host_paths import expand_home
from dlenv.errors import UsageError

CONTAINER_DIR = "/run/secrets"
MOUNTED_DIR = "/etc/dlenv/runtime-secrets"  # the state directory's copy, read-only
MAX_BYTES = 1 << 20  # a token or a key, not a data set


def secret_path(name: str) -> str:
    return f"{CONTAINER_DIR}/{name}"


def path_variables(names: Mapping[str, str]) -> dict[str, str]:
    """NAME_PATH -> /run/secrets/NAME for each secret: what sessions see instead of a value."""
    return {f"{name}_PATH": secret_path(name) for name in sorted(names)}


def read_secret_values(
    secrets: Mapping[str, str], environ: Mapping[str, str], home: Path | None
) -> dict[str, str]:
    """Each secret's value. The spec validated the syntax (spec.model); here a missing source
    is bad input that names the key and the fix."""
    values: dict[str, str] = {}
    for name, source in sorted(secrets.items()):
        kind, _, where = source.partition(":")
        if kind == "env":
            value = environ.get(where)
            if not value:
                raise UsageError(
                    f"secrets.{name}: the environment variable {where} is not set (or empty)",
                    hint=f"Export it before `dlenv up` (export {where}=...), or name a file: "
                    f'{name} = "file:~/.{name.lower()}".',
                )
        else:
            value = _read_file(name, expand_home(where, home))
        values[name] = value
    return values


def _read_file(name: str, path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(
            f"secrets.{name}: cannot read {path} ({exc.strerror})",
            hint="Create the file (readable by you only: chmod 600), or change the path.",
        ) from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"secrets.{name}: {path} is larger than 1 MiB; a secret is not that big")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"secrets.{name}: {path} is not UTF-8 text") from None
