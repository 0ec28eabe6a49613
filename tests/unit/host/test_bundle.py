"""Support bundles: collect on this host, replay, same findings; nothing secret; safe extraction."""

import io
import tarfile
from pathlib import Path

import pytest

from dlenv.errors import UsageError
from dlenv.host.doctor import diagnose
from dlenv.host.probe import collect
from dlenv.host.reader import HostReader, redact, replay_reader
from dlenv.host.snapshot import extract_bundle, write_bundle
from dlenv.knowledge import load_knowledge
from dlenv.spec import load_spec


def diagnosis(reader: HostReader) -> list[dict[str, str]]:
    spec, source = load_spec(None)
    return [f.to_json() for f in diagnose(collect(reader), spec, source, load_knowledge())]


def test_collect_then_replay_on_this_host_gives_identical_findings(tmp_path: Path):
    live = HostReader()
    live_findings = diagnosis(live)
    bundle = tmp_path / "bundle.tgz"
    write_bundle(live.snapshot, bundle)
    replayed = replay_reader(extract_bundle(bundle, tmp_path / "unpacked"))
    assert diagnosis(replayed) == live_findings
    # The replay asked for exactly what the live run read, so a bundle of a bundle is the same.
    second = tmp_path / "again.tgz"
    write_bundle(replayed.snapshot, second)
    assert replayed.snapshot.manifest() == live.snapshot.manifest()


def test_bundle_bytes_are_deterministic(tmp_path: Path):
    reader = replay_reader(Path(__file__).parents[2] / "fixtures" / "hosts" / "nouveau-loaded")
    collect(reader)
    write_bundle(reader.snapshot, tmp_path / "a.tgz")
    write_bundle(reader.snapshot, tmp_path / "b.tgz")
    assert (tmp_path / "a.tgz").read_bytes() == (tmp_path / "b.tgz").read_bytes()


def test_bundle_holds_no_environment_and_no_url_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DLENV_TEST_SECRET", "hunter2-token")
    reader = HostReader()
    collect(reader)
    bundle = tmp_path / "b.tgz"
    write_bundle(reader.snapshot, bundle)
    with tarfile.open(bundle) as tar:
        blob = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())  # type: ignore[union-attr]
    assert b"hunter2-token" not in blob
    assert (
        redact('"HttpProxy":"http://bob:s3cret@proxy:3128"')
        == '"HttpProxy":"http://***:***@proxy:3128"'
    )


def test_unsafe_or_foreign_bundles_are_refused(tmp_path: Path):
    evil = tmp_path / "evil.tgz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(UsageError, match="unsafe entry"):
        extract_bundle(evil, tmp_path / "out")
    not_tar = tmp_path / "x.tgz"
    not_tar.write_text("hello")
    with pytest.raises(UsageError, match="not a dlenv support bundle"):
        extract_bundle(not_tar, tmp_path / "out2")
    with pytest.raises(UsageError, match=r"no manifest\.json"):
        replay_reader(tmp_path)
