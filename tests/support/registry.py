"""A real registry for tests and benchmarks: Debian's docker-registry (Distribution 2.8) on a free
loopback port, with its own configuration and storage directory, and a second Podman storage
("another machine") that starts empty.

The configuration keys (version, log.level, storage.filesystem.rootdirectory, http.addr) are
Distribution 2.x's: https://distribution.github.io/distribution/about/configuration/
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port


@dataclass(frozen=True)
class Registry:
    address: str  # 127.0.0.1:PORT
    process: subprocess.Popen[bytes]


@contextmanager
def serve_registry(directory: Path) -> Iterator[Registry]:
    """Start `docker-registry serve` and wait until /v2/ answers; stop it afterwards."""
    port = free_port()
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {directory / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n",
        encoding="utf-8",
    )
    log = (directory / "registry.log").open("wb")
    process = subprocess.Popen(
        ["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "docker-registry did not start: "
                        + (directory / "registry.log").read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.2)
        yield Registry(f"127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@dataclass(frozen=True)
class PodmanStorage:
    """A Podman image and container store of its own: an empty machine, as far as images go.
    Podman reads its location from the storage.conf CONTAINERS_STORAGE_CONF names
    (containers-storage.conf(5))."""

    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "storage.conf"

    def env(self) -> dict[str, str]:
        return {"CONTAINERS_STORAGE_CONF": str(self.conf)}

    @classmethod
    def create(cls, root: Path) -> PodmanStorage:
        (root / "graph").mkdir(parents=True)
        (root / "run").mkdir()
        storage = cls(root)
        storage.conf.write_text(
            f'[storage]\ndriver = "overlay"\ngraphroot = "{root / "graph"}"\n'
            f'runroot = "{root / "run"}"\n',
            encoding="utf-8",
        )
        return storage

    def remove(self, env: dict[str, str]) -> None:
        """Remove everything in this store (all of it was made by the caller), then the store."""
        for args in (["rm", "--all", "--force"], ["volume", "rm", "--all", "--force"],
                     ["rmi", "--all", "--force"]):
            subprocess.run(["podman", *args], env=env, capture_output=True, check=False)
        subprocess.run(["umount", "-R", str(self.root / "graph" / "overlay")],
                       capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
