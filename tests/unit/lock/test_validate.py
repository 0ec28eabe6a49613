"""Every value of dlenv.lock is checked on reading: the key path, the line and the fix are named.

A lock may come from someone else's repository, and its values reach the Containerfile and the
requirement files; each case below is a value `dlenv lock` never writes.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from dlenv.errors import UsageError
from dlenv.lock import dumps, loads
from dlenv.lock.validate import LockFieldError
from tests.support.index_config import index_url
from tests.support.locks import fixture_lock

TEXT = dumps(fixture_lock())
HASH = "sha256:" + "0" * 64
EVIL = index_url("evil", "", scheme="http")
SAME = index_url("a", "/s")


def urls(*values: str) -> str:
    """The lock's `extra-index-urls` line holding `values` (a TOML array of basic strings)."""
    return "extra-index-urls = [" + ", ".join(f'"{v}"' for v in values) + "]"


def refused(old: str, new: str) -> str:
    """The message for the golden lock with its first `old` replaced by `new`."""
    assert old in TEXT
    with pytest.raises(UsageError) as caught:
        loads(TEXT.replace(old, new, 1), "proj/dlenv.lock")
    assert "dlenv lock" in (caught.value.hint or "")
    assert caught.value.exit_code == 2
    return caught.value.message


def line(text: str) -> int:
    return TEXT.splitlines().index(text) + 1


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        # layer names
        ('name = "core"', r'name = "core\nRUN id"', "layers[0].name"),
        ('name = "core"', 'name = "Core"', "layers[0].name"),
        ('name = "core"', 'name = "../core"', "layers[0].name"),
        ('name = "core"', f'name = "{"c" * 33}"', "layers[0].name"),
        # package names
        ('name = "contourpy"', 'name = "ContourPy"', "layers[0].packages[0].name"),
        ('name = "contourpy"', 'name = "contour_py"', "layers[0].packages[0].name"),
        ('name = "contourpy"', 'name = "contourpy -e ."', "layers[0].packages[0].name"),
        ('name = "contourpy"', r'name = "contourpy\n"', "layers[0].packages[0].name"),
        # versions: PEP 440, in uv's normal form only
        ('version = "1.3.3"', f'version = "1.3.3 --index-url {EVIL}"', "version"),
        ('version = "1.3.3"', r'version = "1.3.3\n"', "version"),
        ('version = "1.3.3"', 'version = "v1.3.3"', "version"),
        ('version = "1.3.3"', 'version = "1.3.3-alpha"', "version"),
        ('version = "1.3.3"', 'version = "latest"', "version"),
        ('version = "1.3.3"', 'version = ""', "version"),
        # markers: PEP 508, and nothing a requirements file reads as a comment or continuation
        ("'3.12'\"", "'3.12' #\"", "marker"),
        ("'3.12'\"", "'3.12' \\\\\"", "marker"),
        ("'3.12'\"", r"'3.12'\n--hash=sha256:00" + '"', "marker"),
        ("'3.12'\"", "'3.12' and\"", "marker"),
        ("'3.12'\"", "'3.12' and os.system('id')\"", "marker"),
        # hashes
        ('"sha256:023b', '"sha256:023B', "hashes[0]"),
        ('"sha256:023b', '"md5:023b', "hashes[0]"),
        ('"sha256:023b', r'"sha256:\n023b', "hashes[0]"),
    ],
)
def test_each_package_value_is_checked(old: str, new: str, where: str) -> None:
    message = refused(old, new)
    assert message.startswith("proj/dlenv.lock is not a dlenv lock file: layers[0]")
    assert where in message


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("extra-index-urls = []", urls(index_url("evil", scheme="ftp")), "[0]"),
        ("extra-index-urls = []", urls(index_url("evil", "/", userinfo="u:pw@")), "[0]"),
        ("extra-index-urls = []", urls(index_url("evil", "/a b")), "[0]"),
        ("extra-index-urls = []", urls(index_url("evil", "/\\n")), "[0]"),
        ("extra-index-urls = []", urls(index_url("a", "/'$(id)'")), "[0]"),
        ("extra-index-urls = []", 'extra-index-urls = ["https://:99999/"]', "[0]"),
        ("extra-index-urls = []", 'extra-index-urls = ["https:///simple"]', "[0]"),
        (
            "extra-index-urls = []",
            urls(SAME, SAME),
            f"index '{SAME}' appears twice",
        ),
    ],
)
def test_index_urls_are_http_without_credentials_or_whitespace(
    old: str, new: str, where: str
) -> None:
    message = refused(old, new)
    assert f"extra-index-urls{where}" in message or where in message


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('python = "system"', r'python = "3.12\n"', "python"),
        ('python = "system"', 'python = "3"', "python"),
        ('python-target = "3.11"', 'python-target = "system"', "python-target"),
        ('python-target = "3.11"', 'python-target = "3.11 "', "python-target"),
        ('"linux/amd64"', '"linux/riscv64"', "platforms[0]"),
        ('"linux/amd64"', '"linux/arm64"', "platform 'linux/arm64' appears twice"),
        ('resolver = "uv 0.13.9"', r'resolver = "uv\nRUN id"', "resolver"),
        ('resolver = "uv 0.13.9"', 'resolver = ""', "resolver"),
        ("input-digest = \"sha256:", "input-digest = \"sha256:\\n", "input-digest"),
        ("base-image = \"", "base-image = \"img\\nRUN id", "base-image"),
        ('  "matplotlib",', r'  "matplotlib\n",', "layers[0].requirements[0]"),
        ('  "matplotlib",', '  "matplotlib ; ; ",', "layers[0].requirements[0]"),
        ("[[layers]]", 'evil = "x"\n\n[[layers]]', "evil (line 20): unknown key"),
        ("hashes = [", 'extra = "x"\nhashes = [', "packages[0].extra (line 31): unknown key"),
        ("[[layers]]", "layers = 3\n[[x]]", "not valid TOML"),  # a key defined twice
    ],
)
def test_every_other_value_is_checked(old: str, new: str, key: str) -> None:
    assert key in refused(old, new)


