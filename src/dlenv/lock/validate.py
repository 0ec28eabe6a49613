"""The rules every value in a lock obeys, checked whenever a Lock is made: read, resolved, replaced.

A dlenv.lock may come from someone else's repository, and its values reach the Containerfile and
the requirement files the build installs from. So each value must be exactly what `dlenv lock`
writes: strict full-match patterns (never `$`, which lets a trailing newline through) and, for
versions and markers, the PEP 440 / PEP 508 parsers pip and uv use. A value that passes cannot
add a line, an option or a shell word to anything rendered from it.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from dlenv.engine.base import DIGEST_KINDS
from dlenv.errors import UsageError

REGENERATE_HINT = "Regenerate it with `dlenv lock` (or delete it to build without a lock)."

# Layer names become file names (lock-<name>.txt) and Containerfile comments: the resolver's
# names (torch, core, extra, the group names of knowledge/data/packages.toml) all fit this.
_LAYER_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
# Normalised PEP 503 names, as uv prints them; canonicalize_name equality is checked as well.
_PACKAGE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?")
# The characters of a normalised PEP 440 version (epoch, local part included); Version parses it.
_VERSION = re.compile(r"[0-9A-Za-z.!+_-]{1,64}")
# What a PEP 508 marker of uv's needs: variables, operators, quoted values, and/or, parentheses.
# No '#' (a requirements-file comment) and no backslash (a line continuation).
_MARKER = re.compile(r"[A-Za-z0-9_.'\"<>=!~ ()*+,-]{1,400}")
_HASH = re.compile(r"sha256:[0-9a-f]{64}")
_DIGEST = _HASH
_PYTHON_XY = re.compile(r"[0-9]{1,2}\.[0-9]{1,3}")
# An http(s) URL of printable characters that cannot start a new word, option or line: host
# (with an optional port, or a bracketed IPv6 address) and a path; no query, fragment or userinfo.
_INDEX_URL = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]{1,255}(?:/[A-Za-z0-9._~%/+=-]{0,1000})?")
# An image reference: registry/path:tag@digest characters only.
_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}")
_RESOLVER = re.compile(r"[ -~]{1,100}")  # printable ASCII: no newline, no control character
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class LockFieldError(UsageError):
    """A lock value breaks its rule. `key` names the field; the file reader adds the path."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"dlenv.lock: {key}: {problem}", hint=REGENERATE_HINT)
        self.key = key
        self.problem = problem


def _shown(value: str) -> str:
    # repr shows a newline as \n: the reader sees exactly what was refused. Long values are cut.
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def check_layer_name(value: str, key: str = "name") -> None:
    if not _LAYER_NAME.fullmatch(value):
        raise LockFieldError(key, f"{_shown(value)} is not a layer name ([a-z][a-z0-9-]*)")


def check_package_name(value: str, key: str = "name") -> None:
    if not _PACKAGE_NAME.fullmatch(value) or canonicalize_name(value) != value:
        raise LockFieldError(key, f"{_shown(value)} is not a normalised package name")


def check_version(value: str, key: str = "version") -> None:
    problem = f"{_shown(value)} is not a normalised PEP 440 version"
    if not _VERSION.fullmatch(value):
        raise LockFieldError(key, problem)
    try:
        parsed = Version(value)
    except InvalidVersion:
        raise LockFieldError(key, problem) from None
    if str(parsed) != value:  # "1.0-alpha" reads as 1.0a0: uv writes only the normal form
        raise LockFieldError(key, f"{problem} (uv writes {str(parsed)!r})")


def check_marker(value: str, key: str = "marker") -> None:
    if value == "":
        return  # applies everywhere
    problem = f"{_shown(value)} is not a PEP 508 environment marker"
    if not _MARKER.fullmatch(value):
        raise LockFieldError(key, problem)
    try:
        Marker(value)
    except (InvalidMarker, RecursionError):
        raise LockFieldError(key, problem) from None


def check_hashes(values: Iterable[str], key: str = "hashes") -> None:
    count = 0
    for i, value in enumerate(values):
        if not _HASH.fullmatch(value):
            raise LockFieldError(f"{key}[{i}]", f"{_shown(value)} is not sha256:<64 hex digits>")
        count += 1
    if count == 0:  # --require-hashes refuses a pin without one
        raise LockFieldError(key, "no hashes: every package needs at least one")


def check_requirement(value: str, key: str) -> None:
    problem = f"{_shown(value)} is not a PEP 508 requirement"
    if not value or len(value) > 1000 or _CONTROL.search(value):
        raise LockFieldError(key, problem)
    try:
        Requirement(value)
    except (InvalidRequirement, RecursionError):
        raise LockFieldError(key, problem) from None


def check_index_url(value: str, key: str) -> None:
    if not _INDEX_URL.fullmatch(value):
        raise LockFieldError(
            key, f"{_shown(value)} is not an http(s) index URL without credentials"
        )
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise LockFieldError(key, f"{_shown(value)} is not a valid URL") from None
    if not parts.hostname:
        raise LockFieldError(key, f"{_shown(value)} has no host")


def check_digest(value: str, key: str) -> None:
    if not _DIGEST.fullmatch(value):
        raise LockFieldError(key, f"{_shown(value)} is not sha256:<64 hex digits>")


def check_base_digest(digest: str, kind: str) -> None:
    """Both or neither: a digest says what it is, since it decides how FROM is written."""
    if digest == "" and kind == "":
        return
    check_digest(digest, "base-digest")
    if kind not in DIGEST_KINDS:
        raise LockFieldError(
            "base-digest-kind", f"{_shown(kind)} is not one of {', '.join(DIGEST_KINDS)}"
        )


def check_python(value: str, key: str = "python") -> None:
    if value != "system" and not _PYTHON_XY.fullmatch(value):
        raise LockFieldError(key, f'{_shown(value)} is neither "X.Y" nor "system"')


def check_python_target(value: str, key: str = "python-target") -> None:
    if not _PYTHON_XY.fullmatch(value):
        raise LockFieldError(key, f'{_shown(value)} is not a Python version "X.Y"')


def check_image(value: str, key: str = "base-image") -> None:
    if not _IMAGE.fullmatch(value):
        raise LockFieldError(key, f"{_shown(value)} is not an image reference")


def check_resolver(value: str, key: str = "resolver") -> None:
    if not _RESOLVER.fullmatch(value):
        raise LockFieldError(key, f"{_shown(value)} is not a resolver name (one printable line)")


def check_platforms(
    values: tuple[str, ...], known: tuple[str, ...], key: str = "platforms"
) -> None:
    for i, value in enumerate(values):
        if value not in known:
            raise LockFieldError(
                f"{key}[{i}]", f"{_shown(value)} is not one of {', '.join(known)}"
            )
    if not values:
        raise LockFieldError(key, f"empty: expected some of {', '.join(known)}")
    check_unique(values, key, "platform")


def check_unique(items: Iterable[str], key: str, what: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise LockFieldError(key, f"{what} {_shown(item)} appears twice")
        seen.add(item)
