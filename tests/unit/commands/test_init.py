"""`dlenv init`: a commented, valid dlenv.toml for this host; never overwrites without --force."""

from pathlib import Path

import pytest

from dlenv.cli import run
from dlenv.host.recommend import Recommendation, spec_text
from dlenv.spec import parse_spec

GOLDEN = Path(__file__).parents[1] / "host" / "golden"


def test_writes_a_cpu_spec_on_this_gpu_less_host(tmp_path: Path):
    target = tmp_path / "dlenv.toml"
    assert run(["init", "--yes", "--path", str(target)]) == 0
    text = target.read_text()
    spec = parse_spec(text, str(target))
    assert spec.profile == "cpu"
    assert "# dlenv init: profile cpu: no NVIDIA GPU found" in text
    assert "# Shared memory for DataLoader workers" in text  # the default's comments survive


def test_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    target = tmp_path / "dlenv.toml"
    target.write_text("# mine\n")
    assert run(["init", "--yes", "--path", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_text() == "# mine\n"
    assert run(["init", "--yes", "--force", "--path", str(target), "--engine", "docker"]) == 0
    assert parse_spec(target.read_text(), "t").engine == "docker"


def test_flags_override_detection(tmp_path: Path):
    target = tmp_path / "dlenv.toml"
    argv = [
        "init",
        "--yes",
        "--path",
        str(target),
        "--profile",
        "gpu",
        "--cuda",
        "12.8",
        "--groups",
        "cupy,polars",
        "--name",
        "vision",
    ]
    assert run(argv) == 0
    spec = parse_spec(target.read_text(), "t")
    assert (spec.profile, spec.image.cuda, spec.python.groups, spec.name) == (
        "gpu",
        "12.8",
        ["cupy", "polars"],
        "vision",
    )


def test_bad_values_are_refused_before_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    target = tmp_path / "dlenv.toml"
    assert run(["init", "--yes", "--path", str(target), "--groups", "rapid"]) == 2
    assert 'did you mean "rapids"' in capsys.readouterr().err
    assert not target.exists()
    assert run(["init", "--yes", "--path", str(target), "--engine", "lxc"]) == 2
    assert not target.exists()


def test_generated_text_matches_the_golden_file():
    rec = Recommendation(
        "gpu",
        "podman",
        "12.8",
        groups=("cupy",),
        reasons=(
            "engine podman: answers on this host (podman found)",
            "CUDA 12.8: what dlenv resolves for driver 570.124.06 and NVIDIA GeForce RTX 4090",
        ),
    )
    # Input: a frozen copy of the embedded default spec, so the golden tests the editing alone.
    base = (GOLDEN / "default-spec-input.toml").read_text()
    assert spec_text(rec, base) == (GOLDEN / "init-gpu-podman.toml").read_text()
