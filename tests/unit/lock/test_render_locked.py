"""Layered Containerfiles from a lock: goldens, the lock used verbatim, cache-friendly changes."""

from __future__ import annotations

import os
import re
from dataclasses import replace

import pytest

from dlenv.engine.caps import BuilderCaps
from dlenv.lock import Lock
from dlenv.render import RenderInput, render_context
from dlenv.render.context import BuildContext
from dlenv.resolve import resolve
from tests.support.index_config import index_url
from tests.support.locks import GOLDEN, fixture_lock
from tests.unit.lock.test_stale import spec

LEGACY = BuilderCaps(cache_mounts=False, secret_mounts=False)
CASES = {
    "locked-cpu-system-ca": (BuilderCaps(), True),
    "locked-cpu-legacy-builder": (LEGACY, False),
}


def render(
    caps: BuilderCaps = BuilderCaps(), ca: bool = True, lock: Lock | None = None
) -> BuildContext:
    env = resolve(spec())
    return render_context(
        RenderInput(env, caps, uid=1000, gid=1000, with_ca_bundle=ca, lock=lock or fixture_lock())
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_layered_context(case: str) -> None:
    """Set DLENV_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""
    # Only what this feature writes: the package layers and their lock files. The rest of the
    # Containerfile, sshd, Jupyter and the entrypoint have their goldens in tests/golden/render.
    context = render(*CASES[case])
    files = {name: text for name, text in context.files.items() if name.startswith("lock-")}
    containerfile = context.files["Containerfile"]
    start, end = containerfile.index("# 3. Python"), containerfile.index("# 4. Configuration")
    files["Containerfile.packages"] = containerfile[start:end]
    directory = GOLDEN / case
    if os.environ.get("DLENV_UPDATE_GOLDEN"):
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (directory / name).write_text(text)
    expected = {p.name: p.read_text() for p in sorted(directory.iterdir())}
    assert files == expected


def test_every_locked_pin_and_hash_reaches_the_build_verbatim() -> None:
    lock = fixture_lock()
    files = render().files
    for layer in lock.layers:
        text = files[f"lock-{layer.name}.txt"]
        pins = re.findall(r"^(\S+==\S+)(?: ; (.+?))? \\$", text, flags=re.MULTILINE)
        assert pins == [(f"{p.name}=={p.version}", p.marker) for p in layer.packages]
        assert re.findall(r"--hash=(\S+)", text) == [h for p in layer.packages for h in p.hashes]


def test_layers_install_in_lock_order_without_resolving() -> None:
    containerfile = render().files["Containerfile"]
    runs = [line for line in containerfile.splitlines() if "-r /tmp/dlenv-lock/" in line]
    assert [re.search(r"lock-(\w+)\.txt", r)[1] for r in runs] == ["core", "polars", "extra"]  # type: ignore[index]
    install = [line for line in containerfile.splitlines() if "uv pip install" in line]
    assert install and all("--no-deps --require-hashes" in line for line in install)
    assert all(line.endswith("env HOME=/home/dev uv pip check && \\") for line in runs)
    assert "uv pip install \\\n    jupyterlab" not in containerfile  # not the unlocked path


def test_a_change_in_the_light_layer_leaves_the_heavy_layers_identical() -> None:
    """What the layer cache sees: every instruction and file before the extra layer is unchanged."""
    lock = fixture_lock()
    extra = lock.layers[-1]
    fewer = replace(extra, packages=tuple(p for p in extra.packages if p.name != "rich"))
    before = render(lock=lock)
    after = render(lock=replace(lock, layers=(*lock.layers[:-1], fewer)))
    changed = {name for name in before.files if before.files[name] != after.files.get(name)}
    assert changed == {"Containerfile", "lock-extra.txt"}
    head = lambda c: c.files["Containerfile"].split("# extra")[0]  # noqa: E731
    assert head(before) == head(after)


def test_relocking_after_a_light_change_keeps_heavy_layer_files_byte_identical() -> None:
    """A new lock (new digest, one more package in extra) must not touch lock-core.txt."""
    lock = fixture_lock()
    extra = lock.layers[-1]
    more = replace(extra, requirements=(*extra.requirements, "tqdm"))
    relocked = replace(lock, input_digest="sha256:" + "1" * 64, layers=(*lock.layers[:-1], more))
    before, after = render(lock=lock).files, render(lock=relocked).files
    assert before["lock-core.txt"] == after["lock-core.txt"]
    assert before["lock-polars.txt"] == after["lock-polars.txt"]


def test_each_layer_runs_with_its_files_hash_as_cache_key() -> None:
    """buildah leaves bind-mounted files out of its cache key: the RUN line must carry the hash."""
    import hashlib

    files = render().files
    containerfile = files["Containerfile"]
    for name in ("lock-core.txt", "lock-polars.txt", "lock-extra.txt"):
        digest = hashlib.sha256(files[name].encode()).hexdigest()
        assert f'echo "{digest}  /tmp/dlenv-lock/{name}" | sha256sum --check' in containerfile
        assert f"--mount=type=bind,source={name},target=/tmp/dlenv-lock/{name}" in containerfile
    assert "COPY lock-" not in containerfile  # not in the image: bind-mounted while installing


def test_legacy_builder_copies_the_layer_files() -> None:
    containerfile = render(LEGACY, ca=False).files["Containerfile"]
    assert "COPY lock-core.txt /etc/dlenv/lock/lock-core.txt" in containerfile
    assert "--mount" not in containerfile


def test_a_layer_with_nothing_of_its_own_is_skipped() -> None:
    lock = fixture_lock()
    empty = replace(lock.layers[1], packages=())
    context = render(lock=replace(lock, layers=(lock.layers[0], empty, lock.layers[2])))
    assert "lock-polars.txt" not in context.files
    assert "# polars" not in context.files["Containerfile"]


def test_indexes_of_the_resolve_are_given_to_every_layer() -> None:
    lock = replace(fixture_lock(), extra_index_urls=(index_url("torch-upstream", "/whl/cpu"),))
    runs = [
        line
        for line in render(lock=lock).files["Containerfile"].splitlines()
        if "uv pip install --no-deps" in line
    ]
    assert len(runs) == 3
    assert all(f"--extra-index-url {index_url('torch-upstream', '/whl/cpu')}" in r for r in runs)
