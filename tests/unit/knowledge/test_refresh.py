"""The refresh tool on saved upstream excerpts (fixtures/README.md names their sources)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dlenv.knowledge.load import DATA_FILES, read_data
from dlenv.knowledge.refresh import RefreshError, diff, fetch_all, regenerate

FIXTURES = Path(__file__).parent / "fixtures"


def _texts() -> dict[str, str]:
    return {
        "pci.ids": (FIXTURES / "pci.ids.excerpt").read_text(encoding="utf-8"),
        "torch": (FIXTURES / "cog_torch_excerpt.json").read_text(encoding="utf-8"),
        "cuda-images": (FIXTURES / "cog_cuda_excerpt.json").read_text(encoding="utf-8"),
    }


@pytest.fixture(scope="module")
def current() -> dict[str, Any]:
    return {name: read_data(name) for name in DATA_FILES}


def test_regenerate_from_excerpts(current: dict[str, Any]) -> None:
    files = regenerate(current, _texts(), "2026-11-28")
    gpus = {row["name"]: row for row in files["gpus.json"]["gpus"]}
    assert set(gpus) == {
        "GeForce GTX 1080", "Tesla V100 SXM2 16GB", "Quadro RTX 6000/8000", "Tesla T4",
        "A100 SXM4 80GB", "GeForce RTX 4090", "GeForce RTX 4090 D", "GeForce RTX 5090",
    }  # audio functions, subsystem lines and the next vendor are skipped
    assert gpus["Tesla V100 SXM2 16GB"]["pci_ids"] == ["1db1", "1df5"]
    assert gpus["Quadro RTX 6000/8000"]["aliases"] == ["Quadro RTX 6000", "Quadro RTX 8000"]
    assert gpus["GeForce RTX 5090"]["compute_capability"] == "12.0"
    wheels = files["torch.json"]["wheels"]
    assert {w["torch"] for w in wheels} == {"2.9.1"}  # 1.13.1 predates what dlenv installs
    assert {w["variant"] for w in wheels} == {"cpu", "cu126", "cu128", "cu130"}
    tags = {(i["cuda"], i["cudnn_tag"]) for i in files["cuda_images.json"]["images"]}
    assert ("12.2.2", "cudnn8") in tags
    assert ("12.3.2", "cudnn9") in tags
    assert ("13.0.3", "cudnn") in tags


def test_diff_shows_removed_rows(current: dict[str, Any]) -> None:
    files = regenerate(current, _texts(), "2026-11-28")
    lines = diff(current, files)
    assert any(line.startswith("--- gpus.json (shipped)") for line in lines)
    assert any('"name": "GeForce GTX 1080 Ti"' in line and line.startswith("-") for line in lines)


def test_diff_is_empty_when_nothing_changed(current: dict[str, Any]) -> None:
    assert diff(current, current) == []


def test_unreachable_upstream_is_a_clear_error() -> None:
    def offline(url: str) -> str:
        raise OSError("Name or service not known")

    with pytest.raises(RefreshError) as raised:
        fetch_all(offline, {})
    assert "upstream unreachable" in raised.value.message
    assert "pci.ids: cannot reach https://" in (raised.value.details or "")
    assert "--source pci.ids=FILE" in (raised.value.hint or "")


def test_saved_copies_need_no_network() -> None:
    def offline(url: str) -> str:
        raise OSError("offline")

    assert fetch_all(offline, _texts()) == _texts()


def test_schema_violation_blocks_the_refresh(current: dict[str, Any]) -> None:
    texts = _texts()
    texts["torch"] = texts["torch"].replace('"0.24.1"', '"zero"', 1)
    with pytest.raises(RefreshError, match="do not match the schema"):
        regenerate(current, texts, "2026-11-28")
