"""The spec: defaults, validation messages (key path, line, did-you-mean), overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from dlenv.errors import SpecError
from dlenv.spec import Spec, apply_overrides, default_spec_text, load_spec, parse_spec
from dlenv.spec.load import _describe_conversion
from dlenv.spec.model import _PROJECT_NAME


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "dlenv.toml")
    return caught.value.problems


def test_embedded_default_file_matches_model_defaults() -> None:
    # default.toml documents the defaults; the model holds them. They must never drift apart.
    assert parse_spec(default_spec_text(), "default") == Spec()


def test_default_spec_is_the_tutorial_stack() -> None:
    spec = Spec()
    assert spec.profile == "gpu"
    assert spec.torch.enabled
    assert {"jupyterlab", "numpy", "pandas", "scikit-learn", "tqdm"} <= set(spec.python.packages)
    assert spec.run.bind == "127.0.0.1"


def test_unknown_key_names_path_line_and_suggestion() -> None:
    found = problems('name = "x"\n\n[ssh]\nport = 2200\nprot = 3\n')
    assert found == ['line 5: ssh.prot: unknown key; did you mean "port"?']


def test_unknown_table_suggests_the_real_one() -> None:
    assert problems('[pythn]\nversion = "3.12"\n') == [
        'line 1: pythn: unknown key; did you mean "python"?'
    ]


def test_unknown_key_without_close_match_lists_allowed_keys() -> None:
    (message,) = problems("[jupyter]\nzzz = 1\n")
    assert "jupyter.zzz: unknown key (allowed: extensions, port)" in message


def test_wrong_type_names_expected_form() -> None:
    assert problems('[ssh]\nport = "twenty"\n') == [
        "line 2: ssh.port: expected a whole number, got 'twenty'"
    ]


def test_port_out_of_range() -> None:
    (message,) = problems("[jupyter]\nport = 70000\n")
    assert message.startswith("line 2: jupyter.port:")
    assert "65535" in message


def test_toml_syntax_error_gives_line_and_column() -> None:
    (message,) = problems('name = "x"\nprofile = \n')
    assert message.startswith("line 2, column 11: TOML syntax error")


def test_literal_choices_are_listed() -> None:
    (message,) = problems('profile = "tpu"\n')
    assert message == "line 1: profile: expected one of 'gpu' or 'cpu'"


def test_unknown_group_did_you_mean() -> None:
    (message,) = problems('[python]\ngroups = ["rapid"]\n')
    assert 'did you mean "rapids"?' in message
    assert message.startswith("line 2: python.groups:")


def test_list_index_in_key_path() -> None:
    (message,) = problems('[python]\npackages = ["numpy", 3]\n')
    assert message.startswith("line 2: python.packages[1]: expected a string")


@pytest.mark.parametrize(
    "requirement", ["numpy; rm -rf /", "x`id`", "$(id)", "a|b", "pkg\nRUN evil"]
)
def test_requirements_cannot_smuggle_shell(requirement: str) -> None:
    with pytest.raises(SpecError):
        parse_spec(f"[python]\nextra = [{requirement!r}]\n".replace("'", '"'), "t")


def test_environment_markers_are_allowed() -> None:
    spec = parse_spec("[python]\nextra = [\"tomli; python_version < '3.11'\"]\n", "t")
    assert spec.python.extra == ["tomli; python_version < '3.11'"]


def test_gpus_accepts_indices_and_uuids() -> None:
    spec = parse_spec('[run]\ngpus = [0, "GPU-6a1b"]\n', "t")
    assert spec.run.gpu_ids == ["0", "GPU-6a1b"]
    (message,) = problems("[run]\ngpus = []\n")
    assert 'expected "all", "auto:N"' in message


def test_overrides_apply_and_validate() -> None:
    spec = apply_overrides(Spec(), {"ssh.port": 2200, "profile": "cpu", "name": None})
    assert (spec.ssh.port, spec.profile, spec.name) == (2200, "cpu", "dlenv")
    with pytest.raises(SpecError) as caught:
        apply_overrides(Spec(), {"python.version": "three"})
    assert "python.version" in caught.value.problems[0]
    assert caught.value.source == "the command line"


def test_load_prefers_explicit_path_then_cwd_then_default(tmp_path: Path) -> None:
    assert load_spec(None, search_dir=tmp_path)[1] == "embedded default"
    (tmp_path / "dlenv.toml").write_text('name = "here"\n')
    assert load_spec(None, search_dir=tmp_path)[0].name == "here"
    other = tmp_path / "other.toml"
    other.write_text('name = "there"\n')
    assert load_spec(other, search_dir=tmp_path)[0].name == "there"


def test_missing_spec_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "nope.toml")
    assert caught.value.exit_code == 2
    assert "file not found" in caught.value.problems[0]


def test_every_check_problem_is_reported_at_once_with_its_line() -> None:
    found = problems('[image]\ncuda = "12"\n\n[python]\nversion = "3"\nuv = "latest"\n')
    assert [message.split(":", 2)[:2] for message in found] == [
        ["line 2", " image.cuda"],
        ["line 5", " python.version"],
        ["line 6", " python.uv"],
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A value in a table of names: msgspec leaves the key out of its path; it is found again.
        ("[ports]\ntb = 6006\nboard = 70000\n",
         "line 3: ports.board: expected a whole number <= 65535, got 70000"),
        ('[secrets]\nHF = 3\n', "line 2: secrets.HF: expected a string in quotes, got 3"),
        ('image = "cuda"\n', "line 1: image: expected a table, got 'cuda'"),
        ("host = 3\n", "line 1: host: expected a string in quotes, got 3"),
        ("[torch]\nenabled = 1\n", "line 2: torch.enabled: expected true or false, got 1"),
        ("[run]\ngpus = [0, true]\n",
         "line 2: run.gpus[1]: expected a whole number or a string in quotes, got true"),
        ("[python]\nextra = 'numpy'\n",
         """line 2: python.extra: expected a list, e.g. ["a", "b"], got 'numpy'"""),
    ],
)  # fmt: skip
def test_type_problems_name_the_key_the_line_and_the_toml_form(text: str, message: str) -> None:
    assert problems(text) == [message]


def test_a_conversion_message_of_an_unknown_form_is_passed_on_whole() -> None:
    # msgspec words its errors as text; one this module does not know still reaches the user.
    assert _describe_conversion("Something new - at `$.image.base`", {}, "") == (
        "image.base: Something new"
    )
    assert _describe_conversion("Something new", {}, "") == "(top level): Something new"


@settings(max_examples=300, deadline=None)
@given(name=st.from_regex(_PROJECT_NAME, fullmatch=True))
def test_a_name_the_spec_takes_unparsed_is_a_requirement_as_packaging_reads_it(name: str) -> None:
    requirement = Requirement(name)
    assert (requirement.name, str(requirement.specifier), requirement.marker) == (name, "", None)


@pytest.mark.parametrize("text", ["numpy\n", "numpy ", "-numpy", "nump\u212a", "numpy>=2", ""])
def test_anything_but_a_plain_name_goes_to_packaging(text: str) -> None:
    assert not _PROJECT_NAME.fullmatch(text)
