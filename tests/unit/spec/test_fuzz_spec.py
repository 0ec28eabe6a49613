"""Property-based fuzzing of the dlenv.toml parser and of what a valid spec renders (issue 11).

1. Any text, and any TOML-shaped table, gives a Spec or a SpecError; through the CLI
   (`dlenv spec --spec FILE`) exit 0 or 2, never a traceback.
2. Any spec that validates renders a Containerfile with no line the template did not mean.
   "Meant" is defined by `check_containerfile` below.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.cli import run
from dlenv.engine.caps import BuilderCaps
from dlenv.errors import DlenvError, SpecError
from dlenv.render import RenderInput, render_context
from dlenv.resolve import ResolvedEnv, resolve
from dlenv.spec import Spec, parse_spec
from dlenv.spec.load import validate_spec
from dlenv.spec.model import IMAGE_REFERENCE
from tests.support.context import make_context
from tests.support.fakes import FakeRunner
from tests.support.index_config import TEST_INDEXES

FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Text that tries to end a line or an instruction, or to smuggle in another one.
HOSTILE = st.sampled_from(
    ["\n", "\r", "\\\n", "\nRUN id\n", " \\\n    id", "\x00", "'", '"', "$(id)", "`id`", ";", "#"]
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def poisoned(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid value, the same value with hostile text around or inside it, or any text."""
    return st.one_of(
        valid,
        st.builds(lambda v, h: v + h, valid, HOSTILE),
        st.builds(lambda v, h, w: v[: len(v) // 2] + h + w, valid, HOSTILE, TEXT),
        TEXT,
    )


NAMES = st.sampled_from(["dlenv", "vision", "a.b-c_d"])
REFERENCES = st.one_of(
    st.sampled_from(["auto", "ubuntu:24.04", "localhost/dlenv-test/debian:bookworm"]),
    st.from_regex(IMAGE_REFERENCE, fullmatch=True),
)
REQUIREMENTS = st.sampled_from(
    ["numpy", "numpy>=2", "pandas[performance]==2.2.*", 'tqdm; python_version >= "3.9"',
     "pkg @ https://wheels.test/pkg-1.0-py3-none-any.whl"]
)  # fmt: skip

# Each key and the values it may get: what a spec file can say, valid or not.
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": poisoned(NAMES),
    "profile": st.sampled_from(["gpu", "cpu"]),
    "image.base": poisoned(REFERENCES),
    "image.cuda": poisoned(st.sampled_from(["auto", "12.8"])),
    "image.flavor": st.sampled_from(["devel", "runtime", "slim"]),
    "image.timezone": poisoned(st.sampled_from(["Etc/UTC", "Europe/Berlin"])),
    "image.user": poisoned(st.sampled_from(["dev", "alice_1"])),
    "image.apt": st.lists(poisoned(st.sampled_from(["git", "htop", "libgl1=1.7.0-1"])), max_size=3),
    "python.version": poisoned(st.sampled_from(["3.12", "system"])),
    "python.uv": poisoned(st.sampled_from(["0.13.9"])),
    "python.packages": st.lists(poisoned(REQUIREMENTS), max_size=3),
    "python.extra": st.lists(poisoned(REQUIREMENTS), max_size=3),
    "python.groups": st.lists(st.sampled_from(["cupy", "polars", "xgboost"]), max_size=2),
    "torch.enabled": st.booleans(),
    "torch.packages": st.lists(poisoned(st.sampled_from(["torch", "torchvision"])), max_size=2),
    "ssh.port": st.one_of(st.integers(0, 70000), st.booleans()),
    "jupyter.port": st.one_of(st.integers(0, 70000), st.booleans()),
    "ssh.authorized_keys": st.lists(TEXT, max_size=2),
    "run.bind": poisoned(st.sampled_from(["127.0.0.1", "::1", "0.0.0.0"])),
    "run.workspace": poisoned(st.sampled_from(["volume", "~/work", "/srv/data"])),
    "run.shm_size": poisoned(st.sampled_from(["8g", "512m"])),
    "run.ipc": st.sampled_from(["private", "host"]),
    "run.gpus": st.one_of(st.just("all"), st.lists(st.one_of(st.integers(0, 8), TEXT), max_size=2)),
}
SCALARS = st.one_of(TEXT, st.integers(), st.booleans(), st.floats(allow_nan=False))
ANY_VALUE = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
)


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return data


