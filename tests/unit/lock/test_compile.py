"""uv's output -> packages per layer: parsing real output, and the earliest-layer rule."""

from __future__ import annotations

import pytest

from dlenv.errors import DlenvError
from dlenv.lock.compile import (
    CompiledEntry,
    assign_layers,
    compile_argv,
    parse_compiled,
    preferences_text,
)
from dlenv.lock.model import LockedPackage
from tests.support.locks import COMPILED, FIXTURE_INPUT, fixture_lock

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
