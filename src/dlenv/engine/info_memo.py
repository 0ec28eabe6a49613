"""`podman info`, answered from memory while nothing it depends on has changed.

`podman info` takes 0.3-0.5 s on a quiet machine, most of it spent asking dpkg or rpm which
package each of its helpers came from (no option turns that off), and `dlenv doctor` and
`dlenv up` both need it. The facts dlenv reads from it (version, rootless, cgroup version, OCI
runtime, storage root, SELinux; `dlenv.host.parse.engines.parse_podman_info`) depend only on:

- the podman binary itself;
- the user podman runs as, and the boot (the cgroup mode and SELinux are fixed at boot);
- podman's configuration files, in the three trees containers-config(5) searches
  (https://man.archlinux.org/man/containers-config.5.en, "Search Locations"):
  /usr/share/containers, /etc/containers and $XDG_CONFIG_HOME/containers (else
  $HOME/.config/containers), and any file the CONTAINERS_* variables name;
- the programs on PATH (the OCI runtime podman picks is the first one it finds);
- the environment variables that move any of these.

The answer is kept under a fingerprint of all of them (sizes and modification times, never
contents), and asked again the moment one differs. Only a successful answer is kept, so a broken
podman is always asked afresh, and only `podman info` on this machine is answered: a remote
podman (CONTAINER_HOST, CONTAINER_CONNECTION, `--url`) is asked every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from dlenv.process import Command, Result, Runner

# What `dlenv.host.probe` and `dlenv.engine.cli_engine` run, argv for argv. Docker's answer is
# never remembered (its daemon answers in milliseconds); its argv lives here so that both
# engines' have one home. Formats, from each `info --help` on the CI machine: podman 4.3.1
# "-f, --format string   Change the output format to JSON or a Go template"; the Docker 28.2.2
# client "'json': Print in JSON format / 'TEMPLATE': Print output using the given Go template"
# (https://docs.docker.com/go/formatting/). `{{json .}}` is what 'json' stands for, and older
# clients printed the word "json" for `docker info --format=json` (docker/cli#4230, fixed in the
# 23.0 branch in April 2023), so dlenv passes the template.
PODMAN_INFO = ("podman", "info", "--format", "json")
DOCKER_INFO = ("docker", "info", "--format", "{{json .}}")
# Kernel's per-boot UUID ("random" in https://docs.kernel.org/admin-guide/sysctl/kernel.html:
# "boot_id: a UUID generated the first time this is retrieved, and unvarying after that").
BOOT_ID = "/proc/sys/kernel/random/boot_id"
SYSTEM_CONFIG_TREES = ("/usr/share/containers", "/etc/containers")
# Variables podman or containers/storage read (containers-config(5), "Environment Variables";
# podman(1) for CONTAINER_HOST and CONTAINER_CONNECTION), and those the paths above come from.
_NAMED_VARIABLES = ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR")
_VARIABLE_PREFIXES = ("CONTAINERS_", "CONTAINER_", "PODMAN_", "STORAGE_")
_REMOTE_VARIABLES = ("CONTAINER_HOST", "CONTAINER_CONNECTION")
# A configuration tree larger than this is not fingerprinted (the memo is then not used): the
# stat calls must stay far cheaper than `podman info` itself.
_MAX_ENTRIES = 512
_MAX_DEPTH = 4


class PodmanInfoMemo:
    """One user's remembered `podman info` answer, in `cache_dir`."""

    def __init__(self, cache_dir: Path, environ: Mapping[str, str], euid: int) -> None:
        self._file = cache_dir / f"podman-info-{euid}.json"
        self._environ = environ
        self._euid = euid
        self._key: str | None = None

    def applies_to(self, command: Command) -> bool:
        return (
            command.argv == PODMAN_INFO
            and not command.env
            and not any(self._environ.get(name) for name in _REMOTE_VARIABLES)
        )

    def recall(self) -> str | None:
        key = self.key()
        if key is None:
            return None
        try:
            stored = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        stdout = stored.get("stdout")
        return stdout if isinstance(stdout, str) and stdout.strip() else None

    def keep(self, stdout: str) -> None:
        key = self.key()
        if key is None:
            return
        text = json.dumps({"key": key, "stdout": stdout})
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Whole or not at all: a reader never sees half a file (write, then rename).
            with tempfile.NamedTemporaryFile(
                "w", dir=self._file.parent, prefix=".podman-info-", delete=False
            ) as handle:
                handle.write(text)
            Path(handle.name).replace(self._file)
        except OSError:
            pass  # a cache that cannot be written is only slower

    def key(self) -> str | None:
        """The fingerprint; None where it cannot be taken (then nothing is remembered)."""
        if self._key is None:
            facts = fingerprint(self._environ, self._euid)
            if facts is not None:
                encoded = json.dumps(facts, sort_keys=True).encode()
                self._key = hashlib.sha256(encoded).hexdigest()
        return self._key


def fingerprint(environ: Mapping[str, str], euid: int) -> dict[str, object] | None:
    path = environ.get("PATH", "")
    podman = shutil.which("podman", path=path)
    boot = _read(BOOT_ID)
    if podman is None or boot is None:
        return None
    variables = {
        name: value
        for name, value in environ.items()
        if name in _NAMED_VARIABLES or name.startswith(_VARIABLE_PREFIXES)
    }
    config_home = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "/")) / ".config")
    trees = (*SYSTEM_CONFIG_TREES, str(Path(config_home) / "containers"))
    named_files = [v for k, v in variables.items() if k.startswith("CONTAINERS_") and v]
    files: dict[str, list[int] | None] = {}
    for tree in trees:
        for entry, stat in _walk(tree):
            files[entry] = stat
            if len(files) > _MAX_ENTRIES:
                return None
    for name in (*named_files, podman):
        files[name] = _stat(name)
    return {
        "euid": euid,
        "boot": boot.strip(),
        "variables": variables,
        "files": files,
        # A directory's mtime changes when a file is added to or removed from it.
        "path_dirs": {d: _stat(d) for d in path.split(os.pathsep) if d},
    }


def _walk(top: str, depth: int = 0) -> Iterator[tuple[str, list[int] | None]]:
    yield top, _stat(top)
    if depth >= _MAX_DEPTH:
        return
    try:
        with os.scandir(top) as entries:
            children = sorted(entries, key=lambda e: e.name)
    except OSError:
        return
    for child in children:
        if child.is_dir(follow_symlinks=False):
            yield from _walk(child.path, depth + 1)
        else:
            yield child.path, _stat(child.path)


def _stat(path: str) -> list[int] | None:
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return None


class RememberingRunner:
    """A runner that answers `podman info` from a `PodmanInfoMemo` and runs everything else."""

    def __init__(self, inner: Runner, memo: PodmanInfoMemo) -> None:
        self.inner = inner
        self.memo = memo

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        if not self.memo.applies_to(command):
            return self.inner.run(command, check=check, timeout=timeout)
        remembered = self.memo.recall()
        if remembered is not None:
            return Result(command, 0, remembered, "")
        result = self.inner.run(command, check=check, timeout=timeout)
        if result.ok and result.stdout.strip():
            self.memo.keep(result.stdout)
        return result

    def stream(self, command: Command, on_line: Callable[[str], None]) -> Result:
        return self.inner.stream(command, on_line)

    def which(self, program: str) -> str | None:
        return self.inner.which(program)

    def interactive(self, command: Command) -> int:
        return self.inner.interactive(command)