def test_the_message_names_the_line_of_the_value() -> None:
    message = refused('version = "1.3.3"', 'version = "1.3.3 ; evil"')
    version_line = line('version = "1.3.3"')
    assert f"layers[0].packages[0].version (line {version_line})" in message
    first_hash = next(t for t in TEXT.splitlines() if t.startswith('  "sha256:'))
    message = refused(first_hash, '  "sha256:nothex",')
    assert f"layers[0].packages[0].hashes[0] (line {line(first_hash)})" in message
    assert "'sha256:nothex' is not sha256:<64 hex digits>" in message


def test_a_package_twice_is_refused() -> None:
    lock = fixture_lock()
    core = lock.layers[0]
    with pytest.raises(LockFieldError, match="package 'matplotlib ; ' appears twice"):
        extra = lock.layers[2]
        matplotlib = next(p for p in core.packages if p.name == "matplotlib")
        replace(lock, layers=(*lock.layers[:2], replace(extra, packages=(matplotlib,))))


def test_a_package_without_hashes_is_refused() -> None:
    package = fixture_lock().layers[0].packages[0]
    with pytest.raises(LockFieldError, match="no hashes"):
        replace(package, hashes=())


def test_wrong_shapes_name_the_expected_form() -> None:
    head = TEXT[: TEXT.index("[[layers]]")]
    shape = r"layers \(line 20\): expected an array of tables, found a string"
    with pytest.raises(UsageError, match=shape):
        loads(head + 'layers = "x"\n')
    assert "platforms[1] (line 15): expected a string, found an integer" in refused(
        '  "linux/arm64",', "  7,"
    )
