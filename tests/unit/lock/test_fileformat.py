"""dlenv.lock format: golden file, round trip, and clear errors for damaged files."""

from __future__ import annotations

import os

import pytest

from dlenv.errors import UsageError
from dlenv.lock import dumps, loads, read_lock, write_lock
from tests.support.locks import GOLDEN, fixture_lock


def test_golden_lock_file() -> None:
    """Set DLENV_UPDATE_GOLDEN=1 to rewrite after an intended format change."""
    text = dumps(fixture_lock())
    path = GOLDEN / "dlenv.lock"
    if os.environ.get("DLENV_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


def test_round_trip_is_lossless_and_byte_stable() -> None:
    lock = fixture_lock()
    again = loads(dumps(lock))
    assert again == lock
    assert dumps(again) == dumps(lock)


def test_write_then_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "dlenv.lock"
    assert read_lock(path) is None
    write_lock(path, fixture_lock())
    assert read_lock(path) == fixture_lock()
    assert [p.name for p in tmp_path.iterdir()] == ["dlenv.lock"]  # no temp file left


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version = [", "not valid TOML"),
        ("version = 9", "format version 9, expected 2"),
        ("version = 1", "format version 1, expected 2"),  # no content-digest: regenerate
        ('version = "2"', "format version a string, expected 2"),
        ('version = 2\ninput-digest = "x"', "python: missing"),
    ],
)
def test_damaged_files_say_what_and_how_to_fix(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        loads(text, "proj/dlenv.lock")
    assert problem in caught.value.message
    assert caught.value.message.startswith("proj/dlenv.lock is not a dlenv lock file")
    assert "dlenv lock" in (caught.value.hint or "")


def test_a_field_of_the_wrong_type_is_refused_with_its_key_path_and_line() -> None:
    text = dumps(fixture_lock()).replace('version = "1.3.3"', "version = 1.3", 1)
    line = text.splitlines().index("version = 1.3") + 1
    with pytest.raises(UsageError) as caught:
        loads(text)
    assert caught.value.message == (
        f"dlenv.lock is not a dlenv lock file: layers[0].packages[0].version (line {line}): "
        "expected a string, found a number"
    )
