"""Compiled templates, kept between runs.

Rendering compiled dlenv's templates on every run: about 40 ms of each `up`, `build` and `lock`
on a 2-CPU machine (bench/RESULTS-up.md). Jinja2's bytecode cache API keeps the compiled code,
keyed by each template's name and a checksum of its source (jinja2 docs, "Bytecode Cache";
`jinja2.BytecodeCache`), so a changed template is compiled again. The key does not cover the
Environment's options (trim_blocks and the like), which change the compiled code too: `salt`
carries them. A file that cannot be read or written only costs the compile.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path

from jinja2.bccache import Bucket, BytecodeCache

from dlenv.files import write_atomic


class TemplateBytecodeCache(BytecodeCache):
    """Files `<sha256 of salt and key>.bin` in `directory()` (asked at first use: tests and
    sudo may change the environment it depends on after import)."""

    def __init__(self, directory: Callable[[], Path], salt: str) -> None:
        self._directory = directory
        self._salt = salt

    def _path(self, bucket: Bucket) -> Path:
        name = hashlib.sha256(f"{self._salt}\0{bucket.key}".encode()).hexdigest()
        return self._directory() / f"{name}.bin"

    def load_bytecode(self, bucket: Bucket) -> None:
        # Bucket checks jinja2's own magic header and the source checksum, and discards a
        # mismatch; a truncated file makes pickle or marshal raise instead. What is loaded runs
        # as code, as a .pyc would: the directory is the user's own (0700).
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError, pickle.PickleError):
            bucket.bytecode_from_string(self._path(bucket).read_bytes())

    def dump_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        with contextlib.suppress(OSError):
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(path, bucket.bytecode_to_string(), mode=0o600)
