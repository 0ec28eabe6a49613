"""The edge of `dlenv lock`: the uv run (through a fake runner that replays uv's real output)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.lock.model import LayerInput
from dlenv.lock.resolver import known_system_python, probe_system_python, resolve_lock
from tests.support.fake_uv import UV, FakeUv
from tests.support.fakes import FakeRunner
from tests.support.locks import BASE, FIXTURE_INPUT, FIXTURES, fixture_lock


@pytest.fixture(autouse=True)
def _uv_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # Use the runner's `which`, not the uv wheel in this environment.
    import dlenv.lock.resolver as resolver

    monkeypatch.setattr(resolver, "find_uv", lambda runner: UV)


def test_one_resolve_of_every_layer_split_back_into_layers() -> None:
    uv = FakeUv()
    lock = resolve_lock(uv, FIXTURE_INPUT, "3.11", base=BASE)
    assert lock == fixture_lock()
    assert uv.seen_inputs == {
        "core.in": "matplotlib\npandas\n",
        "polars.in": "polars\n",
        "extra.in": "rich\nseaborn\n",
    }
    compile_command = uv.commands[0]
    assert compile_command.argv[:3] == (UV, "pip", "compile")
    assert compile_command.env == {}


@pytest.mark.parametrize("same_version", [True, False])
def test_uv_is_given_dlenvs_python_when_it_is_the_targets_version(
    same_version: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Otherwise uv searches PATH for an interpreter of the target's version (through shims,
    seconds on some machines) and builds any source distribution's metadata with it."""
    monkeypatch.setattr(sys, "version_info", (3, 11 if same_version else 12, 0))
    monkeypatch.setattr(sys, "executable", "/opt/py/bin/python3.11")
    uv = FakeUv()
    resolve_lock(uv, FIXTURE_INPUT, "3.11", base=BASE)
    argv = uv.commands[0].argv
    if same_version:
        assert argv[argv.index("--python") + 1] == "/opt/py/bin/python3.11"
    else:
        assert "--python" not in argv


def test_previous_versions_are_offered_as_preferences_and_ca_passed() -> None:
    uv = FakeUv()
    resolve_lock(uv, FIXTURE_INPUT, "3.11", previous=fixture_lock(), ca_bundle=Path("/ca.pem"))
    assert uv.seen_preferences is not None
    assert "numpy==2.4.6 ; python_full_version < '3.12'\n" in uv.seen_preferences
    assert uv.commands[0].env == {"SSL_CERT_FILE": "/ca.pem"}


# The fixture's spec with tqdm added to its last layer, and uv's real answer to the incremental
# resolve of that layer (tests/fixtures/uv-compile/README.md).
WITH_TQDM = dataclasses.replace(
    FIXTURE_INPUT,
    layers=(*FIXTURE_INPUT.layers[:2], LayerInput("extra", ("rich", "seaborn", "tqdm"))),
)
INCREMENTAL = (FIXTURES / "uv-compile" / "extra-tqdm-kept-core-polars.py311.txt").read_text()


def test_a_relock_after_adding_to_the_last_layer_resolves_only_that_layer() -> None:
    previous = fixture_lock()
    uv = FakeUv(constrained_output=INCREMENTAL)
    lock = resolve_lock(uv, WITH_TQDM, "3.11", previous=previous, base=BASE)
    compiles = [c for c in uv.commands if c.argv[1:3] == ("pip", "compile")]
    assert len(compiles) == 1
    assert uv.seen_inputs == {"extra.in": "rich\nseaborn\ntqdm\n"}
    # The unchanged layers' pins bind the resolve; the changed layer's old pins are preferred.
    assert uv.seen_constraints is not None
    assert "polars==2.1.0\n" in uv.seen_constraints
    assert "numpy==2.4.6 ; python_full_version < '3.12'\n" in uv.seen_constraints
    assert "rich" not in uv.seen_constraints
    assert uv.seen_preferences == "".join(
        f"{p.name}=={p.version}\n" for p in previous.layers[2].packages
    )
    assert lock.layers[:2] == previous.layers[:2]
    extra = lock.layers[2]
    assert extra.requirements == ("rich", "seaborn", "tqdm")
    assert [p.name for p in extra.packages] == [
        "colorama", "markdown-it-py", "mdurl", "pygments", "rich", "seaborn", "tqdm",
    ]
    assert lock.input_digest == WITH_TQDM.digest


