#!/usr/bin/env python3
"""Run dlenv's verification directly on a host (no container, no dlenv install needed).

    python3 scripts/verify_gpu.py [--profile gpu|cpu|auto] [--json]

It executes src/dlenv/verify/script.py, the same file `dlenv verify` runs inside environments,
so a GPU machine checks the GPU paths (nvidia-smi, torch CUDA matmul TFLOP/s, CuPy, cuDF, DALI).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "src" / "dlenv" / "verify" / "script.py"

if __name__ == "__main__":
    sys.argv[0] = str(SCRIPT)
    runpy.run_path(str(SCRIPT), run_name="__main__")
