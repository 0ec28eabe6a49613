"""Compiled templates kept between runs (dlenv.render.template_cache): the same output, no
compile when the source is unchanged, a compile when it changed, and never a failure because of
the cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment

from dlenv.render.template_cache import TemplateBytecodeCache


def _env(directory: Path, source: str, salt: str = "options") -> Environment:
    env = Environment(loader=DictLoader({"t.j2": source}), keep_trailing_newline=True)
    env.bytecode_cache = TemplateBytecodeCache(lambda: directory, salt=salt)
    return env


def _no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled although a cached copy was there")

    monkeypatch.setattr(Environment, "compile", refuse)


def test_a_second_process_renders_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache" / "templates"
    first = _env(cache, "hello {{ name }}\n").get_template("t.j2").render(name="dlenv")
    (stored,) = cache.iterdir()
    assert stored.stat().st_mode & 0o777 == 0o600
    assert cache.stat().st_mode & 0o777 == 0o700
    _no_compiling(monkeypatch)  # a fresh Environment stands for the next run
    assert _env(cache, "hello {{ name }}\n").get_template("t.j2").render(name="dlenv") == first


def test_a_changed_template_is_compiled_again(tmp_path: Path) -> None:
    _env(tmp_path, "old {{ x }}").get_template("t.j2")
    assert _env(tmp_path, "new {{ x }}").get_template("t.j2").render(x=1) == "new 1"


def test_other_options_do_not_share_compiled_code(tmp_path: Path) -> None:
    _env(tmp_path, "a {{ x }}", salt="trim_blocks").get_template("t.j2")
    _env(tmp_path, "a {{ x }}", salt="no trim_blocks").get_template("t.j2")
    assert len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize("damage", [b"", b"garbage", b"j2\x00\x01truncated"])
def test_a_damaged_file_is_compiled_over(tmp_path: Path, damage: bytes) -> None:
    _env(tmp_path, "a {{ x }}").get_template("t.j2")
    (stored,) = tmp_path.iterdir()
    full = stored.read_bytes()
    stored.write_bytes(damage or full[: len(full) // 2])
    assert _env(tmp_path, "a {{ x }}").get_template("t.j2").render(x=2) == "a 2"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to a read-only directory anyway")
def test_an_unwritable_cache_only_costs_the_compile(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        assert _env(tmp_path / "templates", "a {{ x }}").get_template("t.j2").render(x=3) == "a 3"
    finally:
        tmp_path.chmod(0o700)


def test_a_cache_that_is_a_file_only_costs_the_compile(tmp_path: Path) -> None:
    blocked = tmp_path / "templates"
    blocked.write_text("not a directory")  # where the cache would go, as root can meet it too
    assert _env(blocked, "a {{ x }}").get_template("t.j2").render(x=4) == "a 4"
    assert blocked.read_text() == "not a directory"
