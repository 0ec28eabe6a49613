"""The verification script: parsing captured nvidia-smi output, the report, the CPU path for real.

The GPU paths (torch CUDA matmul, CuPy, cuDF, DALI) need a GPU: no machine here has one, so they
are checked by running `scripts/verify_gpu.py` when a GPU machine is lent (see the issue note).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlenv.errors import DlenvError
from dlenv.verify import script
from dlenv.verify.report import parse_report, script_text

ROOT = Path(__file__).resolve().parents[3]
SMI = ROOT / "tests/fixtures/captured/nvidia-smi"


def test_gpu_list_of_two_quadros() -> None:
    gpus = script.parse_gpu_list((SMI / "list-quadro-rtx4000-x2.txt").read_text())
    assert [(g["index"], g["name"], g["uuid"]) for g in gpus] == [
        (0, "Quadro RTX 4000", "GPU-c7b57be0-94ff-d352-a59b-d0ee00aeed43"),
        (1, "Quadro RTX 4000", "GPU-d6de6afc-bdfe-75c4-5273-0544439153fc"),
    ]


def test_gpu_list_with_mig_devices() -> None:
    (gpu,) = script.parse_gpu_list((SMI / "mig-list-a100-sxm4-80gb.txt").read_text())
    assert gpu["name"] == "NVIDIA A100-SXM4-80GB"
    assert [m["device"] for m in gpu["mig"]] == list(range(7))
    assert gpu["mig"][1] == {
        "profile": "1g.10gb", "device": 1, "uuid": "MIG-a25704ba-3a06-5299-a795-fd7cf4d13973",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("capture", "versions"),
    [
        ("rtx4070-x1-550.40.07.txt", ("550.40.07", "12.4")),
        ("titan-xp-x1-450.57.txt", ("450.57", "11.0")),
        ("h100-sxm-x8-565.57.01.txt", ("565.57.01", "12.7")),
    ],
)
def test_driver_and_cuda_from_the_banner(capture: str, versions: tuple[str, str]) -> None:
    assert script.parse_versions((SMI / capture).read_text()) == versions


def _replay(listing: str, banner: str, code: int = 0) -> script.Run:
    def run(argv: list[str]) -> tuple[int, str]:
        return (code, listing) if argv == ["nvidia-smi", "-L"] else (code, banner)

    return run


def test_nvidia_smi_checks_pass_on_captured_output() -> None:
    checks = script.check_nvidia_smi(
        _replay(
            (SMI / "list-quadro-rtx4000-x2.txt").read_text(),
            (SMI / "rtx4070-x1-550.40.07.txt").read_text(),
        )
    )
    assert [(c.name, c.status) for c in checks] == [("gpus", "pass"), ("driver", "pass")]
    assert checks[0].detail == "2 GPU(s): 0: Quadro RTX 4000; 1: Quadro RTX 4000"
    assert checks[1].data == {"driver": "550.40.07", "cuda": "12.4"}


@pytest.mark.parametrize("capture", ["no-driver.txt", "no-devices.txt"])
def test_no_gpu_is_a_named_failure(capture: str) -> None:
    text = (SMI / capture).read_text()
    (check,) = script.check_nvidia_smi(_replay(text, text, code=9))
    assert check.status == "fail"
    assert check.detail == f"no GPU visible: {text.strip().splitlines()[0]}"


def test_gpu_profile_without_nvidia_smi_fails_naming_it() -> None:
    report = script.verify("gpu", run=lambda argv: (127, f"{argv[0]} not found on PATH"))
    assert report.failures[0].name == "gpus"
    assert "nvidia-smi not found" in script.render_text(report)
    assert script.render_text(report).splitlines()[-1].startswith("FAILED: gpus (")


def test_tflops_arithmetic() -> None:
    # 2 n^3 per matmul: 10 multiplies of 4096^2 in 0.1 s is 13.74 TFLOP/s.
    assert round(script.tflops(4096, 10, 0.1), 2) == 13.74


def test_cpu_profile_runs_for_real_and_reports_json() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/verify_gpu.py"), "--profile", "cpu", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = parse_report(done.stdout)
    assert report.profile == "cpu" and not report.failures
    names = [c.name for c in report.checks]
    assert names[0] == "cpu"
    numpy = next((c for c in report.checks if c.name == "numpy.matmul.fp32"), None)
    if numpy is not None:  # numpy is a dev dependency here; the script skips it when absent
        assert numpy.status == "pass" and "GFLOP/s" in numpy.detail
    assert report.verdict() == "all checks passed"


def test_gpu_profile_without_a_gpu_exits_1_naming_the_failure() -> None:
    done = subprocess.run(
        [sys.executable, "-", "--profile", "gpu"],
        input=script_text(), capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/nonexistent"},  # no nvidia-smi, as on this machine
    )  # fmt: skip
    assert done.returncode == 1
    assert "FAILED: gpus (no GPU visible: nvidia-smi not found on PATH)" in done.stdout


def test_report_verdict_names_each_failure() -> None:
    data = {
        "profile": "gpu", "python": "3.12.3", "ok": False, "failed": ["torch.cuda"],
        "checks": [
            {"name": "gpus", "status": "pass", "detail": "1 GPU(s): 0: RTX 4070", "data": {}},
            {"name": "torch.cuda", "status": "fail", "detail": "sees no CUDA device", "data": {}},
        ],
    }  # fmt: skip
    report = parse_report(json.dumps(data))
    assert report.verdict() == "failed: torch.cuda: sees no CUDA device"


def test_output_that_is_not_a_report_is_an_error_with_a_hint() -> None:
    with pytest.raises(DlenvError) as failure:
        parse_report("", "OCI runtime exec failed: exec: \"python\": not found", 126)
    assert "did not run (exit 126)" in failure.value.message
    assert "python" in (failure.value.details or "")
    assert "dlenv exec -- python -V" in (failure.value.hint or "")
