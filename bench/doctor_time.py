# ruff: noqa: PLC0415  (phases() imports inside the timer on purpose)
"""Time `dlenv doctor` on this machine and write bench/RESULTS-doctor.md.

Measures the whole command as a user runs it (a fresh process: interpreter start, imports,
probes, report), and the phases in-process, so a slow run says where its time went. With
--base, also a revision's doctor, alternating with this checkout's (A B A B ...), and the ratio
pair by pair; --base-python runs B on an interpreter with B's own dependencies.
Run: python bench/doctor_time.py [runs] [--base REV [--base-python PYTHON]]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from bench.base_tree import base_tree, short_commit  # noqa: E402  (the repository root, only now)
from bench.build_bench import compile_bytecode  # noqa: E402

TARGET_S = 0.3  # issue 15: `dlenv doctor`, median seconds

CI_DOCKER = "unix:///var/lib/dlenv-ci-docker/docker.sock"


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=False)
    return time.perf_counter() - start


def phases() -> dict[str, float]:
    start = time.perf_counter()
    from dlenv.context import AppContext
    from dlenv.host.doctor import diagnose
    from dlenv.host.probe import collect
    from dlenv.host.reader import HostReader
    from dlenv.knowledge import load_knowledge
    from dlenv.spec import load_spec

    imported = time.perf_counter()
    # The runner `dlenv doctor` gets: `podman info` comes from dlenv.engine.info_memo when
    # nothing it depends on has changed since the last run.
    inventory = collect(HostReader(runner=AppContext.from_process().runner))
    collected = time.perf_counter()
    spec, source = load_spec(None)
    diagnose(inventory, spec, source, load_knowledge())
    done = time.perf_counter()
    return {
        "import doctor modules": imported - start,
        "probe (files + commands; podman info remembered)": collected - imported,
        "spec + knowledge + rules": done - collected,
    }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="?", type=int, default=7)
    parser.add_argument("--base", help="a git revision to time side by side (B)")
    parser.add_argument("--base-python", type=Path, default=Path(sys.executable))
    return parser.parse_args()


def side_by_side(
    runs: int, env: dict[str, str], a: list[str], b: list[str]
) -> tuple[list[float], list[float]]:
    """`doctor` of A and of B in turn, `runs` times each, after one untimed run of each."""
    wall(a, env)
    wall(b, env)
    pairs = [(wall(a, env), wall(b, env)) for _ in range(runs)]
    return [x for x, _ in pairs], [y for _, y in pairs]


def main() -> None:
    args = arguments()
    runs: int = args.runs
    env = dict(os.environ)
    if Path(CI_DOCKER.removeprefix("unix://")).exists():
        env["DOCKER_HOST"] = CI_DOCKER
    os.environ.update(env)
    # This interpreter, not `dlenv` from PATH: where PATH starts with pyenv's shims (the CI
    # machine), the shim's own bash start-up (about 0.4 s) would be timed as dlenv's.
    dlenv = [sys.executable, "-m", "dlenv"]
    compile_bytecode(HERE.parent / "src")
    wall([*dlenv, "doctor"], env)  # warm the page cache once
    cases = {
        # The floor: this interpreter's own start-up, with whatever site's .pth files import.
        "python -c pass (interpreter start-up)": [sys.executable, "-c", "pass"],
        "dlenv doctor": [*dlenv, "doctor"],
        "dlenv doctor --json": [*dlenv, "doctor", "--json"],
        "dlenv --version (CLI start-up alone)": [*dlenv, "--version"],
        "podman info --format json (slowest probe)": ["podman", "info", "--format", "json"],
    }
    rows = []
    for name, argv in cases.items():
        times = sorted(wall(argv, env) for _ in range(runs))
        rows.append((name, statistics.median(times), times[0], times[-1]))
    compared: list[str] = []
    if args.base:
        repo = HERE.parent
        with (
            tempfile.TemporaryDirectory(prefix="dlenv-doctor-") as parent,
            base_tree(repo, args.base, Path(parent) / "b") as b,
        ):
            compile_bytecode(b / "src")
            # Both sides from their source tree, with the same PATH (the podman info memo's
            # fingerprint holds PATH), so each side answers from the same memo.
            a_argv = ["env", f"PYTHONPATH={repo / 'src'}", *dlenv, "doctor"]
            b_argv = ["env", f"PYTHONPATH={b / 'src'}", str(args.base_python), "-m", "dlenv",
                      "doctor"]  # fmt: skip
            a_times, b_times = side_by_side(runs, env, a_argv, b_argv)
        label = f"{args.base} ({short_commit(repo, args.base)}), run by {args.base_python}"
        for name, times in (("A: this checkout", a_times), (f"B: {label}", b_times)):
            rows.append((f"dlenv doctor, {name}", statistics.median(times), min(times),
                         max(times)))  # fmt: skip
        ratios = [x / y for x, y in zip(a_times, b_times, strict=True)]
        a_median = statistics.median(a_times)
        compared = [
            f"Side by side ({runs} alternating runs each): A/B pair by pair, median "
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}). "
            f"Target: A's median <= {TARGET_S} s: {'met' if a_median <= TARGET_S else 'NOT met'}"
            f" ({a_median:.3f} s).",
            "",
        ]
    split = phases()
    lines = [
        "# dlenv doctor: time on the CI machine",
        "",
        f"Command: `python bench/doctor_time.py {' '.join(sys.argv[1:])}` "
        f"({runs} runs each, fresh process per run).",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; "
        f"DOCKER_HOST={env.get('DOCKER_HOST', '(unset)')}. Load average at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(other jobs share the CPUs; min is the "
        "closest to an idle machine).",
        "",
        "| what | median s | min s | max s |",
        "|---|---|---|---|",
        *[f"| {n} | {m:.3f} | {lo:.3f} | {hi:.3f} |" for n, m, lo, hi in rows],
        "",
        *compared,
        "In-process phases of one run:",
        "",
        "| phase | s |",
        "|---|---|",
        *[f"| {n} | {v:.3f} |" for n, v in split.items()],
        "",
    ]
    target = HERE / "RESULTS-doctor.md"
    # The hand-written analysis below the generated tables survives a re-run.
    kept = target.read_text().split("## Analysis", 1) if target.exists() else []
    tail = "\n## Analysis" + kept[1] if len(kept) == 2 else ""
    target.write_text("\n".join(lines) + tail)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
