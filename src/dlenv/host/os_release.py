"""/etc/os-release: parse it into a typed `OsRelease` and tell which distro family it belongs to.

Format: os-release(5) (https://www.freedesktop.org/software/systemd/man/latest/os-release.html):
shell-compatible `KEY=value` lines, values optionally quoted, `#` comments; readers must try
/etc/os-release and then /usr/lib/os-release. IDs and ID_LIKE values per distro are in
../shared/reference/compat-facts.md §7 and in tests/fixtures/os-release/.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

import msgspec

from dlenv.errors import UsageError

# os-release(5): the file is read at /etc first, then the vendor copy under /usr/lib.
OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")

_KEY = re.compile(r"[A-Z][A-Z0-9_]*")

# The values `dlenv setup` writes into a root script (repository names, apt suites, SUSE module
# versions), as strict full-match patterns: os-release(5) allows any text, and a support bundle
# or `--root` tree can hold anything. Real values fit easily: codenames are lower-case words
# (jammy, bookworm, kali-rolling; os-release(5): "lower-case string ... [a-z0-9._-]", minus `.`
# and `_`, which no distro uses), VERSION_ID is dotted digits (22.04, 9.5, 2023, 20240101).
CODENAME_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,31}")
VERSION_ID_PATTERN = re.compile(r"[0-9][0-9.]{0,15}")


class Family(StrEnum):
    """Distro families that provision the same way (same package manager and vendor repos)."""

    UBUNTU = "ubuntu"
    DEBIAN = "debian"
    FEDORA = "fedora"
    RHEL = "rhel"
    SUSE = "suse"
    AMAZON = "amazon"


# ID (or an ID_LIKE entry) -> family. RHEL rebuilds are listed by their own ID because several
# (Oracle Linux: ID_LIKE="fedora") would otherwise land in Fedora. Source: compat-facts.md §7.
_FAMILY_OF_ID: Mapping[str, Family] = {
    "ubuntu": Family.UBUNTU,
    "debian": Family.DEBIAN,
    "fedora": Family.FEDORA,
    "rhel": Family.RHEL,
    "centos": Family.RHEL,
    "rocky": Family.RHEL,
    "almalinux": Family.RHEL,
    "ol": Family.RHEL,
    "opensuse-leap": Family.SUSE,
    "opensuse-tumbleweed": Family.SUSE,
    "opensuse": Family.SUSE,
    "sles": Family.SUSE,
    "sled": Family.SUSE,
    "suse": Family.SUSE,
    "amzn": Family.AMAZON,
}

# Ubuntu codename -> release number, for derivatives (Linux Mint numbers its own releases) and for
# vendor repositories named by number (NVIDIA's CUDA repo: ubuntu2204).
# Source: https://wiki.ubuntu.com/Releases
UBUNTU_VERSION_OF_CODENAME: Mapping[str, str] = {
    "bionic": "18.04",
    "focal": "20.04",
    "jammy": "22.04",
    "noble": "24.04",
    "oracular": "24.10",
    "plucky": "25.04",
    "questing": "25.10",
}


class OsRelease(msgspec.Struct, frozen=True):
    """The fields of os-release that provisioning needs; `fields` keeps every key as read."""

    id: str
    id_like: tuple[str, ...] = ()
    version_id: str | None = None
    version_codename: str | None = None
    ubuntu_codename: str | None = None
    name: str = "Linux"
    pretty_name: str | None = None
    fields: Mapping[str, str] = msgspec.field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return self.pretty_name or " ".join(p for p in (self.name, self.version_id) if p)


class Distro(msgspec.Struct, frozen=True):
    """An os-release placed in a family, with the base release its repositories are keyed by."""

    os: OsRelease
    family: Family
    # How the family was found: "ID" or "ID_LIKE=<entry>"; shown to the user as the reason.
    matched_by: str

    @property
    def codename(self) -> str | None:
        """The codename vendor apt repos use: the Ubuntu base for Ubuntu derivatives."""
        if self.family is Family.UBUNTU:
            return self.os.ubuntu_codename or self.os.version_codename
        return self.os.version_codename

    @property
    def base_version(self) -> str | None:
        """VERSION_ID of the base distro (Linux Mint 21.3 -> Ubuntu 22.04)."""
        if self.family is Family.UBUNTU and self.os.id != "ubuntu":
            return UBUNTU_VERSION_OF_CODENAME.get(self.codename or "", self.os.version_id)
        return self.os.version_id

    @property
    def major_version(self) -> int | None:
        """The leading integer of the base version ("9.4" -> 9, "2023" -> 2023); None if absent."""
        match = re.match(r"\d+", self.base_version or "")
        return int(match.group()) if match else None


def parse_os_release(text: str) -> OsRelease:
    """Parse os-release text. Lines that are not `KEY=value` are ignored, as the format allows."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if not _KEY.fullmatch(key):
            continue
        values[key] = _unquote(value)
    return OsRelease(
        id=values.get("ID", "linux").lower() or "linux",
        id_like=tuple(values.get("ID_LIKE", "").lower().split()),
        version_id=values.get("VERSION_ID") or None,
        version_codename=values.get("VERSION_CODENAME") or None,
        ubuntu_codename=values.get("UBUNTU_CODENAME") or None,
        name=values.get("NAME") or "Linux",
        pretty_name=values.get("PRETTY_NAME") or None,
        fields=values,
    )


def _unquote(value: str) -> str:
    """Undo shell quoting; a value with an unbalanced quote is kept as written, minus the quote."""
    try:
        return " ".join(shlex.split(value, comments=False, posix=True))
    except ValueError:
        return value.strip().strip("\"'")


def detect_family(os_release: OsRelease) -> Distro | None:
    """Place a distro in a family by ID, then by each ID_LIKE entry in order; None if unknown."""
    family = _FAMILY_OF_ID.get(os_release.id)
    if family is not None:
        return Distro(os_release, family, "ID")
    for like in os_release.id_like:
        family = _FAMILY_OF_ID.get(like)
        if family is not None:
            return Distro(os_release, family, f"ID_LIKE={like}")
    return None


def check_setup_values(os_release: OsRelease) -> OsRelease:
    """Refuse (exit 2) an os-release whose codename or VERSION_ID would reach a setup script
    and does not fit its strict pattern. Distros of no known family are left to the planner,
    which refuses them without rendering anything (Arch Linux's VERSION_ID is a template)."""
    if detect_family(os_release) is None:
        return os_release
    checks = (
        ("VERSION_CODENAME", os_release.version_codename, CODENAME_PATTERN, "jammy"),
        ("UBUNTU_CODENAME", os_release.ubuntu_codename, CODENAME_PATTERN, "jammy"),
        ("VERSION_ID", os_release.version_id, VERSION_ID_PATTERN, "22.04"),
    )
    for key, value, pattern, example in checks:
        if value is not None and pattern.fullmatch(value) is None:
            raise UsageError(
                f"os-release {key}={value!r} is not a value dlenv puts in a setup script "
                f"(expected the form {pattern.pattern}, like {example})",
                hint="check the host's /etc/os-release (or the tree or bundle given to --root); "
                "it may have been tampered with",
            )
    return os_release


def read_os_release(root: Path = Path("/")) -> OsRelease | None:
    """Read os-release under `root` (a host snapshot or `/`); None when neither file exists."""
    for relative in OS_RELEASE_PATHS:
        path = root / relative
        if path.is_file():
            return parse_os_release(path.read_text(encoding="utf-8", errors="replace"))
    return None
