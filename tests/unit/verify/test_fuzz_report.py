"""Property-based fuzzing of the verify report parser (Hypothesis): whatever the container
printed, `parse_report` gives a report or a DlenvError that says the script did not run."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.errors import DlenvError
from dlenv.verify.report import parse_report
from tests.support.fuzz import json_object, json_text

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis directory in the tree; failures print their input
    suppress_health_check=[HealthCheck.too_slow],
)
CHECK = json_object(["name", "status", "detail"])
REPORT = json_object(["profile", "python", "checks"]) | st.fixed_dictionaries(
    {"profile": st.text(max_size=5), "python": st.text(max_size=5), "checks": st.lists(CHECK)}
)


@FUZZ
@given(json_text(REPORT), st.text(max_size=50), st.integers(-1, 255))
def test_any_script_output(stdout: str, stderr: str, returncode: int) -> None:
    try:
        report = parse_report(stdout, stderr, returncode)
    except DlenvError as error:
        assert "did not run" in error.message
        return
    assert all(c.status in {c.status} for c in report.checks)
    report.verdict()


@pytest.mark.parametrize(
    "stdout",
    [
        "[]",
        "1" * 5000,  # regression: ValueError (integer string too long) escaped before
        "[" * 100_000 + "]" * 100_000,  # regression: RecursionError escaped before
    ],
)
def test_output_that_is_no_report(stdout: str) -> None:
    with pytest.raises(DlenvError, match="did not run"):
        parse_report(stdout)
