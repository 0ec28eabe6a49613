"""Property-based fuzzing of os-release parsing and of what setup renders from it (issue 11).

Arbitrary text gives an OsRelease (or a UsageError), never another exception; and whatever
os-release values setup accepts, a value from the host appears in the rendered script only as a
plain word that needs no quoting, or inside single quotes: never where `$(`, a backtick or `;`
could act. Bounded to a few seconds.
"""

from __future__ import annotations

import contextlib
import shlex

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.errors import UsageError
from dlenv.host.os_release import (
    CODENAME_PATTERN,
    VERSION_ID_PATTERN,
    OsRelease,
    check_setup_values,
    detect_family,
    parse_os_release,
)
from dlenv.setup import sources as src
from dlenv.setup.context import SetupOptions
from dlenv.setup.host_state import ARCHES, HostState, check_arch
from dlenv.setup.plan import Engine
from dlenv.setup.planner import UnsupportedHost, build_plan
from dlenv.setup.script import render_script

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

IDS = [
    "ubuntu",
    "debian",
    "linuxmint",
    "fedora",
    "rhel",
    "rocky",
    "ol",
    "sles",
    "opensuse-leap",
    "opensuse-tumbleweed",
    "amzn",
    "arch",
]
PAYLOADS = ["$(touch /tmp/pwned)", "`id`", ";id", "a b", "'", '"', "\\", "$HOME", "|x", "&x"]


def _value(pattern_values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly plausible values, some with shell syntax appended or inserted, some arbitrary."""
    return st.one_of(
        pattern_values,
        st.builds(lambda v, p: v + p, pattern_values, st.sampled_from(PAYLOADS)),
        st.text(max_size=24),
    )


CODENAMES = _value(st.from_regex(CODENAME_PATTERN, fullmatch=True))
VERSIONS = _value(st.from_regex(VERSION_ID_PATTERN, fullmatch=True))


@FAST
@given(st.text(max_size=400))
def test_any_text_parses_or_is_refused(text: str) -> None:
    parsed = parse_os_release(text)
    assert isinstance(parsed, OsRelease)
    detect_family(parsed)
    try:
        checked = check_setup_values(parsed)
    except UsageError:
        return
    assert checked is parsed


@FAST
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "ID",
                    "ID_LIKE",
                    "VERSION_ID",
                    "VERSION_CODENAME",
                    "UBUNTU_CODENAME",
                    "PRETTY_NAME",
                ]
            ),
            st.text(max_size=30),
        ),
        max_size=8,
    )
)
def test_key_value_lines_parse_or_are_refused(pairs: list[tuple[str, str]]) -> None:
    text = "\n".join(f"{k}={v}" for k, v in pairs)
    with contextlib.suppress(UsageError):
        check_setup_values(parse_os_release(text))


@FAST
@given(st.text(max_size=12))
def test_arch_is_from_the_fixed_set_or_refused(arch: str) -> None:
    with contextlib.suppress(UsageError):
        assert check_arch(arch) in ARCHES


def _quoting(line: str) -> list[str]:
    """Per character of a bash line: "'" inside single quotes, '"' inside double quotes, " "
    outside any (a small scanner: backslash escapes, no nested command substitutions needed)."""
    state, marks, i = " ", [], 0
    while i < len(line):
        c = line[i]
        if state == "'":
            marks.append("'")
            if c == "'":
                state = " "
        elif c == "\\" and i + 1 < len(line):
            marks += [state, state]
            i += 2
            continue
        elif state == '"':
            marks.append('"')
            if c == '"':
                state = " "
        else:
            marks.append(" ")
            if c in "'\"":
                state = c
        i += 1
    return marks


def _assert_inert(script: str, value: str) -> None:
    """`value` appears in the script's commands only as a word needing no quotes, or wholly
    inside single quotes."""
    if not value or shlex.quote(value) == value:
        return  # a plain word: nothing in it can act, quoted or not
    for line in script.splitlines():
        if line.lstrip().startswith("#"):
            continue
        marks = _quoting(line)
        start = line.find(value)
        while start != -1:
            assert set(marks[start : start + len(value)]) == {"'"}, (value, line)
            start = line.find(value, start + 1)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(IDS),
    CODENAMES,
    CODENAMES,
    VERSIONS,
    st.text(max_size=30),
    st.sampled_from(list(Engine)),
    st.sampled_from(["x86_64", "aarch64", "amd64", "x86_64;id"]),
)
def test_rendered_scripts_hold_host_values_only_inertly(
    distro_id: str,
    codename: str,
    ubuntu_codename: str,
    version: str,
    pretty: str,
    engine: Engine,
    arch: str,
) -> None:
    base = parse_os_release(f"ID={distro_id}\nID_LIKE=ubuntu debian\n")
    os_release = msgspec.structs.replace(
        base,
        version_id=version or None,
        version_codename=codename or None,
        ubuntu_codename=ubuntu_codename or None,
        pretty_name=pretty or None,
    )
    state = HostState(os_release, arch, (), None)
    try:
        plan = build_plan(state, SetupOptions(engine=engine, user="dev"))
    except (UsageError, UnsupportedHost):
        return
    script = render_script(plan)
    for value in (codename, ubuntu_codename, version, arch):
        _assert_inert(script, value)
    for line in script.splitlines():  # the header comment stays one printable line
        assert line.isprintable() or line == ""


def test_the_inertness_check_catches_the_old_rendering() -> None:
    # How main rendered the Docker apt line: the codename inside the double quotes.
    old = f'echo "deb [arch=amd64] {src.DOCKER_BASE}/ubuntu $(id) stable" > f'
    with pytest.raises(AssertionError):
        _assert_inert(old, "$(id)")
    _assert_inert(f'echo "deb https://x" {shlex.quote("$(id)")} stable > f', "$(id)")
