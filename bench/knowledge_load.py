"""How long dlenv's compatibility data takes to load, against baselines.

Each measurement runs in a fresh interpreter (`python -X importtime` would also count imports we
do not own), so module caches and `functools.cache` do not hide the cost:
- baseline: `python -c pass` (interpreter start-up only),
- import: `import dlenv.knowledge` (the modules, no data read),
- load: `load_knowledge()` (read and parse every data file, build the tables and indexes),
- read: reading and parsing the files alone (json / tomllib), to see where load time goes.
Usage: python bench/knowledge_load.py [--runs N] [--write bench/RESULTS-knowledge.md]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SNIPPETS = {
    "read + parse data files": (
        "from dlenv.knowledge.load import DATA_FILES, read_data",
        "[read_data(n) for n in DATA_FILES]",
    ),
    "load_knowledge() (parse + build)": (
        "from dlenv.knowledge.load import load_knowledge",
        "load_knowledge()",
    ),
    "load + 3 queries": (
        "from dlenv.knowledge.load import load_knowledge",
        "k = load_knowledge(); k.gpu_by_name('NVIDIA GeForce RTX 4090');"
        " k.max_cuda_for_driver('550.54.14'); k.cuda_supports_cc('13.0', '6.1')",
    ),
}
BUDGET_MS = 50.0


def _time_in_child(setup: str, stmt: str) -> float:
    code = (
        f"import time\n{setup}\nt = time.perf_counter()\n{stmt}\n"
        "print((time.perf_counter() - t) * 1000)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    rows: list[tuple[str, float, float]] = []
    for label, argv in {
        "baseline: interpreter start (`python -c pass`)": [sys.executable, "-c", "pass"],
        "interpreter + `import dlenv.knowledge`": [
            sys.executable, "-c", "import dlenv.knowledge",
        ],
        "whole `dlenv compat --gpu 'RTX 4090' --driver 550.54.14 --json`": [
            sys.executable, "-m", "dlenv", "compat", "--gpu", "RTX 4090", "--driver", "550.54.14",
            "--json",
        ],
    }.items():
        samples = [_wall(argv) for _ in range(args.runs)]
        rows.append((label, statistics.median(samples), max(samples)))
    for label, (setup, stmt) in SNIPPETS.items():
        samples = [_time_in_child(setup, stmt) for _ in range(args.runs)]
        rows.append((label, statistics.median(samples), max(samples)))
    load_median = rows[4][1]
    lines = [
        "| measurement | median ms | max ms |",
        "|---|---|---|",
        *[f"| {label} | {median:.1f} | {worst:.1f} |" for label, median, worst in rows],
    ]
    verdict = "within" if load_median < BUDGET_MS else "OVER"
    lines.append("")
    lines.append(
        f"load_knowledge() median {load_median:.1f} ms: {verdict} the {BUDGET_MS:.0f} ms budget"
    )
    print("\n".join(lines))
    if args.write:
        args.write.write_text(_report(lines, args.runs), encoding="utf-8")
    return 0 if load_median < BUDGET_MS else 1


def _report(lines: list[str], runs: int) -> str:
    head = [
        "# Knowledge data load time",
        "",
        f"`python bench/knowledge_load.py --runs {runs} --write bench/RESULTS-knowledge.md`",
        f"(Python {sys.version.split()[0]}, {runs} fresh interpreters per row; the in-process rows",
        "time only the statement, after its imports).",
        "",
    ]
    return "\n".join([*head, *lines, ""])


if __name__ == "__main__":
    sys.exit(main())
