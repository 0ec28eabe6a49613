"""Small builders of bash text shared by the family modules: done-if checks and file backups."""

from __future__ import annotations

import shlex
from collections.abc import Iterable


def quote(word: str) -> str:
    """Quote for bash; words holding `$` (like `$HOME/...`) are double-quoted so they expand."""
    if "$" in word:
        return '"' + word.replace('"', '\\"') + '"'
    return shlex.quote(word)


def all_of(*conditions: str) -> str:
    return " && ".join(conditions)


def dpkg_installed(*packages: str) -> str:
    """Exits 0 when every package is installed (not merely known or half-configured)."""
    return all_of(
        *(
            f"dpkg-query -W -f='${{Status}}' {quote(p)} 2>/dev/null"
            " | grep -q 'install ok installed'"
            for p in packages
        )
    )


def rpm_installed(*packages: str) -> str:
    return f"rpm -q {' '.join(quote(p) for p in packages)} >/dev/null 2>&1"


def apt_remove_installed(packages: Iterable[str]) -> str:
    """Remove those of `packages` that are installed (`apt-get remove` fails on unknown names)."""
    names = " ".join(quote(p) for p in packages)
    return (
        f"dpkg-query -W -f='${{binary:Package}} ${{Status}}\\n' {names} 2>/dev/null"
        " | awk '/ install ok installed$/ {print $1}'"
        " | xargs -r env DEBIAN_FRONTEND=noninteractive apt-get remove -y"
    )


def rpm_remove_installed(packages: Iterable[str], remover: str) -> str:
    names = " ".join(quote(p) for p in packages)
    return f"rpm -q --qf '%{{NAME}}\\n' {names} 2>/dev/null | grep -v ' ' | xargs -r {remover}"


def none_installed_dpkg(packages: Iterable[str]) -> str:
    names = " ".join(quote(p) for p in packages)
    return (
        f"! dpkg-query -W -f='${{Status}}\\n' {names} 2>/dev/null | grep -q 'install ok installed'"
    )


def none_installed_rpm(packages: Iterable[str]) -> str:
    names = " ".join(quote(p) for p in packages)
    return f"! rpm -q --qf '%{{NAME}}\\n' {names} 2>/dev/null | grep -qv ' '"


def backup(path: str) -> str:
    """Copy a file before editing it, once: the first backup keeps the original."""
    p = quote(path)
    b = quote(path + ".dlenv-backup")
    return f"if [ -e {p} ] && [ ! -e {b} ]; then cp -a {p} {b}; fi"


def apt_install(*packages: str) -> str:
    return "DEBIAN_FRONTEND=noninteractive apt-get install -y " + " ".join(packages)


APT_UPDATE = "apt-get update"
