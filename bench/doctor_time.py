# ruff: noqa: PLC0415  (phases() imports inside the timer on purpose)
"""Time `dlenv doctor` on this machine and write bench/RESULTS-doctor.md.

Measures the whole command as a user runs it (a fresh process: interpreter start, imports,
probes, report), and the phases in-process, so a slow run says where its time went.
Run: python bench/doctor_time.py [runs]
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from bench.build_bench import compile_bytecode  # noqa: E402  (the repository root, only now)

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


def main() -> None:
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
        times = sorted(wall(argv, env) for _ in range(RUNS))
        rows.append((name, statistics.median(times), times[0], times[-1]))
    split = phases()
    lines = [
        "# dlenv doctor: time on the CI machine",
        "",
        f"Command: `python bench/doctor_time.py {RUNS}` "
        f"({RUNS} runs each, fresh process per run).",
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
