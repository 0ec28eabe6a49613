"""`build` and `up` follow the spec: a stale dlenv.lock is re-locked before the build, through
the same resolve as `dlenv lock` (uv's real captured answers, tests/fixtures/uv-compile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.cli import run
from dlenv.engine.caps import BUILDAH_CAPS
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.environment.locking import lock_following_spec
from dlenv.errors import UsageError
from dlenv.lock import read_lock, write_lock
from dlenv.resolve import resolve
from tests.support.context import make_context
from tests.support.fake_uv import UV, FakeUv
from tests.support.fakes import FakeRunner
from tests.support.index_config import uv_answers
from tests.support.locks import FIXTURE_SPEC, fixture_lock
from tests.unit.lock.test_resolver import INCREMENTAL
from tests.unit.lock.test_stale import spec

WITH_TQDM = {"python.extra": ["rich", "seaborn", "tqdm"]}


@pytest.fixture(autouse=True)
def _uv_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import dlenv.lock.resolver as resolver

    monkeypatch.setattr(resolver, "find_uv", lambda runner: UV)


def engine_never_asked() -> CliEngine:
    """An engine whose every command fails the test: the lock's base digest and python3 version
    are kept from the previous lock, so a re-lock for a new package starts no container."""
    return CliEngine(EngineKind("podman", BUILDAH_CAPS), FakeRunner())


def test_a_current_lock_is_built_as_it_is_and_nothing_runs(tmp_path: Path) -> None:
    path = tmp_path / "dlenv.lock"
    write_lock(path, fixture_lock())
    uv = FakeUv()
    found = lock_following_spec(path, resolve(spec()), engine_never_asked(), uv, ca_bundle=None)
    assert found == fixture_lock()
    assert uv.commands == []


def test_no_lock_builds_without_one_and_writes_none(tmp_path: Path) -> None:
    path = tmp_path / "dlenv.lock"
    uv = FakeUv()
    found = lock_following_spec(path, resolve(spec()), engine_never_asked(), uv, ca_bundle=None)
    assert found is None
    assert not path.exists()
    assert uv.commands == []


def test_a_stale_lock_is_relocked_incrementally_and_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dlenv.lock"
    write_lock(path, fixture_lock())
    uv = FakeUv(constrained_output=INCREMENTAL)
    env = resolve(spec(**WITH_TQDM))
    lock = lock_following_spec(path, env, engine_never_asked(), uv, ca_bundle=None)
    assert lock is not None
    assert read_lock(path) == lock  # what the build uses is what the file now holds
    assert lock.layers[:2] == fixture_lock().layers[:2]  # unchanged layers keep pins and hashes
    assert "tqdm" in {p.name for p in lock.layers[2].packages}
    compiles = [c.argv for c in uv.commands if c.argv[1:3] == ("pip", "compile")]
    assert len(compiles) == 1 and "--constraints" in compiles[0]  # only the changed layer
    said = capsys.readouterr().err
    assert "dlenv.lock is stale (layer extra: added tqdm): re-locking it" in said
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_lock_that_does_not_read_is_an_error_and_is_kept(tmp_path: Path) -> None:
    """Replacing a damaged lock is `dlenv lock`'s job, said by the error; build does not."""
    path = tmp_path / "dlenv.lock"
    path.write_text("this is not TOML [\n")
    with pytest.raises(UsageError):
        lock_following_spec(path, resolve(spec()), engine_never_asked(), FakeUv(), ca_bundle=None)
    assert path.read_text() == "this is not TOML [\n"


@pytest.mark.parametrize("command", [["build"], ["up", "--yes"]])
def test_with_locked_build_and_up_refuse_a_stale_lock_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """The spec adds tqdm to the fixture lock's `extra`: with --locked, the command stops at the
    lock (exit 1, the reason and both fixes named), before any engine command or uv run."""
    (tmp_path / "dlenv.toml").write_text(FIXTURE_SPEC.replace('"seaborn"]', '"seaborn", "tqdm"]'))
    write_lock(tmp_path / "dlenv.lock", fixture_lock())
    before = (tmp_path / "dlenv.lock").read_bytes()
    runner = FakeRunner(responses=uv_answers(), programs={"podman": "/usr/bin/podman"})
    assert run([*command, "--locked"], make_context(tmp_path, runner)) == 1
    said = capsys.readouterr().err
    assert "dlenv.lock is stale" in said and "layer extra: added tqdm" in said
    assert "dlenv lock" in said and "without --locked" in said
    assert (tmp_path / "dlenv.lock").read_bytes() == before
    # The index probes, and `up`'s `podman info` read ahead: no resolve, no build, no container.
    asked = {"env" if call[0] == "env" else " ".join(call[:2]) for call in runner.calls}
    assert asked <= {"env", "podman info"}
