"""Secure Boot is read from the variable real hosts have (captures: tests/fixtures/captured)."""

from pathlib import Path

from dlenv.host.parse.kernel import SECURE_BOOT_VAR, parse_secure_boot
from dlenv.host.probe import collect
from dlenv.host.reader import replay_reader
from dlenv.setup.host_state import host_state, open_host, read_host_state

FIXTURES = Path(__file__).parents[2] / "fixtures"
EFIVARS = FIXTURES / "captured" / "efivars"
SCENARIO = FIXTURES / "hosts" / "secure-boot-unsigned-module"


def _efivarfs_names(listing: str) -> set[str]:
    """`efivar -l` prints `<VendorGuid>-<Name>`; efivarfs names the file `<Name>-<VendorGuid>`."""
    return {f"{line[37:]}-{line[:36]}" for line in listing.splitlines() if line.strip()}


def _hexdump_bytes(text: str) -> bytes:
    return bytes(int(b, 16) for b in text.splitlines()[0].split("|")[0].split()[1:])


def test_the_variable_name_is_the_one_a_real_host_lists() -> None:
    names = _efivarfs_names((EFIVARS / "asus-arch-secure-boot.efivar-l.txt").read_text())
    assert SECURE_BOOT_VAR in names


def test_value_is_the_fifth_byte_after_four_attribute_bytes() -> None:
    enabled = _hexdump_bytes((EFIVARS / "secure-boot-enabled.hexdump.txt").read_text())
    assert enabled == b"\x06\x00\x00\x00\x01"
    assert parse_secure_boot(enabled) is True
    assert parse_secure_boot(enabled[:4] + b"\x00") is False
    assert parse_secure_boot(enabled[:4]) is None
    assert parse_secure_boot(None) is None


def test_doctor_and_setup_read_it_from_the_fixture() -> None:
    assert collect(replay_reader(SCENARIO)).secure_boot is True
    assert read_host_state(SCENARIO / "root").secure_boot is True
    with open_host(SCENARIO) as reader:
        state = host_state(reader)
    assert state.secure_boot is True
    assert state.gpu_device_ids == (0x2684,)
    assert state.arch == "x86_64"  # the bundle's `uname -m`
