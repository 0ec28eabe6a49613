"""The edge of `dlenv lock`: run uv (and, for python "system", the base image's python3)."""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from dlenv.engine.base import BaseDigest
from dlenv.errors import DlenvError
from dlenv.lock.compile import (
    CompiledEntry,
    compile_argv,
    group_after_kept,
    group_into_layers,
    kept_layer_count,
    layer_input_text,
    parse_compiled,
    preferences_text,
)
from dlenv.lock.model import LayerInput, Lock, LockedLayer, LockedPackage, LockInput
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


def known_system_python(previous: Lock | None, base: BaseDigest) -> str | None:
    """The python3 version a previous lock found in this very base image (same digest), so a
    re-lock need not start a container to ask again (about 1 s); None when it must ask."""
    if previous is not None and previous.python == "system" and previous.base == base:
        return previous.python_target
    return None


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
    """One universal resolve of every layer; keeps `previous`'s versions where still valid.

    With a previous lock whose first layers are unchanged, only the layers from the first
    changed one on are resolved, constrained to the unchanged layers' pins: uv then asks the
    index about the new layers' packages and their dependencies, not about all of them (adding
    `rich` to the benchmark's `extra`: 4 packages looked up instead of 118; bench/RESULTS.md).
    Should that resolve fail, or need a kept layer changed, the whole lock is resolved again.
    """
    uv = find_uv(runner)
    env = {"SSL_CERT_FILE": str(ca_bundle)} if ca_bundle else {}
    kept = kept_layer_count(previous, given, python_target) if previous is not None else 0
    layers = None
    if previous is not None and 0 < kept < len(given.layers):
        layers = _resolve_after(runner, uv, env, given, python_target, previous, kept, indexes)
    if layers is None:
        pinned = [p for layer in previous.layers for p in layer.packages] if previous else None
        entries = _compile(runner, uv, env, given, given.layers, python_target, indexes, pinned)
        layers = group_into_layers(entries, given)
    return Lock.of(given, python_target, uv_version(runner, uv), layers, base)


def _resolve_after(
    runner: Runner,
    uv: str,
    env: dict[str, str],
    given: LockInput,
    python_target: str,
    previous: Lock,
    kept: int,
    indexes: IndexConfig | None,
) -> tuple[LockedLayer, ...] | None:
    """The incremental resolve of the layers after the first `kept`; None to resolve it all."""
    changed = given.layers[kept:]
    names = {layer.name for layer in changed}
    constraints = [p for layer in previous.layers[:kept] for p in layer.packages]
    pinned = [p for layer in previous.layers if layer.name in names for p in layer.packages]
    try:
        entries = _compile(
            runner, uv, env, given, changed, python_target, indexes, pinned, constraints
        )
    except DlenvError:
        return None  # the new layers need a kept pin moved: the full resolve may move it
    return group_after_kept(entries, given, previous.layers[:kept])


def _same_version_interpreter(python_target: str) -> str | None:
    """The Python dlenv runs in, when it is the target's version: uv then need not look for one.
    Its search walks PATH and asks each candidate (with pyenv's shims first on PATH, a shell
    script each: 0.2 s of a 0.5 s re-lock here; bench/RESULTS.md)."""
    running = "{}.{}".format(*sys.version_info[:2])
    return sys.executable if sys.executable and running == python_target else None


def _compile(
    runner: Runner,
    uv: str,
    env: dict[str, str],
    given: LockInput,
    layers: Sequence[LayerInput],
    python_target: str,
    indexes: IndexConfig | None,
    preferences: Sequence[LockedPackage] | None,
    constraints: Sequence[LockedPackage] | None = None,
) -> list[CompiledEntry]:
    """Run `uv pip compile` over `layers` (one `<layer>.in` each) and parse what it wrote."""
    work = Path(tempfile.mkdtemp(prefix="dlenv-lock-"))
    try:
        inputs = []
        for layer in layers:
            if layer.requirements:
                path = work / f"{layer.name}.in"
                path.write_text(layer_input_text(layer.requirements), encoding="utf-8")
                inputs.append(str(path))
        output = work / "resolved.txt"
        if preferences is not None:
            # uv prefers the versions already in the output file (unless told to upgrade):
            # "If the file exists, its pinned versions are used as preferences during
            # resolution" (uv pip compile --output-file, https://docs.astral.sh/uv/reference/cli/).
            output.write_text(preferences_text(preferences), encoding="utf-8")
        constraints_file = None
        if constraints is not None:
            constraints_file = work / "kept-layers.txt"
            constraints_file.write_text(preferences_text(constraints), encoding="utf-8")
        argv = compile_argv(
            uv,
            inputs,
            str(output),
            given,
            python_target,
            indexes,
            str(constraints_file) if constraints_file else None,
            _same_version_interpreter(python_target),
        )
        result = runner.run(Command(argv, env))
        if not result.ok:
            raise DlenvError(
                "uv could not resolve the spec's Python packages together",
                details=result.stderr.strip()[-4000:] or None,
                hint="uv's message names the conflicting requirements; change them in the spec "
                "(python.packages, python.extra, torch.packages) and run `dlenv lock` again.",
            )
        return parse_compiled(output.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