@st.composite
def spec_tables(draw: st.DrawFn, *, junk: bool) -> dict[str, Any]:
    """Some of the spec's keys with drawn values; with `junk`, also unknown keys and any value."""
    keys = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=6, unique=True))
    flat = {key: draw(FIELDS[key]) for key in keys}
    if junk:
        flat.update(draw(st.dictionaries(st.sampled_from([*FIELDS, "x", "ssh.x"]), ANY_VALUE)))
    data = nest(flat)
    if junk and draw(st.booleans()):
        data[draw(TEXT)] = draw(ANY_VALUE)
    return data


def validates_or_says_why(check: Any) -> None:
    try:
        assert isinstance(check(), Spec)
    except SpecError as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)


def cli_spec(text: str) -> int:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "dlenv.toml"
        path.write_text(text, encoding="utf-8")
        return run(["spec", "--spec", str(path)], make_context(Path(directory), FakeRunner()))


@FUZZ
@given(text=st.one_of(TEXT, st.text(max_size=400).map(lambda t: t.replace("\ud800", ""))))
def test_any_text_gives_a_spec_or_a_spec_error(text: str) -> None:
    text = text.encode("utf-8", "replace").decode("utf-8")
    validates_or_says_why(lambda: parse_spec(text, "dlenv.toml"))


@FUZZ
@given(data=spec_tables(junk=True))
def test_any_table_gives_a_spec_or_a_spec_error(data: dict[str, Any]) -> None:
    validates_or_says_why(lambda: validate_spec(data, "dlenv.toml"))


