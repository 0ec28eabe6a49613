"""Real captured engine facts, read once per test (sources in the fixture folders' READMEs)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CAPTURED = FIXTURES / "captured"
ENGINE_INFO = FIXTURES / "engine-info"
