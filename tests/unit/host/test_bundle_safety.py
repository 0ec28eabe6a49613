"""A replayed bundle can name no file outside itself, and a hostile tarball cannot fill the disk.

`doctor --from B --collect NEW` copies every file the probes read into NEW, and the probes read
the names a manifest's listings give them: so a listing (or a symlink in an unpacked bundle) that
leads outside the bundle would copy that file into a bundle meant to be sent to someone else.
"""

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from dlenv.cli import run
from dlenv.errors import UsageError
from dlenv.host.reader import replay_reader
from dlenv.host.snapshot import extract_bundle
from dlenv.setup.host_state import open_host

SECRET = "SECRET-NOT-FOR-THE-BUNDLE"
NVIDIA_SYSFS = {"vendor": "0x10de\n", "device": "0x2684\n", "class": "0x030000\n"}
CDI_SPEC = f"cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: {SECRET}\n"


def _bundle(tmp_path: Path, listings: dict[str, list[str]]) -> Path:
    directory = tmp_path / "bundle"
    (directory / "root").mkdir(parents=True)
    manifest = {"version": 1, "commands": [], "listings": listings}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def _outside(tmp_path: Path) -> Path:
    """A directory beside the bundle that looks like an NVIDIA GPU's sysfs node and a CDI dir."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for name, text in NVIDIA_SYSFS.items():
        (outside / name).write_text(text)
    (outside / "secret.yaml").write_text(CDI_SPEC)
    return outside


def _collect(bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, bytes]:
    """`doctor --from bundle --collect new.tgz`: its output and every byte of the new bundle."""
    new = tmp_path / "new.tgz"
    run(["doctor", "--from", str(bundle), "--collect", str(new), "--json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    with tarfile.open(new) as tar:
        blob = b"".join(
            tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        )
    return captured.out + captured.err, blob


def test_a_listing_that_climbs_out_of_the_bundle_is_not_read_or_collected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _outside(tmp_path)
    pci = "../" * 6 + "outside"  # from root/sys/bus/pci/devices up to tmp_path
    cdi = "../" * 4 + "outside/secret.yaml"  # from root/etc/cdi
    bundle = _bundle(tmp_path, {"/sys/bus/pci/devices": [pci], "/etc/cdi": [cdi]})
    # The directories exist, so the operating system can walk their `..`.
    (bundle / "root" / "sys" / "bus" / "pci" / "devices").mkdir(parents=True)
    (bundle / "root" / "etc" / "cdi").mkdir(parents=True)
    output, blob = _collect(bundle, tmp_path, capsys)
    assert SECRET.encode() not in blob
    assert b"0x2684" not in blob
    assert SECRET not in output
    assert "2684" not in output  # the GPU outside the bundle was not found either


def test_a_symlink_in_an_unpacked_bundle_is_not_followed_out_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = _outside(tmp_path)
    bundle = _bundle(tmp_path, {})
    cdi = bundle / "root" / "etc" / "cdi"
    cdi.mkdir(parents=True)
    (cdi / "nvidia.yaml").symlink_to(outside / "secret.yaml")
    (bundle / "root" / "etc" / "os-release").symlink_to("/etc/os-release")
    output, blob = _collect(bundle, tmp_path, capsys)
    assert SECRET.encode() not in blob
    assert SECRET not in output
    assert b"VERSION" not in blob  # this host's /etc/os-release


def test_a_symlink_that_stays_inside_the_bundle_is_followed(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, {})
    etc = bundle / "root" / "etc"
    etc.mkdir()
    (etc / "real").write_text("inside\n")
    (etc / "link").symlink_to("real")
    assert replay_reader(bundle).read_text("/etc/link") == "inside\n"


# Extraction caps ---------------------------------------------------------------------------


def _tarball(path: Path, members: dict[str, bytes], *, compress: bool = True) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def _refused(bundle: Path, into: Path, match: str, **caps: Any) -> None:
    with pytest.raises(UsageError, match=match) as raised:
        extract_bundle(bundle, into, **caps)
    assert raised.value.exit_code == 2
    assert list(into.iterdir()) == []  # nothing left behind, not even a partial file


def test_members_summing_over_the_byte_cap_are_refused(tmp_path: Path) -> None:
    bundle = _tarball(
        tmp_path / "big.tgz",
        {"manifest.json": b"{}", "root/a": b"a" * 40_000, "root/b": b"b" * 40_000},
    )
    _refused(bundle, tmp_path / "out", "more than the support bundle limit", max_bytes=64_000)
    # The same bundle under a cap it fits passes.
    assert (extract_bundle(bundle, tmp_path / "ok", max_bytes=200_000) / "root" / "b").is_file()


def test_a_gzip_bomb_is_refused_while_streaming(tmp_path: Path) -> None:
    """8 MiB of zeros compresses to ~8 kB; the cap counts what gzip yields, not the file size."""
    bundle = _tarball(tmp_path / "bomb.tgz", {"root/zeros": bytes(8 * 1024 * 1024)})
    assert bundle.stat().st_size < 64_000
    _refused(bundle, tmp_path / "out", "more than the support bundle limit", max_bytes=1_000_000)


def test_bytes_outside_member_data_are_counted_too(tmp_path: Path) -> None:
    """Every member is empty (size 0), but a 200 kB pax header comes before it: still refused."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("root/a")
        info.pax_headers = {"comment": "x" * 200_000}
        tar.addfile(info, io.BytesIO(b""))
    bundle = tmp_path / "header.tgz"
    bundle.write_bytes(gzip.compress(buffer.getvalue()))
    _refused(bundle, tmp_path / "out", "more than the support bundle limit", max_bytes=50_000)


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    bundle = _tarball(tmp_path / "many.tgz", {f"root/f{i}": b"" for i in range(50)})
    _refused(bundle, tmp_path / "out", "more than 20 entries", max_members=20)


def test_doctor_from_an_oversized_bundle_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dlenv.host.snapshot.MAX_BUNDLE_BYTES", 10_000)
    bundle = _tarball(tmp_path / "big.tgz", {"manifest.json": b"{}", "root/a": b"a" * 20_000})
    assert run(["doctor", "--from", str(bundle)]) == 2
    captured = capsys.readouterr()
    assert "support bundle limit" in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err


def test_setup_root_reads_a_bundle_through_the_same_caps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dlenv.host.snapshot.MAX_BUNDLE_BYTES", 10_000)
    bundle = _tarball(tmp_path / "big.tgz", {"manifest.json": b"{}", "root/a": b"a" * 20_000})
    with pytest.raises(UsageError, match="support bundle limit"), open_host(bundle):
        pass


def test_a_symlink_loop_in_a_bundle_reads_as_absent(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, {})
    etc = bundle / "root" / "etc"
    etc.mkdir()
    (etc / "a").symlink_to("b")
    (etc / "b").symlink_to("a")
    assert replay_reader(bundle).read_text("/etc/a") is None
