"""uv's output -> packages per layer: parsing real output, and the earliest-layer rule."""

from __future__ import annotations

import dataclasses

import pytest

from dlenv.errors import DlenvError
from dlenv.lock.compile import (
    CompiledEntry,
    assign_layers,
    compile_argv,
    group_after_kept,
    kept_layer_count,
    parse_compiled,
    preferences_text,
)
from dlenv.lock.model import LayerInput, LockedPackage
from tests.support.index_config import index_url
from tests.support.locks import COMPILED, FIXTURE_INPUT, FIXTURES, fixture_lock

INCREMENTAL = FIXTURES / "uv-compile" / "extra-tqdm-kept-core-polars.py311.txt"
WITH_TQDM = dataclasses.replace(
    FIXTURE_INPUT,
    layers=(*FIXTURE_INPUT.layers[:2], LayerInput("extra", ("rich", "seaborn", "tqdm"))),
)

HASH = "sha256:" + "a" * 64  # a lock's pins always carry hashes (dlenv.lock.validate)


def names(layer_name: str) -> list[str]:
    layer = fixture_lock().layer(layer_name)
    assert layer is not None
    return sorted({p.name for p in layer.packages})


def test_parses_every_pin_with_its_hashes_and_markers() -> None:
    entries = parse_compiled(COMPILED.read_text())
    text = COMPILED.read_text()
    assert len(entries) == text.count("==")
    assert sum(len(e.package.hashes) for e in entries) == text.count("--hash=")
    numpy = [e.package for e in entries if e.package.name == "numpy"]
    assert [p.marker for p in numpy] == [
        "python_full_version < '3.12'",
        "python_full_version >= '3.12'",
    ]
    rich = next(e for e in entries if e.package.name == "rich")
    assert rich.via_layers == ("extra",)
    seaborn_deps = next(e for e in entries if e.package.name == "pandas")
    assert set(seaborn_deps.via_layers) == {"core"}
    assert "seaborn" in seaborn_deps.via_packages


def test_a_package_goes_to_the_earliest_layer_that_needs_it() -> None:
    # seaborn (extra) needs matplotlib, numpy and pandas: they stay in core with their own deps.
    assert names("extra") == ["markdown-it-py", "mdurl", "pygments", "rich", "seaborn"]
    assert names("polars") == ["polars", "polars-runtime-32"]
    assert {"matplotlib", "numpy", "pandas", "pillow", "python-dateutil"} <= set(names("core"))
    total = sum(len(layer.packages) for layer in fixture_lock().layers)
    assert total == len(parse_compiled(COMPILED.read_text()))


def test_dependencies_propagate_through_chains_and_cycles() -> None:
    def entry(name: str, layers: tuple[str, ...], parents: tuple[str, ...]) -> CompiledEntry:
        return CompiledEntry(LockedPackage(name, "1", "", (HASH,)), layers, parents)

    entries = [
        entry("app", ("extra",), ()),
        entry("lib", (), ("app", "base-tool")),
        entry("base-tool", ("core",), ("lib",)),  # lib <-> base-tool form a cycle
        entry("leaf", (), ("lib",)),
    ]
    placed = assign_layers(entries, ["core", "extra"])
    assert placed == {"app": 1, "lib": 0, "base-tool": 0, "leaf": 0}


def test_output_naming_an_unknown_layer_is_an_error() -> None:
    entries = [CompiledEntry(LockedPackage("x", "1", "", (HASH,)), ("nope",), ())]
    with pytest.raises(DlenvError, match="unknown layers: nope"):
        assign_layers(entries, ["core"])


def test_compile_argv_is_one_universal_resolve_with_hashes() -> None:
    argv = compile_argv("uv", ["/w/core.in", "/w/extra.in"], "/w/out.txt", FIXTURE_INPUT, "3.11")
    assert argv == (
        "uv", "pip", "compile", "/w/core.in", "/w/extra.in", "--output-file", "/w/out.txt",
        "--universal", "--python-version", "3.11",
        "--generate-hashes", "--annotation-style", "split", "--no-header", "--quiet",
    )  # fmt: skip


def test_previous_pins_become_uv_preferences() -> None:
    packages = [LockedPackage("numpy", "2.4.6", "python_full_version < '3.12'", (HASH,))]
    assert preferences_text(packages) == "numpy==2.4.6 ; python_full_version < '3.12'\n"


def test_kept_layers_are_the_unchanged_prefix_of_the_same_resolve() -> None:
    previous = fixture_lock()
    assert kept_layer_count(previous, WITH_TQDM, "3.11") == 2
    assert kept_layer_count(previous, FIXTURE_INPUT, "3.11") == 3
    # Another interpreter or another index list changes every pin's validity: nothing is kept.
    assert kept_layer_count(previous, WITH_TQDM, "3.12") == 0
    other_index = dataclasses.replace(WITH_TQDM, extra_index_urls=(index_url("other"),))
    assert kept_layer_count(previous, other_index, "3.11") == 0
    # A changed middle layer keeps only the layers before it.
    middle = dataclasses.replace(
        FIXTURE_INPUT,
        layers=(FIXTURE_INPUT.layers[0], LayerInput("polars", ("polars", "pyarrow")),
                FIXTURE_INPUT.layers[2]),
    )
    assert kept_layer_count(previous, middle, "3.11") == 1


def test_kept_packages_in_the_incremental_output_stay_in_their_layers() -> None:
    kept = fixture_lock().layers[:2]
    layers = group_after_kept(parse_compiled(INCREMENTAL.read_text()), WITH_TQDM, kept)
    assert layers is not None
    assert layers[:2] == kept
    extra = {p.name for p in layers[2].packages}
    assert {"tqdm", "colorama", "rich", "seaborn"} <= extra
    assert not extra & {p.name for layer in kept for p in layer.packages}


def test_an_incremental_output_that_moves_a_kept_pin_is_refused() -> None:
    entries = parse_compiled(INCREMENTAL.read_text())
    moved = [
        dataclasses.replace(e, package=dataclasses.replace(e.package, version="3.11.3"))
        if e.package.name == "matplotlib"
        else e
        for e in entries
    ]
    assert group_after_kept(moved, WITH_TQDM, fixture_lock().layers[:2]) is None


def test_a_new_dependency_of_a_kept_package_is_refused() -> None:
    entries = parse_compiled(INCREMENTAL.read_text())
    # As if matplotlib (kept, in core) now pulled in a package core does not have.
    extra_dep = CompiledEntry(
        LockedPackage("newdep", "1.0", "", (HASH,)), (), ("matplotlib",)
    )
    assert group_after_kept([*entries, extra_dep], WITH_TQDM, fixture_lock().layers[:2]) is None