@settings(FUZZ, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=spec_tables(junk=True))
def test_the_cli_exits_0_or_2_on_any_spec_file(
    data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        text = tomlkit.dumps(data)
    except Exception:  # tomlkit cannot write every table; the parser is what is tested
        return
    assert cli_spec(text) in {0, 2}
    assert "Traceback" not in capsys.readouterr().err


# What the template means (src/dlenv/render/templates/Containerfile.j2) ---------------------
INSTRUCTIONS = ("FROM", "ARG", "ENV", "RUN", "USER", "COPY", "LABEL", "EXPOSE", "WORKDIR",
                "ENTRYPOINT")  # fmt: skip
INSTRUCTION = re.compile(rf"({'|'.join(INSTRUCTIONS)}) \S.*")
CONTINUATION = re.compile(r" {4,}\S.*")
CONTINUED = ("ENV", "RUN", "LABEL")  # the only instructions the template continues


def instructions(text: str) -> list[tuple[str, list[str]]]:
    """Split a Containerfile into (keyword, physical lines) and check that every line is meant:

    - a line outside an instruction is blank, a comment (`#` first) or `KEYWORD args`, with
      KEYWORD one of INSTRUCTIONS, in capitals, at the start of the line;
    - a line after one ending in a backslash continues its instruction: it is indented by at least
      four spaces and not blank, and only ENV, RUN and LABEL are ever continued;
    - no line holds a carriage return or another control character but the tab, and the file
      does not end inside an instruction.
    """
    found: list[tuple[str, list[str]]] = []
    continued = False
    for line in text.split("\n"):
        assert not any(ch != "\t" and not ch.isprintable() for ch in line), repr(line)
        if continued:
            assert CONTINUATION.fullmatch(line), f"not a continuation: {line!r}"
            found[-1][1].append(line)
        elif line == "" or line.startswith("#"):
            continue
        else:
            assert INSTRUCTION.fullmatch(line), f"not an instruction: {line!r}"
            found.append((line.split(" ", 1)[0], [line]))
        continued = line.endswith("\\")
        if continued:
            assert found[-1][0] in CONTINUED, f"{found[-1][0]} continued: {line!r}"
    assert not continued, "the file ends inside an instruction"
    return found


def expected_keywords(env: ResolvedEnv, caps: BuilderCaps) -> list[str]:
    """The template's instructions, in order, for this many package layers and these caps."""
    return [
        "FROM", "ARG", "ENV", "RUN", "RUN", "RUN", "ENV",
        *(["LABEL"] if env.labels else []), "EXPOSE", "WORKDIR", "ENTRYPOINT",
        "RUN",
        *["RUN"] * len(env.layers),
        # The configuration files and the time zone in one COPY, whatever the builder.
        "COPY",
    ]  # fmt: skip


def as_user(uid: int, user: str) -> str:
    """How the template runs a command as the user (setpriv(1): --reuid, --regid,
    --clear-groups), with the HOME a USER step would give."""
    return f"setpriv --reuid={uid} --regid={uid} --clear-groups env HOME=/home/{user} "


def bytecode_step(uid: int, user: str) -> str:
    """The last line of every package layer's RUN: bytecode for the files the step wrote, but
    not test suites, compiled as the user (Containerfile.j2)."""
    return (
        "    (find /opt/venv/lib -name '*.py' -cnewer \"$marker\" -not -path '*/tests/*'"
        " -not -path '*/test/*' -print0"
        f' | xargs -0r -n 500 -P "$(nproc)" {as_user(uid, user)}python -m compileall -qq'
        ' || true) && rm -f "$marker"'
    )


def check_containerfile(text: str, env: ResolvedEnv, caps: BuilderCaps, uid: int) -> None:
    """No line the template did not mean: the line grammar of `instructions`, exactly the
    template's instructions in its order, one FROM naming the resolved base image, no USER (the
    image runs as root; the venv and the package layers run as the user through setpriv), and a
    RUN per package layer whose line before the bytecode step is exactly its requirements, each
    one shell word."""
    found = instructions(text)
    assert [keyword for keyword, _ in found] == expected_keywords(env, caps)
    assert found[0][1] == [f"FROM {env.base_image}"]
    user = as_user(uid, env.spec.image.user)
    runs = [lines for keyword, lines in found if keyword == "RUN"]
    assert f"{user}uv venv " in "\n".join(runs[3])
    for layer, lines in zip(env.layers, runs[4 : 4 + len(env.layers)], strict=True):
        assert f"{user}uv pip install " in "\n".join(lines), lines
        *_, requirements, compile_bytecode = lines
        assert requirements.endswith(" && \\"), lines
        assert shlex.split(requirements.removesuffix(" && \\")) == sorted(layer.requirements)
        assert compile_bytecode == bytecode_step(uid, env.spec.image.user), lines


CAPS = st.sampled_from([BuilderCaps(), BuilderCaps(cache_mounts=False, secret_mounts=False)])


@FUZZ
@given(data=spec_tables(junk=False), caps=CAPS, ca=st.booleans(), source=poisoned(TEXT))
def test_a_valid_spec_renders_only_meant_lines(
    data: dict[str, Any], caps: BuilderCaps, ca: bool, source: str
) -> None:
    try:
        spec = validate_spec(data, "dlenv.toml")
        env = resolve(spec, indexes=TEST_INDEXES)
    except DlenvError:  # invalid (tested above) or not resolvable here (no such CUDA, ...)
        return
    given_input = RenderInput(env, caps, uid=1000, gid=1000, with_ca_bundle=ca, source=source)
    context = render_context(given_input)
    check_containerfile(context.files["Containerfile"], env, caps, 1000)


def test_the_property_sees_an_injected_instruction() -> None:
    # The check itself: today's failure mode (issue 11) is caught, and the golden case passes.
    env = resolve(Spec(), indexes=TEST_INDEXES)
    text = render_context(RenderInput(env, BuilderCaps(), uid=1000, gid=1000)).files[
        "Containerfile"
    ]
    check_containerfile(text, env, BuilderCaps(), 1000)
    injected = text.replace(f"FROM {env.base_image}", f"FROM {env.base_image}\nRUN id", 1)
    with pytest.raises(AssertionError):
        check_containerfile(injected, env, BuilderCaps(), 1000)
    smuggled = text.replace(" tqdm && \\\n", " tqdm \\\n    && id && \\\n", 1)
    assert smuggled != text
    with pytest.raises(AssertionError):
        check_containerfile(smuggled, env, BuilderCaps(), 1000)


def test_a_source_name_with_a_newline_stays_a_comment() -> None:
    env = resolve(Spec(), indexes=TEST_INDEXES)
    given_input = RenderInput(env, BuilderCaps(), uid=1000, gid=1000, source="x\nRUN id\n")
    text = render_context(given_input).files["Containerfile"]
    check_containerfile(text, env, BuilderCaps(), 1000)
