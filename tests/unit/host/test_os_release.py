"""os-release parsing and family detection on real files (tests/fixtures/os-release/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.host.os_release import Family, detect_family, parse_os_release, read_os_release

FIXTURES = Path(__file__).parents[2] / "fixtures" / "os-release"


@pytest.mark.parametrize(
    ("folder", "family", "matched_by", "codename", "base_version", "major"),
    [
        ("ubuntu-22.04", Family.UBUNTU, "ID", "jammy", "22.04", 22),
        ("ubuntu-24.04", Family.UBUNTU, "ID", "noble", "24.04", 24),
        ("pop-22.04", Family.UBUNTU, "ID_LIKE=ubuntu", "jammy", "22.04", 22),
        # Mint numbers its own releases; repositories want the Ubuntu base (bionic = 18.04).
        ("linuxmint-19.2", Family.UBUNTU, "ID_LIKE=ubuntu", "bionic", "18.04", 18),
        ("debian-12", Family.DEBIAN, "ID", "bookworm", "12", 12),
        ("fedora-40", Family.FEDORA, "ID", None, "40", 40),
        ("fedora-41", Family.FEDORA, "ID", None, "41", 41),
        ("rhel-9.2", Family.RHEL, "ID", None, "9.2", 9),
        ("rocky-9.5", Family.RHEL, "ID", None, "9.5", 9),
        ("almalinux-9.1", Family.RHEL, "ID", None, "9.1", 9),
        ("opensuse-leap-15.6", Family.SUSE, "ID", None, "15.6", 15),
        ("opensuse-tumbleweed", Family.SUSE, "ID", None, "20230304", 20230304),
        ("sles-15-sp2", Family.SUSE, "ID", None, "15.2", 15),
        ("amzn-2023", Family.AMAZON, "ID", None, "2023", 2023),
    ],
)
def test_real_files_land_in_their_family(
    folder: str,
    family: Family,
    matched_by: str,
    codename: str | None,
    base_version: str,
    major: int,
) -> None:
    os_release = read_os_release(FIXTURES / folder)
    assert os_release is not None
    distro = detect_family(os_release)
    assert distro is not None
    assert (distro.family, distro.matched_by) == (family, matched_by)
    assert distro.codename == codename
    assert distro.base_version == base_version
    assert distro.major_version == major


def test_unknown_distro_has_no_family() -> None:
    os_release = read_os_release(FIXTURES / "archlinux")
    assert os_release is not None
    assert os_release.id == "arch"
    assert detect_family(os_release) is None


def test_id_wins_over_id_like() -> None:
    # Oracle Linux says ID_LIKE="fedora" but provisions like RHEL.
    distro = detect_family(parse_os_release('ID="ol"\nID_LIKE="fedora"\nVERSION_ID="9.4"\n'))
    assert distro is not None and distro.family is Family.RHEL


def test_id_like_order_is_respected() -> None:
    distro = detect_family(parse_os_release('ID=someel\nID_LIKE="rhel centos fedora"\n'))
    assert distro is not None
    assert (distro.family, distro.matched_by) == (Family.RHEL, "ID_LIKE=rhel")


def test_quoting_comments_and_junk_lines() -> None:
    text = "# c\nNAME='Single Quoted'\nPRETTY_NAME=\"A \\\"quoted\\\" name\"\nnot a line\nID=x\n"
    parsed = parse_os_release(text)
    assert parsed.name == "Single Quoted"
    assert parsed.pretty_name == 'A "quoted" name'
    assert parsed.id == "x"


def test_commented_version_in_tumbleweed_is_ignored() -> None:
    parsed = read_os_release(FIXTURES / "opensuse-tumbleweed")
    assert parsed is not None
    assert "VERSION" not in parsed.fields


def test_usr_lib_fallback_and_absent(tmp_path: Path) -> None:
    assert read_os_release(tmp_path) is None
    (tmp_path / "usr" / "lib").mkdir(parents=True)
    (tmp_path / "usr" / "lib" / "os-release").write_text("ID=debian\nVERSION_ID=12\n")
    parsed = read_os_release(tmp_path)
    assert parsed is not None and parsed.version_id == "12"
