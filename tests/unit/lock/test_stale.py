"""Staleness: a pure comparison of the lock's input with what the spec asks for now."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dlenv.lock import lock_input, stale_reasons
from dlenv.lock.locate import StaleLockError, lock_for_build, lock_path
from dlenv.lock.model import LayerInput
from dlenv.resolve import resolve
from dlenv.spec import Spec, apply_overrides
from dlenv.spec.load import parse_spec
from tests.support.index_config import UPSTREAMS
from tests.support.locks import FIXTURE_INPUT, FIXTURE_SPEC, fixture_lock


def spec(**changes: object) -> Spec:
    """The fixture lock's spec (tests/support/locks.FIXTURE_SPEC), with dotted-key changes."""
    return apply_overrides(parse_spec(FIXTURE_SPEC, "fixture"), changes)


def test_the_fixture_input_is_what_this_spec_resolves_to() -> None:
    assert lock_input(resolve(spec())) == FIXTURE_INPUT


def test_fresh_lock_has_no_reasons() -> None:
    assert stale_reasons(fixture_lock(), lock_input(resolve(spec()))) == []


def test_package_order_in_the_spec_does_not_make_it_stale() -> None:
    wanted = lock_input(resolve(spec(**{"python.extra": ["seaborn", "rich"]})))
    assert stale_reasons(fixture_lock(), wanted) == []


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        ({"python.extra": ["rich", "seaborn", "tqdm"]}, ["layer extra: added tqdm"]),
        ({"python.extra": ["rich"]}, ["layer extra: removed seaborn"]),
        ({"python.extra": []}, ["layer extra is no longer in the spec"]),
        ({"python.groups": []}, ["layer polars is no longer in the spec"]),
        ({"python.version": "3.12"}, ["python.version changed: system -> 3.12"]),
        (
            {"image.base": "docker.io/library/debian:trixie"},
            [
                "the base image (whose python3 is used) changed: "
                "localhost/dlenv-test/debian:bookworm -> docker.io/library/debian:trixie"
            ],
        ),
    ],
)
def test_each_change_is_named(changes: dict[str, object], reasons: list[str]) -> None:
    assert stale_reasons(fixture_lock(), lock_input(resolve(spec(**changes)))) == reasons


def test_changes_that_do_not_touch_packages_keep_the_lock() -> None:
    for changes in ({"image.timezone": "Europe/Berlin"}, {"ssh.port": 2200}, {"image.apt": []}):
        assert stale_reasons(fixture_lock(), lock_input(resolve(spec(**changes)))) == []


def test_a_hand_edited_digest_is_reported() -> None:
    lock = replace(fixture_lock(), input_digest="sha256:" + "0" * 64)
    assert stale_reasons(lock, FIXTURE_INPUT) == [
        "the lock's input digest does not match (was it edited by hand?)"
    ]


def test_new_index_is_named() -> None:
    wanted = replace(FIXTURE_INPUT, extra_index_urls=(UPSTREAMS["nvidia"],))
    assert stale_reasons(fixture_lock(), wanted) == [
        f"package indexes changed (CUDA variant or groups): (none) -> {UPSTREAMS['nvidia']}"
    ]


def test_layer_order_change_is_named() -> None:
    layers = FIXTURE_INPUT.layers
    wanted = replace(FIXTURE_INPUT, layers=(layers[1], layers[0], layers[2]))
    assert stale_reasons(fixture_lock(), wanted) == ["the layer order changed"]
    assert LayerInput("core", ("matplotlib", "pandas")) in wanted.layers


def test_build_refuses_a_stale_lock_and_names_the_fix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dlenv.lock import write_lock

    path = tmp_path / "dlenv.lock"
    assert lock_for_build(path, resolve(spec())) is None  # no lock: build without one
    write_lock(path, fixture_lock())
    assert lock_for_build(path, resolve(spec())) == fixture_lock()
    with pytest.raises(StaleLockError) as caught:
        lock_for_build(path, resolve(spec(**{"python.extra": ["rich", "seaborn", "tqdm"]})))
    assert caught.value.details == "- layer extra: added tqdm"
    assert "`dlenv lock`" in (caught.value.hint or "")


def test_lock_sits_beside_the_spec_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec_file = tmp_path / "proj" / "dlenv.toml"
    spec_file.parent.mkdir()
    spec_file.write_text("")
    assert lock_path(str(spec_file), tmp_path) == spec_file.parent / "dlenv.lock"
    assert lock_path("embedded default", tmp_path) == tmp_path / "dlenv.lock"
