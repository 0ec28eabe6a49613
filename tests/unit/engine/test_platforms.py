"""Multi-platform builds: which platforms a host can build, read from a real binfmt_misc tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv.engine.platforms import enabled_handlers, parse_platforms, plan_platforms
from dlenv.errors import UsageError

BINFMT = Path(__file__).parents[2] / "fixtures" / "binfmt_misc"


def test_handlers_are_read_from_binfmt_misc() -> None:
    assert enabled_handlers(BINFMT / "with-qemu") == {"qemu-aarch64", "python3.11"}
    assert enabled_handlers(BINFMT / "not-mounted") == set()


def test_disabled_handlers_do_not_count(tmp_path: Path) -> None:
    text = (BINFMT / "with-qemu" / "qemu-aarch64").read_text().replace("enabled", "disabled", 1)
    (tmp_path / "qemu-aarch64").write_text(text)
    assert enabled_handlers(tmp_path) == set()


def test_parse_platforms_dedupes_and_names_unknown_ones() -> None:
    assert parse_platforms("linux/amd64, linux/arm64,linux/amd64") == ("linux/amd64", "linux/arm64")
    with pytest.raises(UsageError) as caught:
        parse_platforms("linux/arm64,linux/riscv64")
    assert "linux/riscv64" in caught.value.message
    assert "linux/amd64, linux/arm64" in (caught.value.hint or "")


def test_native_and_emulated_platforms() -> None:
    plan = plan_platforms(("linux/amd64", "linux/arm64"), "x86_64", {"qemu-aarch64"})
    assert plan.emulated == ("linux/arm64",)
    native = plan_platforms(("linux/arm64",), "aarch64", set())
    assert native.emulated == ()


def test_a_host_without_emulation_gets_a_clear_message() -> None:
    with pytest.raises(UsageError) as caught:
        plan_platforms(("linux/amd64", "linux/arm64"), "x86_64", {"python3.11"})
    assert caught.value.message == (
        "this x86_64 host cannot build linux/arm64: no binfmt_misc handler emulates it"
    )
    assert "qemu-user-static" in (caught.value.hint or "")
