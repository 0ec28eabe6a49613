"""The box's host reader: the same answers as a local reader, each over the one connection."""

from __future__ import annotations

import base64
from pathlib import Path

from dlenv.host.remote_reader import BoxHostReader, parse_df
from dlenv.host.snapshot import DiskUsage
from dlenv.remote.address import parse_box
from dlenv.remote.session import BoxSession
from tests.support.fakes import FakeRunner

CAPTURED = Path(__file__).parents[2] / "fixtures" / "captured" / "remote"


def _reader(
    responses: dict[tuple[str, ...], tuple[int, str, str]],
) -> tuple[BoxHostReader, FakeRunner]:
    runner = FakeRunner(responses)
    session = BoxSession(parse_box("root@gpu-box"), runner, Path("/tmp/dlenv-ssh-test"))
    return BoxHostReader(session), runner


def test_files_come_back_byte_for_byte_and_are_recorded() -> None:
    efivar = b"\x06\x00\x00\x00\x01"  # SecureBoot's attribute bytes and value: binary
    reader, runner = _reader({("ssh", "-S"): (0, base64.b64encode(efivar).decode() + "\n", "")})
    path = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
    assert reader.read_bytes(path) == efivar
    assert reader.snapshot.files[path] == efivar
    (call,) = runner.calls
    assert call[:3] == ("ssh", "-S", "/tmp/dlenv-ssh-test/master")  # the master, every time
    assert call[-1].endswith(f"sh {path}")


def test_missing_files_listings_and_commands_read_as_absent() -> None:
    reader, _ = _reader({("ssh", "-S"): (1, "", "")})
    assert reader.read_text("/proc/driver/nvidia/version") is None
    assert reader.listdir("/etc/cdi") is None
    assert reader.run("nvidia-smi") is None  # `command -v` found nothing
    assert reader.snapshot.programs == {"nvidia-smi": None}


def test_paths_that_climb_out_are_not_asked_for() -> None:
    reader, runner = _reader({})
    assert reader.read_bytes("/etc/cdi/../../root/.ssh/id_ed25519") is None
    assert runner.calls == []


def test_listings_are_nul_separated_and_sorted() -> None:
    reader, _ = _reader({("ssh", "-S"): (0, "0000:01:00.0\x000000:00:02.0\x00", "")})
    assert reader.listdir("/sys/bus/pci/devices") == ["0000:00:02.0", "0000:01:00.0"]


def test_disk_sizes_from_df() -> None:
    captured = (CAPTURED / "df-P-k.txt").read_text()
    blocks, available = captured.splitlines()[1].split()[1:4:2]
    assert parse_df(captured) == DiskUsage(total=int(blocks) * 1024, free=int(available) * 1024)
    assert parse_df("") is None
    assert parse_df("df: /nope: No such file or directory\n") is None
