"""`dlenv spec --schema`: the JSON Schema editors check dlenv.toml with, checked here with the
`jsonschema` library against the embedded default, the end-to-end specs and broken files."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest
from jsonschema import Draft7Validator

from dlenv.cli import run
from dlenv.errors import DlenvError
from dlenv.spec import default_spec_text, parse_spec
from dlenv.spec.schema import spec_json_schema, spec_json_schema_text
from tests.e2e.conftest import cpu_spec


def validator() -> Draft7Validator:
    schema = spec_json_schema()
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def errors(text: str) -> list[str]:
    data: dict[str, Any] = tomllib.loads(text)
    return [error.message for error in validator().iter_errors(data)]


def test_the_schema_accepts_the_embedded_default_and_the_e2e_specs() -> None:
    assert errors(default_spec_text()) == []
    for engine in ("podman", "docker"):
        text = cpu_spec("s", engine, packages=["numpy"], torch_packages=["torch"], ports=(1, 2))
        parse_spec(text, "e2e")  # dlenv accepts it too
        assert errors(text) == []


def test_the_schema_accepts_personal_setup() -> None:
    text = (
        '[run]\nidle_stop = "20s"\ncaches = "environment"\n[ports]\ntensorboard = 6006\n'
        '[secrets]\nHF_TOKEN = "env:HF_TOKEN"\nKEY = "file:~/.key"\n'
        '[dotfiles]\nrepo = "git@example.test:me/dots.git"\ninstall = "install.sh"\n'
        '[jupyter]\nextensions = ["jupyterlab-execute-time"]\n'
    )
    parse_spec(text, "dlenv.toml")
    assert errors(text) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[pyhton]\nversion = "3.12"\n', "'pyhton' was unexpected"),
        ("[run]\nshm = \"8g\"\n", "'shm' was unexpected"),
        ('profile = "tpu"\n', "'tpu' is not one of"),
        ("[ssh]\nport = 70000\n", "70000 is greater than the maximum"),
        ('[run]\ngpus = "some"\n', "is not valid under any of the given schemas"),
        ("[run]\ngpus = []\n", "is not valid under any of the given schemas"),
        ('name = "My Env"\n', "does not match"),
        ('[python]\nversion = "3"\n', "does not match"),
        ('[python]\ngroups = ["rapid"]\n', "'rapid' is not one of"),
        ('[image]\napt = ["Git"]\n', "does not match"),
        ('[image]\ncuda = "12"\n', "does not match"),
        ('[run]\nshm_size = "8 GB"\n', "does not match"),
        ('[run]\nidle_stop = "2 hours"\n', "does not match"),
        ('[run]\ncaches = "global"\n', "'global' is not one of"),
        ("[ports]\nTensorBoard = 6006\n", "does not match"),
        ('[secrets]\nHF_TOKEN = "file:relative"\n', "does not match"),
        ('[secrets]\n"1X" = "env:X"\n', "does not match"),
        ('[dotfiles]\nrepo = "--upload-pack=x"\n', "does not match"),
        ('[dotfiles]\ninstall = "/bin/sh"\n', "does not match"),
    ],
)
def test_the_schema_rejects_what_dlenv_rejects(text: str, problem: str) -> None:
    assert any(problem in message for message in errors(text)), errors(text)
    with pytest.raises(DlenvError):
        parse_spec(text, "dlenv.toml")


@pytest.mark.parametrize(
    "text",
    [
        'name = "vision-2.1"\n',
        '[python]\nversion = "system"\nuv = "0.9.2"\ngroups = ["cupy", "rapids"]\n',
        '[image]\ncuda = "12.8"\ntimezone = "America/Argentina/Buenos_Aires"\napt = ["g++"]\n',
        '[torch]\nversion = "2.9"\n\n[run]\nshm_size = "512m"\n',
    ],
)
def test_the_schema_accepts_what_dlenv_accepts(text: str) -> None:
    parse_spec(text, "dlenv.toml")
    assert errors(text) == []


def test_gpu_indices_may_be_integers_as_dlenv_takes_them() -> None:
    text = "[run]\ngpus = [0, 2]\n"
    parse_spec(text, "dlenv.toml")
    assert errors(text) == []


def test_spec_schema_prints_the_same_bytes_every_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["spec", "--schema"]) == 0
    first = capsys.readouterr().out
    assert run(["spec", "--schema"]) == 0
    assert capsys.readouterr().out == first == spec_json_schema_text()
    assert json.loads(first)["$schema"] == "http://json-schema.org/draft-07/schema#"
