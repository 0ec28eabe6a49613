"""Proof that the environment computes: GPUs, driver, CUDA, PyTorch, CuPy, cuDF, DALI (or CPU).

Plain Python with the standard library only, one file, no dlenv imports: `dlenv verify` pipes it
into `python -` inside the container, and `scripts/verify_gpu.py` runs it directly on a host.
Optional libraries are used when importable and reported as skipped when not.

    python script.py [--profile gpu|cpu|auto] [--json]

Exit status: 0 when every check passed or was skipped, 1 when any failed (each failure named).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

PASS, FAIL, SKIP = "pass", "fail", "skip"

# nvidia-smi -L: "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-7fda...)" and, under it with MIG on,
# "  MIG 1g.10gb     Device  0: (UUID: MIG-feb8...)".
_GPU_LINE = re.compile(r"GPU (\d+): (.+?) \(UUID: (GPU-[0-9a-fA-F-]+)\)\s*")  # fullmatch
_MIG_LINE = re.compile(r"\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[^)]+)\)\s*")
# The banner of plain `nvidia-smi`: "Driver Version: 550.40.07      CUDA Version: 12.4".
_BANNER = re.compile(r"Driver Version:\s*([\d.]+)\s+CUDA Version:\s*([\d.]+)")


@dataclass
class Check:
    name: str
    status: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    profile: str
    python: str
    checks: list[Check]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "python": self.python,
            "ok": not self.failures,
            "failed": [c.name for c in self.failures],
            "checks": [asdict(c) for c in self.checks],
        }


# Parsers (pure: tested on captured nvidia-smi output) --------------------------------------
def parse_gpu_list(text: str) -> list[dict[str, Any]]:
    gpus: list[dict[str, Any]] = []
    for line in text.splitlines():
        gpu = _GPU_LINE.fullmatch(line)
        if gpu:
            gpus.append({"index": int(gpu[1]), "name": gpu[2], "uuid": gpu[3], "mig": []})
            continue
        mig = _MIG_LINE.fullmatch(line)
        if mig and gpus:
            gpus[-1]["mig"].append({"profile": mig[1], "device": int(mig[2]), "uuid": mig[3]})
    return gpus


def parse_versions(banner: str) -> tuple[str, str] | None:
    """(driver, highest CUDA the driver supports) from plain `nvidia-smi` output."""
    match = _BANNER.search(banner)
    return (match[1], match[2]) if match else None


def tflops(n: int, iterations: int, seconds: float) -> float:
    """A square n x n matmul is 2 n^3 floating-point operations."""
    return 2 * n**3 * iterations / seconds / 1e12


# Checks --------------------------------------------------------------------------------------
Run = Callable[[list[str]], tuple[int, str]]


def run_program(argv: list[str]) -> tuple[int, str]:
    if shutil.which(argv[0]) is None:
        # The shell's status for a command not found (Bash manual, "Exit Status").
        return 127, f"{argv[0]} not found on PATH"
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, (done.stdout + done.stderr).strip()


def check_nvidia_smi(run: Run) -> list[Check]:
    code, listing = run(["nvidia-smi", "-L"])
    gpus = parse_gpu_list(listing) if code == 0 else []
    if not gpus:
        why = listing.splitlines()[0] if listing else f"nvidia-smi exited {code}"
        return [Check("gpus", FAIL, f"no GPU visible: {why}")]
    names = "; ".join(f"{g['index']}: {g['name']}" + (f" ({len(g['mig'])} MIG)" if g["mig"] else "")
                      for g in gpus)
    found = [Check("gpus", PASS, f"{len(gpus)} GPU(s): {names}", {"gpus": gpus})]
    code, banner = run(["nvidia-smi"])
    versions = parse_versions(banner) if code == 0 else None
    if versions is None:
        found.append(Check("driver", FAIL, "nvidia-smi printed no driver/CUDA version"))
    else:
        found.append(Check("driver", PASS, f"driver {versions[0]}, supports CUDA {versions[1]}",
                           {"driver": versions[0], "cuda": versions[1]}))
    return found


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def check_torch_gpu(n: int = 4096, iterations: int = 20) -> list[Check]:
    torch = _optional("torch")
    if torch is None:
        return [Check("torch", SKIP, "PyTorch is not installed")]
    if not torch.cuda.is_available():
        return [Check("torch.cuda", FAIL, f"torch {torch.__version__} (CUDA build "
                      f"{torch.version.cuda}) sees no CUDA device")]
    device = torch.cuda.get_device_name(0)
    found = [Check("torch.cuda", PASS,
                   f"torch {torch.__version__}, CUDA {torch.version.cuda}, "
                   f"{torch.cuda.device_count()} device(s), cuDNN {torch.backends.cudnn.version()}",
                   {"torch": torch.__version__, "cuda": torch.version.cuda, "device": device})]
    for label, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        found.append(_torch_matmul(torch, "cuda", label, dtype, n, iterations))
    return found


def _torch_matmul(
    torch: Any, device: str, label: str, dtype: Any, n: int, iterations: int
) -> Check:
    name = f"torch.matmul.{label}" + ("" if device == "cuda" else ".cpu")
    try:
        a = torch.randn(n, n, device=device, dtype=dtype)
        b = torch.randn(n, n, device=device, dtype=dtype)
        torch.matmul(a, b)  # warm-up: kernel selection and (lazy) CUDA context
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
        sync()
        start = time.perf_counter()
        for _ in range(iterations):
            c = torch.matmul(a, b)
        sync()
        seconds = time.perf_counter() - start
        if not bool(torch.isfinite(c).all()):
            return Check(name, FAIL, f"{label} matmul produced non-finite values")
    except Exception as error:  # any failure of the GPU stack is the finding
        return Check(name, FAIL, f"{label} matmul failed: {error}")
    rate = tflops(n, iterations, seconds)
    return Check(name, PASS, f"{label} {n}x{n} matmul: {rate:.2f} TFLOP/s",
                 {"tflops": round(rate, 3), "n": n, "iterations": iterations})


def check_cupy() -> Check:
    cupy = _optional("cupy")
    if cupy is None:
        return Check("cupy", SKIP, "CuPy is not installed")
    try:
        total = int(cupy.arange(1000).sum())
    except Exception as error:
        return Check("cupy", FAIL, f"CuPy {cupy.__version__} failed a reduction: {error}")
    status = PASS if total == 499500 else FAIL
    return Check("cupy", status, f"CuPy {cupy.__version__}: sum(arange(1000)) = {total}")


def check_cudf() -> Check:
    cudf = _optional("cudf")
    if cudf is None:
        return Check("cudf", SKIP, "cuDF is not installed")
    try:
        total = int(cudf.Series([1, 2, 3]).sum())
    except Exception as error:
        return Check("cudf", FAIL, f"cuDF {cudf.__version__} failed a reduction: {error}")
    status = PASS if total == 6 else FAIL
    return Check("cudf", status, f"cuDF {cudf.__version__}: Series sum = {total}")


def check_dali() -> Check:
    dali = _optional("nvidia.dali")
    if dali is None:
        return Check("dali", SKIP, "DALI is not installed")
    try:
        fn = importlib.import_module("nvidia.dali.fn")

        def graph() -> Any:
            return fn.random.uniform(shape=[4], device="gpu")

        pipe = dali.pipeline_def(batch_size=2, num_threads=1, device_id=0)(graph)()
        pipe.build()
        (out,) = pipe.run()
        shape = out.as_cpu().as_array().shape
    except Exception as error:
        return Check("dali", FAIL, f"DALI {dali.__version__} failed a GPU pipeline: {error}")
    return Check("dali", PASS, f"DALI {dali.__version__}: GPU pipeline gave a batch of {shape}")


def check_cpu() -> list[Check]:
    found = [Check("cpu", PASS, f"{platform.machine()}, {_cpu_count()} CPU(s)")]
    numpy = _optional("numpy")
    if numpy is None:
        found.append(Check("numpy", SKIP, "NumPy is not installed"))
    else:
        n, iterations = 512, 5
        a = numpy.random.default_rng(0).random((n, n), dtype=numpy.float32)
        a @ a  # warm-up: the BLAS thread pool starts on first use
        start = time.perf_counter()
        for _ in range(iterations):
            c = a @ a
        rate = tflops(n, iterations, time.perf_counter() - start)
        ok = bool(numpy.isfinite(c).all())
        detail = f"NumPy {numpy.__version__} {n}x{n} fp32 matmul: {rate * 1e3:.1f} GFLOP/s"
        found.append(Check("numpy.matmul.fp32", PASS if ok else FAIL, detail,
                           {"tflops": round(rate, 6)}))
    torch = _optional("torch")
    if torch is None:
        found.append(Check("torch", SKIP, "PyTorch is not installed"))
    else:
        found.append(Check("torch", PASS, f"torch {torch.__version__} (CPU)"))
        for label, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
            found.append(_torch_matmul(torch, "cpu", label, dtype, 512, 5))
    pandas = _optional("pandas")
    if pandas is not None:
        total = int(pandas.Series([1, 2, 3]).sum())
        found.append(Check("pandas", PASS if total == 6 else FAIL,
                           f"pandas {pandas.__version__}: Series sum = {total}"))
    return found


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def verify(profile: str, run: Run = run_program) -> Report:
    if profile == "auto":
        profile = "gpu" if shutil.which("nvidia-smi") else "cpu"
    if profile == "gpu":
        checks = check_nvidia_smi(run)
        checks += check_torch_gpu()
        checks += [check_cupy(), check_cudf(), check_dali()]
    else:
        checks = check_cpu()
    return Report(profile, platform.python_version(), checks)


def render_text(report: Report) -> str:
    marks = {PASS: "ok  ", FAIL: "FAIL", SKIP: "skip"}
    lines = [f"dlenv verify ({report.profile} profile, Python {report.python})"]
    lines += [f"  {marks[c.status]}  {c.name:<22} {c.detail}" for c in report.checks]
    if report.failures:
        lines.append("FAILED: " + ", ".join(f"{c.name} ({c.detail})" for c in report.failures))
    else:
        lines.append("all checks passed")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that GPUs and the DL stack work.")
    parser.add_argument("--profile", choices=("gpu", "cpu", "auto"), default="auto")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = verify(args.profile)
    print(json.dumps(report.to_json(), indent=2) if args.json else render_text(report))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
