"""Each host scenario tree (tests/fixtures/hosts/*) replays to exactly its expected findings."""

import json
from pathlib import Path

import pytest

from dlenv.host.doctor import diagnose
from dlenv.host.findings import Severity
from dlenv.host.probe import collect
from dlenv.host.reader import replay_reader
from dlenv.knowledge import load_knowledge
from dlenv.spec import load_spec

HOSTS = Path(__file__).parents[2] / "fixtures" / "hosts"
SCENARIOS = sorted(p for p in HOSTS.iterdir() if (p / "manifest.json").is_file())


def test_at_least_ten_scenarios():
    assert len(SCENARIOS) >= 10


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_scenario_findings(scenario: Path):
    expected = json.loads((scenario / "expected.json").read_text())
    spec, source = load_spec(None, search_dir=scenario)
    findings = diagnose(collect(replay_reader(scenario)), spec, source, load_knowledge())
    by_severity = {s: sorted(f.id for f in findings if f.severity is s) for s in Severity}
    assert by_severity[Severity.FAIL] == sorted(expected["fail"])
    assert by_severity[Severity.WARN] == sorted(expected["warn"])
    for finding in findings:
        assert finding.message
        if finding.severity is Severity.FAIL:
            assert finding.fix or finding.id == "spec.unresolvable", finding.id


def test_fixes_name_setup_steps_or_commands():
    scenario = HOSTS / "nouveau-loaded"
    spec, source = load_spec(None)
    findings = {
        f.id: f for f in diagnose(collect(replay_reader(scenario)), spec, source, load_knowledge())
    }
    assert "dlenv setup --only driver" in findings["driver.nouveau"].fix
    assert "dlenv setup --only toolkit" in findings["toolkit.missing"].fix
