"""`dlenv ssh-config`'s text: golden Host blocks, merges that keep everything else, the Include
line at the top, and nothing a hostile value could turn into a directive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.ssh_config import (
    HostEntry,
    host_key_line,
    include_line,
    merge_block,
    merge_known_host,
    render_block,
    with_include,
)

GOLDEN = Path(__file__).parents[1] / "golden" / "ssh_config"
KNOWN = Path("/home/ana/.ssh/dlenv/known_hosts")
# An environment's public host key: type and blob as `dlenv ssh-config` read them from a running
# environment here (/etc/dlenv/hostkeys/ssh_host_ed25519_key.pub); the comment is an example.
HOST_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBpxPPHxuFL7/7LrNYoMDQ+cVKm9gHupq2p33N/DXKG8 "
    "root@4b2f6c0e9a1d\n"
)
REMOTE = HostEntry(
    "vision", "dev", 2222, 8888, "ana@gpu-box:2200", KNOWN, Path("/home/ana/.ssh/dlenv_ed25519")
)
LOCAL = HostEntry("cpu", "dev", 2411, 8411, None, KNOWN)


def _golden(name: str, text: str) -> None:
    """Set DLENV_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""
    path = GOLDEN / name
    if os.environ.get("DLENV_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_blocks_match_the_golden_files() -> None:
    _golden("remote.conf", render_block(REMOTE))
    _golden("local.conf", render_block(LOCAL))


def test_merging_replaces_one_environment_and_keeps_the_others() -> None:
    both = merge_block(merge_block("", "vision", render_block(REMOTE)), "cpu", render_block(LOCAL))
    assert both.count("Host dlenv-") == 2
    moved = HostEntry("vision", "dev", 2300, 8888, "ana@gpu-box:2200", KNOWN)
    again = merge_block(both, "vision", render_block(moved))
    assert "Port 2300" in again and "Port 2222" not in again
    assert render_block(LOCAL) in again
    assert merge_block(again, "vision", render_block(moved)) == again  # idempotent


def test_the_host_key_is_pinned_under_its_alias_and_replaced_not_added() -> None:
    line = host_key_line("dlenv-vision-hostkey", HOST_KEY)
    assert line == "dlenv-vision-hostkey " + " ".join(HOST_KEY.split()[:2]) + "\n"
    other = "dlenv-cpu-hostkey ssh-ed25519 AAAA\n"
    known = merge_known_host(
        other + "dlenv-vision-hostkey ssh-ed25519 OLD\n", "dlenv-vision-hostkey", line
    )
    assert known == other + line
    with pytest.raises(DlenvError):
        host_key_line("dlenv-vision-hostkey", "ssh-ed25519 AAAA\nHost *\n  ProxyCommand sh\n")


def test_the_include_goes_first_and_touches_no_other_line() -> None:
    line = include_line(Path("/home/ana/.ssh/dlenv/config"))
    mine = "Host work\n  User ana\n\nHost *\n  ServerAliveInterval 30\n"
    added = with_include(mine, line)
    assert added is not None
    assert added.splitlines()[1] == 'Include "/home/ana/.ssh/dlenv/config"'
    assert added.endswith("\n" + mine)
    assert with_include(added, line) is None  # already there: nothing to do
    header = "# Added by `dlenv ssh-config`: the environments' hosts (dlenv-NAME).\n"
    assert with_include("", line) == header + line


@pytest.mark.parametrize(
    "entry",
    [
        HostEntry("vision\nHost *", "dev", 2222, None, None, KNOWN),
        HostEntry("vision", "dev ProxyCommand=sh", 2222, None, None, KNOWN),
        HostEntry("vision", "dev", 2222, None, "box\n  ProxyCommand sh", KNOWN),
        HostEntry("vision", "dev", 2222, None, None, Path('/home/a"b/known')),
        HostEntry("vision", "dev", 2222, None, None, KNOWN, Path("/home/ana/key\nHost *")),
    ],
)
def test_hostile_values_are_refused_before_any_line_is_written(entry: HostEntry) -> None:
    with pytest.raises(DlenvError, match="will not write"):
        render_block(entry)