def test_an_incremental_resolve_that_fails_falls_back_to_the_whole_lock() -> None:
    uv = FakeUv(constrained_returncode=1)
    lock = resolve_lock(uv, WITH_TQDM, "3.11", previous=fixture_lock(), base=BASE)
    compiles = [c.argv for c in uv.commands if c.argv[1:3] == ("pip", "compile")]
    assert len(compiles) == 2
    assert "--constraints" in compiles[0]
    assert "--constraints" not in compiles[1]
    assert set(uv.seen_inputs) == {"core.in", "polars.in", "extra.in"}
    assert [layer.name for layer in lock.layers] == ["core", "polars", "extra"]


def test_a_changed_first_layer_resolves_everything() -> None:
    changed = dataclasses.replace(
        FIXTURE_INPUT,
        layers=(LayerInput("core", ("matplotlib", "pandas", "scipy")), *FIXTURE_INPUT.layers[1:]),
    )
    uv = FakeUv()
    resolve_lock(uv, changed, "3.11", previous=fixture_lock(), base=BASE)
    assert uv.seen_constraints is None
    assert set(uv.seen_inputs) == {"core.in", "polars.in", "extra.in"}


def test_system_python_of_the_same_base_digest_is_taken_from_the_previous_lock() -> None:
    previous = fixture_lock()  # python "system", resolved for 3.11, base pinned to BASE
    assert known_system_python(previous, BASE) == "3.11"
    assert known_system_python(None, BASE) is None
    other = dataclasses.replace(BASE, digest="sha256:" + "1" * 64)
    assert known_system_python(previous, other) is None
    assert known_system_python(dataclasses.replace(previous, python="3.12"), BASE) is None


def test_a_conflict_is_reported_with_uvs_explanation() -> None:
    with pytest.raises(DlenvError) as caught:
        resolve_lock(FakeUv(returncode=1), FIXTURE_INPUT, "3.11")
    assert caught.value.message == "uv could not resolve the spec's Python packages together"
    assert "No solution found" in (caught.value.details or "")


PROBE_PREFIX = ("podman", "run", "--rm", "--entrypoint", "sh", "localhost/base:1", "-c")


@pytest.mark.parametrize(
    ("stdout", "version"),
    [
        ("3.12\n", "3.12"),  # the image has python3 (an Ubuntu 24.04-based image)
        ("debian:bookworm\n", "3.11"),  # minbase Debian: the build installs Debian's python3
        ("ubuntu:noble\n", "3.12"),
    ],
)
def test_system_python_is_asked_of_the_base_image(stdout: str, version: str) -> None:
    runner = FakeRunner({PROBE_PREFIX: (0, stdout, "")})
    assert probe_system_python(runner, "podman", "localhost/base:1") == version


def test_unknown_release_without_python3_names_the_fix() -> None:
    runner = FakeRunner({PROBE_PREFIX: (0, "alpine:\n", "")})
    with pytest.raises(DlenvError) as caught:
        probe_system_python(runner, "podman", "localhost/base:1")
    assert 'python.version = "X.Y"' in (caught.value.hint or "")


def test_missing_base_image_is_reported() -> None:
    # podman 4.3.1 on the CI machine, for an image that is neither local nor pullable (last line).
    stderr = (
        "Error: initializing source docker://localhost/base:1: pinging container registry "
        'localhost: Get "https://localhost/v2/": dial tcp 127.0.0.1:443: connect: connection '
        "refused\n"
    )
    runner = FakeRunner({PROBE_PREFIX: (125, "", stderr)})
    with pytest.raises(DlenvError) as caught:
        probe_system_python(runner, "podman", "localhost/base:1")
    assert "connection refused" in (caught.value.details or "")
