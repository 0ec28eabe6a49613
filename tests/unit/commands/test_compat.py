"""`dlenv compat`, table-driven through the real CLI entry point: exit codes, text and JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from dlenv.cli import run
from tests.support.index_config import UPSTREAMS


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    exit_code: int
    expect: str  # substring of stdout (exit 0/1) or stderr (exit 2)


CASES = [
    Case("ada-fits", ("--gpu", "RTX 4090", "--driver", "580.95.05"), 0, "CUDA 13.0"),
    Case(
        "minor-compat-warns", ("--gpu", "NVIDIA GeForce RTX 4090", "--driver", "550.54.14"), 0,
        "through minor-version compatibility",
    ),
    Case(
        "driver-below-floor", ("--gpu", "RTX 4090", "--driver", "418.39"), 1,
        "older than every CUDA major",
    ),
    Case(
        "cuda-13-on-r570", ("--gpu", "RTX 4090", "--driver", "570.124.06", "--cuda", "13.0"), 1,
        "below CUDA 13.x's minimum 580.65.06",
    ),
    Case(
        "kepler-in-12", ("--gpu", "Tesla K80", "--driver", "470.82.01", "--cuda", "12.0"), 1,
        "is not supported by CUDA 12; use CUDA 11.x",
    ),
    Case(
        "volta-in-13", ("--gpu", "V100", "--driver", "580.95.05", "--cuda", "13.0"), 1,
        "Volta 7.0) is not supported by CUDA 13; use CUDA 12.x",
    ),
    Case(
        "pascal-in-13", ("--gpu", "sm_61", "--driver", "580.95.05", "--cuda", "13.0"), 1,
        "best working combination",
    ),
    Case(
        "blackwell-old-torch", ("--gpu", "RTX 5090", "--driver", "575.57.08", "--torch", "2.6"), 1,
        "needs torch >= 2.7",
    ),
    Case(
        "pascal-new-torch-cu126", ("--gpu", "GTX 1080", "--driver", "580.95.05", "--torch", "2.8"),
        0, "torch 2.8.0+cu126",
    ),
    Case(
        "rapids-below-floor", ("--gpu", "GTX 1080", "--driver", "580.95.05", "--with", "rapids"),
        1, "RAPIDS needs compute capability >= 7.0",
    ),
    Case(
        "python-outside-rapids", ("--gpu", "A100", "--with", "rapids", "--python", "3.14"), 1,
        "RAPIDS supports Python 3.10-3.13",
    ),
    # --cuda names the image; without a wheel of its own CUDA, the best same-major wheel serves.
    Case(
        "cuda-without-wheel-pairs",
        ("--gpu", "RTX 4090", "--driver", "595.71.05", "--cuda", "13.2"), 0,
        "the CUDA 13.2 image gets torch 2.11.0+cu130",
    ),
    Case(
        "pairing-prefers-older-minor",
        ("--gpu", "RTX 4090", "--driver", "570.124.06", "--cuda", "12.8", "--torch", "2.6"),
        0, "torch 2.6.0+cu126",
    ),
    Case(
        "pairing-minor-compat-warns",
        ("--gpu", "A100", "--driver", "550.54.14", "--cuda", "12.5", "--torch", "2.7"), 0,
        "driver 550.54.14 runs it only through minor-version compatibility",
    ),
    Case(
        "no-same-major-wheel", ("--gpu", "RTX 4090", "--driver", "595.71.05", "--cuda", "13.2",
                                "--torch", "2.8"), 1, "torch 2.8 has no CUDA 13.x wheel",
    ),
    # A driver branch older than the GPU does not see it (driver_support.toml).
    Case(
        "gpu-newer-than-driver", ("--gpu", "RTX 5090", "--driver", "560.35.03"), 1,
        "driver 560.35.03 (R560) does not support GeForce RTX 5090",
    ),
    Case(
        "gpu-newer-than-driver-fix", ("--gpu", "RTX 5090", "--driver", "560.35.03"), 1,
        "install NVIDIA driver R570 or newer (>= 570.86.16)",
    ),
    Case(
        "blackwell-by-cc-uses-architecture-floor", ("--gpu", "sm_120", "--driver", "565.77"), 1,
        "does not support sm_120 (Blackwell 12.0)",
    ),
    Case("gpu-at-its-first-driver", ("--gpu", "RTX 5090", "--driver", "570.86.16"), 0, "CUDA 12.8"),
    Case("unknown-gpu", ("--gpu", "RTX 4909"), 2, "Did you mean: GeForce RTX 4090"),
    Case("bad-driver", ("--gpu", "RTX 4090", "--driver", "550.x"), 2, 'e.g. "550.54.14"'),
    Case("bad-cuda", ("--cuda", "twelve"), 2, 'Expected e.g. "12.8"'),
    Case("bad-cc", ("--gpu", "sm_99"), 2, "no NVIDIA GPU has compute capability 9.9"),
    Case("bad-group", ("--with", "rapid"), 2, "unknown package group 'rapid'"),
    Case("unknown-cuda", ("--gpu", "RTX 4090", "--cuda", "99.0"), 2, "not a release dlenv knows"),
    Case("unknown-cuda-lists-known", ("--cuda", "99.0"), 2, "Known CUDA releases: 11.8, 12.0"),
    Case("unknown-cuda-suggests", ("--cuda", "12.7"), 2, "Did you mean: 12.6 or 12.8?"),
]


@pytest.mark.parametrize("argv", [
    ("--with", "rapids", "--with", "cupy"),
    ("--with", "rapids,cupy"),
    ("--with", "rapids, cupy", "--with", "cupy"),
])
def test_with_repeated_or_comma_separated_keeps_every_group(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["compat", "--gpu", "A100", "--driver", "580.95.05", *argv, "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0
    assert answer["query"]["groups"] == ["rapids", "cupy"]
    assert set(answer["recommendation"]["groups"]) == {"rapids", "cupy"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_compat(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["compat", *case.argv])
    captured = capsys.readouterr()
    assert code == case.exit_code, captured
    text = captured.err if case.exit_code == 2 else captured.out
    assert case.expect in " ".join(text.split()), text
    if case.exit_code == 2:
        assert "Traceback" not in captured.err


def test_json_not_compatible(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["compat", "--gpu", "V100", "--driver", "580.95.05", "--cuda", "13.0", "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 1
    assert answer["compatible"] is False
    assert any("not supported by CUDA 13" in r for r in answer["reasons"])
    best = answer["recommendation"]
    assert best["cuda"].startswith("12.")
    assert best["torch"]["index_url"] == f"{UPSTREAMS['pytorch']}/{best['torch']['variant']}"


def test_json_compatible(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["compat", "--gpu", "H100", "--driver", "580.95.05", "--with", "cupy", "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0
    assert answer["compatible"] is True
    assert answer["reasons"] == []
    assert answer["recommendation"]["cuda"] == "13.0"
    assert answer["recommendation"]["groups"] == {"cupy": ["cupy-cuda13x>=14"]}
    assert answer["query"]["gpus"][0]["compute_capability"] == "9.0"


def test_json_pairing(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--gpu", "RTX 4090", "--driver", "595.71.05", "--cuda", "13.2", "--json"]
    code = run(["compat", *argv])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0
    best = answer["recommendation"]
    assert best["cuda"] == "13.2"
    assert best["base_image"].startswith("docker.io/nvidia/cuda:13.2.")
    assert best["torch"]["variant"] == "cu130"
    assert any("brings its own CUDA 13.0 runtime" in w for w in answer["warnings"])
