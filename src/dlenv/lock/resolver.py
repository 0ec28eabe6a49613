"""The edge of `dlenv lock`: run uv (and, for python "system", the base image's python3)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from dlenv.engine.base import BaseDigest
from dlenv.errors import DlenvError
from dlenv.lock.compile import (
    compile_argv,
    group_into_layers,
    layer_input_text,
    parse_compiled,
    preferences_text,
)
from dlenv.lock.model import Lock, LockInput
from dlenv.process import Command, Runner
from dlenv.resolve.indexes import IndexConfig
from dlenv.uv_binary import find_uv

_PYTHON_VERSION = re.compile(r"^\d+\.\d+$")
# The base image's python3 if it has one; else its release, since the build installs the distro's
# python3 package (dlenv.render.context.BASE_APT_PACKAGES).
_PROBE = (
    "if command -v python3 >/dev/null; then "
    "python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'; "
    'else . /etc/os-release && echo "$ID:$VERSION_CODENAME"; fi'
)
# The python3 each release's archive ships. Sources: https://packages.debian.org/python3 and
# https://packages.ubuntu.com/python3 (package python3, per suite).
DISTRO_PYTHON3 = {
    "debian:bullseye": "3.9",
    "debian:bookworm": "3.11",
    "debian:trixie": "3.13",
    "ubuntu:focal": "3.8",
    "ubuntu:jammy": "3.10",
    "ubuntu:noble": "3.12",
}


def uv_version(runner: Runner, uv: str) -> str:
    result = runner.run(Command((uv, "--version")))
    # "uv 0.13.9 (x86_64-unknown-linux-gnu)" -> "uv 0.13.9"
    return " ".join(result.stdout.split()[:2]) if result.ok else "uv (unknown version)"


def probe_system_python(runner: Runner, engine: str, base_image: str) -> str:
    """The X.Y of the python3 a python.version = "system" build uses, asked of the base image."""
    argv = (engine, "run", "--rm", "--entrypoint", "sh", base_image, "-c", _PROBE)
    result = runner.run(Command(argv), timeout=300)
    answer = result.stdout.strip()
    version = DISTRO_PYTHON3.get(answer, answer)
    if not result.ok or not _PYTHON_VERSION.match(version):
        known = ", ".join(sorted(DISTRO_PYTHON3))
        raise DlenvError(
            f'python.version = "system": cannot tell which python3 {base_image} builds with',
            details=(result.stderr or result.stdout).strip()[-2000:] or None,
            hint='Set python.version = "X.Y" in the spec, or use a base image that has python3 '
            f"or is one of the releases dlenv knows ({known}).",
        )
    return version


def resolve_lock(
    runner: Runner,
    given: LockInput,
    python_target: str,
    *,
    previous: Lock | None = None,
    ca_bundle: Path | None = None,
    indexes: IndexConfig | None = None,
    base: BaseDigest | None = None,
) -> Lock:
    """One universal resolve of every layer; keeps `previous`'s versions where still valid."""
    uv = find_uv(runner)
    work = Path(tempfile.mkdtemp(prefix="dlenv-lock-"))
    try:
        inputs = []
        for layer in given.layers:
            if layer.requirements:
                path = work / f"{layer.name}.in"
                path.write_text(layer_input_text(layer.requirements), encoding="utf-8")
                inputs.append(str(path))
        output = work / "resolved.txt"
        if previous is not None:
            # uv prefers the versions already in the output file (unless told to upgrade).
            pinned = [p for layer in previous.layers for p in layer.packages]
            output.write_text(preferences_text(pinned), encoding="utf-8")
        env = {"SSL_CERT_FILE": str(ca_bundle)} if ca_bundle else {}
        argv = compile_argv(uv, inputs, str(output), given, python_target, indexes)
        result = runner.run(Command(argv, env))
        if not result.ok:
            raise DlenvError(
                "uv could not resolve the spec's Python packages together",
                details=result.stderr.strip()[-4000:] or None,
                hint="uv's message names the conflicting requirements; change them in the spec "
                "(python.packages, python.extra, torch.packages) and run `dlenv lock` again.",
            )
        entries = parse_compiled(output.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Lock.of(
        given, python_target, uv_version(runner, uv), group_into_layers(entries, given), base
    )
