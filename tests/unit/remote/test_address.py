"""The box's address: only ever an address, whatever a dlenv.toml says."""

from __future__ import annotations

import pytest

from dlenv.errors import UsageError
from dlenv.remote.address import BoxAddress, parse_box


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("gpu-box", BoxAddress("gpu-box")),
        ("ana@gpu-box", BoxAddress("gpu-box", "ana")),
        ("ana@10.0.0.5:2200", BoxAddress("10.0.0.5", "ana", 2200)),
        ("root@[::1]:22", BoxAddress("::1", "root", 22)),
        ("box.example.test:65535", BoxAddress("box.example.test", None, 65535)),
    ],
)
def test_addresses_parse(text: str, address: BoxAddress) -> None:
    assert parse_box(text) == address
    assert str(parse_box(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-oProxyCommand=touch /tmp/x",  # an option, not a host
        "ana@-box",
        "box:0",
        "box:65536",
        "box:22\nHost *",  # a second ssh_config line
        "ana bob@box",
        "box;reboot",
        "ana@@box",
        "box/path",
        "Ana@box",  # not a portable login name
    ],
)
def test_anything_else_is_refused_naming_the_form(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_box(text)
    assert "[user@]host[:port]" in (caught.value.hint or "")


def test_urls_and_ssh_arguments() -> None:
    box = parse_box("ana@10.0.0.5:2200")
    assert (
        box.ssh_url("/run/podman/podman.sock") == "ssh://ana@10.0.0.5:2200/run/podman/podman.sock"
    )
    assert box.ssh_args() == ("-p", "2200", "--", "ana@10.0.0.5")
    assert parse_box("gpu-box").ssh_args() == ("--", "gpu-box")
    assert parse_box("root@[::1]:22").ssh_url() == "ssh://root@[::1]:22"
