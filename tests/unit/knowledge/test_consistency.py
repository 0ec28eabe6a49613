"""Offline checks that the shipped tables agree with each other and with their schema."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from dlenv.knowledge import load_knowledge
from dlenv.knowledge.load import DATA_FILES, read_data
from dlenv.knowledge.schema import validate_files
from dlenv.knowledge.versions import as_tuple, xy


@pytest.fixture(scope="module")
def files() -> dict[str, Any]:
    return {name: read_data(name) for name in DATA_FILES}


def test_every_file_matches_its_schema(files: dict[str, Any]) -> None:
    assert validate_files(files) == []


def test_schema_reports_a_broken_row(files: dict[str, Any]) -> None:
    broken = dict(files)
    broken["cuda.toml"] = {**files["cuda.toml"], "release": [{"cuda": "12.8"}]}
    problems = validate_files(broken)
    assert any("cuda.toml" in p and "driver" in p for p in problems)


@pytest.mark.parametrize(
    ("field", "value"),
    [("cuda", "12.8\n"), ("cuda", "\uff11\uff12.8"), ("as_of", "2025-01-01\n"), ("source", "x"),
     ("driver", 570), ("extra", "x")],
)  # fmt: skip
def test_schema_matches_each_value_whole(files: dict[str, Any], field: str, value: Any) -> None:
    # A trailing newline, a non-ASCII digit, a short source, a number for text, an unknown key.
    row = {**files["cuda.toml"]["release"][0], field: value}
    broken = {**files, "cuda.toml": {**files["cuda.toml"], "release": [row]}}
    (problem,) = validate_files(broken)
    assert problem.startswith("cuda.toml: release[0]: ")
    assert field in problem


def test_every_torch_cuda_has_a_driver_row() -> None:
    k = load_knowledge()
    for wheel in k.torch.wheels:
        if wheel.cuda and wheel.cuda not in k.cuda.versions():
            # Older variants (cu121, cu124) only need the major's floor.
            assert k.cuda.major(wheel.cuda) is not None, wheel


def test_every_recent_cuda_variant_has_a_kernel_set() -> None:
    k = load_knowledge()
    missing = [
        f"{w.torch}+{w.variant}"
        for w in k.torch.wheels
        if w.variant != "cpu" and k.torch.kernels_for(w) is None
    ]
    assert missing == []


def test_gpu_names_are_unique_per_compute_capability() -> None:
    k = load_knowledge()
    counts = Counter((m.name, m.compute_capability) for m in k.gpus.models)
    assert [key for key, n in counts.items() if n > 1] == []


def test_pci_ids_are_unique_and_well_formed() -> None:
    k = load_knowledge()
    ids = [pci for m in k.gpus.models for pci in m.pci_ids]
    assert all(re.fullmatch(r"[0-9a-f]{4}", pci) for pci in ids)
    assert [pci for pci, n in Counter(ids).items() if n > 1] == []


def test_every_gpu_cc_is_known_to_cuda() -> None:
    k = load_knowledge()
    known = {c.cc for c in k.cuda.ccs}
    assert {m.compute_capability for m in k.gpus.models} - known <= {"3.0"}  # pre-CUDA-11 Kepler


def test_image_tags_follow_the_cudnn_naming_for_their_version() -> None:
    k = load_knowledge()
    rules = read_data("images.toml")["cudnn_naming"]
    for image in k.images.images:
        rule = next(
            r for r in rules if as_tuple(r["from"]) <= as_tuple(image.cuda) <= as_tuple(r["until"])
        )
        assert image.cudnn_tag == rule["tag"], image


def test_every_cuda_release_has_an_image() -> None:
    k = load_knowledge()
    with_images = {xy(i.cuda) for i in k.images.images}
    assert [c for c in k.cuda.versions() if c not in with_images] == []


def test_every_stable_cuda_has_wheels() -> None:
    k = load_knowledge()
    for minor, cudas in k.torch.stable.items():
        variants = {w.cuda for w in k.torch.wheels if w.minor == minor}
        assert set(cudas) <= variants, minor


def test_release_drivers_rise_with_cuda() -> None:
    drivers = [as_tuple(r.driver) for r in load_knowledge().cuda.releases]
    assert drivers == sorted(drivers)


def test_every_row_names_its_source_and_date(files: dict[str, Any]) -> None:
    k = load_knowledge()
    rows: list[Any] = [
        *k.gpus.models, *k.cuda.majors, *k.cuda.releases, *k.cuda.ccs,
        *k.torch.wheels, *k.torch.kernels, *k.images.images, *k.packages.groups,
    ]
    assert all(r.source and re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.as_of) for r in rows)


def test_first_driver_rows_name_known_blackwell_ids_once() -> None:
    k = load_knowledge()
    ids = [row.pci_id for row in k.drivers.gpus]
    assert len(ids) == len(set(ids))
    for row in k.drivers.gpus:
        model = k.gpu_by_pci_id(row.pci_id)
        # pci.ids may not list the newest boards yet; those it lists must agree on the family.
        assert model is None or model.architecture == "Blackwell", row
        arch = next(a for a in k.drivers.architectures if a.architecture == "Blackwell")
        # No board of an architecture is supported before the architecture's first release.
        assert as_tuple(row.first_driver) >= as_tuple(arch.first_driver), row


def test_every_open_only_architecture_is_one_the_gpu_table_knows() -> None:
    k = load_knowledge()
    architectures = {m.architecture for m in k.gpus.models}
    for row in k.drivers.architectures:
        assert row.architecture in architectures, row
        assert row.source and row.as_of, row


def test_first_driver_floors_lie_within_a_cuda_major_dlenv_uses() -> None:
    # A floor below every CUDA major's minimum would never fire; one above the newest CUDA
    # release's driver would refuse every driver dlenv knows.
    k = load_knowledge()
    lowest = min(as_tuple(m.minor_compat_floor) for m in k.cuda.majors)
    newest = max(as_tuple(r.latest_update_driver) for r in k.cuda.releases)
    for row in (*k.drivers.gpus, *k.drivers.architectures):
        assert lowest <= as_tuple(row.first_driver) <= newest, row
