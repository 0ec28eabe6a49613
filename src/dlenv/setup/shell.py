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


# Downloads go to a directory made by `mktemp -d` (0700, owned by whoever runs the step), never to
# a fixed name in /tmp that another local user could create first. Commands that use it refer to
# it as "$tmp"; `local` keeps the name to the step's function.
TMP = '"$tmp"'
MAKE_TMP = ("local tmp", 'tmp="$(mktemp -d)"')
REMOVE_TMP = f"rm -rf {TMP}"


def fail(message: str) -> str:
    """Stop the step (and so the script) with a message on stderr."""
    return f"{{ echo {shlex.quote('dlenv: ' + message)} >&2; exit 1; }}"


def primary_fingerprints(key_file: str) -> str:
    """The fingerprint of each primary key in an OpenPGP key file, one a line, with no keyring
    touched (`gpg --show-keys`; the `fpr` record right after each `pub` one, field 10, per
    gnupg's doc/DETAILS). `key_file` is bash text, already quoted."""
    return (
        f"gpg --homedir {TMP} --batch --show-keys --with-colons {key_file} 2>/dev/null"
        ' | awk -F: \'$1 == "pub" {p = 1} $1 == "fpr" && p {print $10; p = 0}\''
    )


def require_fingerprint(key_file: str, fingerprint: str, what: str) -> str:
    """Abort unless `key_file` holds exactly one primary key, the pinned one: a file with an
    extra key would make apt trust that one too."""
    return f'test "$({primary_fingerprints(key_file)})" = {shlex.quote(fingerprint)} || ' + fail(
        f"{what}: the downloaded key is not {fingerprint}; not trusting it"
    )


def verified_key(url: str, fingerprint: str, what: str) -> tuple[str, ...]:
    """Download a repository key into a private directory as "$tmp/key" and check it; the
    caller installs it from there and ends with REMOVE_TMP."""
    return (
        *MAKE_TMP,
        f"curl -fsSL -o {TMP}/key {shlex.quote(url)}",
        require_fingerprint(f"{TMP}/key", fingerprint, what),
    )


# Repository keys for rpm (dnf and zypper) live here once checked; rpm imports them from here and
# dnf repo files name them with gpgkey=file://..., so neither asks the network for a key.
RPM_GPG_DIR = "/etc/pki/rpm-gpg"


def import_rpm_key(url: str, fingerprint: str, what: str, dest: str) -> tuple[str, ...]:
    """Download a repository key, check it (verified_key), install it at `dest` and import it
    into rpm's database, so dnf and zypper trust that key and never fetch or auto-import one."""
    target = shlex.quote(dest)
    return (
        *verified_key(url, fingerprint, what),
        f"install -D -m 0644 {TMP}/key {target}",
        REMOVE_TMP,
        f"rpm --import {target}",
    )


def pin_repo_key(repo_file: str, key: str) -> str:
    """Point every gpgkey= of a dnf repo file at the checked key on disk."""
    expression = rf"s#^[[:space:]]*gpgkey[[:space:]]*=.*#gpgkey=file://{key}#"
    return f"sed -i -E {shlex.quote(expression)} {shlex.quote(repo_file)}"


def repo_key_pinned(repo_file: str, key: str) -> str:
    """Done-if check: the repo file exists and names the checked key, and only that key."""
    repo = shlex.quote(repo_file)
    return (
        f"test -s {shlex.quote(key)} && grep -qs {shlex.quote('^gpgkey=file://' + key + '$')}"
        f" {repo} && ! grep -Eqs '^[[:space:]]*gpgkey[[:space:]]*=[[:space:]]*[a-z]+://[^/]' {repo}"
    )
