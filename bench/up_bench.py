"""`dlenv up` on a built image until SSH and Jupyter answer: this checkout against a git revision.

Side by side in one run: both sides build their own image of the same spec (build_bench's
DLENV_SPEC: JupyterLab and the scientific stack, CPU profile) in one fresh Podman storage, then
`dlenv up` / `dlenv down` alternate, A B A B ..., each `up` timed as a whole process from its
start until it exits (it exits once SSH and Jupyter answer). The ratio is taken pair by pair.

Usage: python bench/up_bench.py --base REV [--runs 7] [--ca-bundle FILE] [--write FILE]
       [--base-python PYTHON]  (B on an interpreter with its own dependencies)
       [--first]  (each `up` as a machine's first: volumes and dlenv's podman-info memo removed)
Needs what build_bench.py needs (root, podman, the base image, PyPI). About 5 minutes.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from bench.base_tree import base_tree, short_commit  # noqa: E402
from bench.build_bench import (  # noqa: E402  (the repository root is on sys.path only now)
    BASE_IMAGE,
    DLENV_SPEC,
    PACKAGES,
    TIMEZONES,
    UV_VERSION,
    Sandbox,
    _toml_list,
    compile_bytecode,
    machine,
)

from dlenv.context import cache_root  # noqa: E402

TARGET_S = 2.0  # issue 15: median seconds until SSH and Jupyter answer


def side(
    box: Sandbox, name: str, src: Path, ports: tuple[int, int], python: Path
) -> tuple[list[str], Path]:
    """A project directory for one side and the argv that runs that side's dlenv (its source on
    PYTHONPATH, run by `python`: an interpreter with that side's dependencies)."""
    work = box.root / name
    work.mkdir()
    (work / "dlenv.toml").write_text(
        DLENV_SPEC.format(
            base=BASE_IMAGE,
            tz=TIMEZONES[0],
            uv=UV_VERSION,
            packages=_toml_list(PACKAGES),
            extra="[]",
            ssh=ports[0],
            jupyter=ports[1],
        ).replace('name = "bench"', f'name = "{name}"')
    )
    return ["env", f"PYTHONPATH={src}", str(python), "-m", "dlenv"], work


def forget(box: Sandbox) -> None:
    """What a first `up` on a machine does not find: its containers and volumes (the workspace,
    the host keys, the shared caches) and dlenv's remembered `podman info`."""
    box.stop()
    subprocess.run(["podman", "volume", "prune", "--force"], env=box.env, capture_output=True,
                   check=False)  # fmt: skip
    (cache_root() / f"podman-info-{os.geteuid()}.json").unlink(missing_ok=True)


def alternate(
    parent: Path, repo: Path, old_tree: Path, args: argparse.Namespace
) -> dict[str, list[float]]:
    """Build each side's image, then time `up` A, B, A, B ... in one Podman storage."""
    base_tar = parent / "base.tar"
    subprocess.run(["podman", "save", "--output", str(base_tar), BASE_IMAGE], check=True)
    box = Sandbox.make(parent, "storage", base_tar)
    key = parent / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    ca = ["--ca-bundle", str(args.ca_bundle)] if args.ca_bundle else []
    compile_bytecode(repo / "src")
    compile_bytecode(old_tree / "src")
    sides = {
        "A": side(box, "upa", repo / "src", (2471, 8471), Path(sys.executable)),
        "B": side(box, "upb", old_tree / "src", (2472, 8472), args.base_python),
    }
    times: dict[str, list[float]] = {"A": [], "B": []}
    try:
        for dlenv, work in sides.values():
            box.run([*dlenv, "lock"], cwd=work)
            box.run([*dlenv, "build", *ca], cwd=work)
        up = ["up", "--authorized-keys", f"{key}.pub", *ca]
        for run in range(args.runs):
            for name, (dlenv, work) in sides.items():
                if args.first:
                    forget(box)
                times[name].append(box.timed([*dlenv, *up], cwd=work))
                box.run([*dlenv, "down"], cwd=work)
                time.sleep(1)  # the engine's clean-up of the last container, not timed
            print(f"run {run + 1}: A {times['A'][-1]:.2f} s, B {times['B'][-1]:.2f} s", flush=True)
    finally:
        box.destroy()
        base_tar.unlink(missing_ok=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--base", required=True, help="the git revision to compare against")
    parser.add_argument("--ca-bundle", type=Path, default=None)
    parser.add_argument("--write", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=Path("/var/tmp"))
    parser.add_argument(
        "--first",
        action="store_true",
        help="time first `up`s: no volumes, no remembered `podman info` (they are removed "
        "before each)",
    )
    parser.add_argument(
        "--base-python",
        type=Path,
        default=Path(sys.executable),
        help="the interpreter for B, when the base needs other dependencies (a virtual "
        "environment with them); A runs on this one",
    )
    args = parser.parse_args()
    started = datetime.datetime.now(datetime.UTC)
    repo = HERE.parent
    parent = Path(tempfile.mkdtemp(prefix="dlenv-up-bench-", dir=args.workdir))
    with base_tree(repo, args.base, parent / "base-tree") as old_tree:
        times = alternate(parent, repo, old_tree, args)
    base_commit = short_commit(repo, args.base)
    base_python_is_ours = args.base_python == Path(sys.executable)
    ratios = [a / b for a, b in zip(times["A"], times["B"], strict=True)]
    a, b = statistics.median(times["A"]), statistics.median(times["B"])
    text = "\n".join([
        "# `dlenv up` until SSH and Jupyter answer: this checkout (A) against a revision (B)",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; {args.runs} alternating runs per side",
        f"- Machine: {machine()}; load average at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- B: `{args.base}` ({base_commit}), run by {args.base_python}",
        f"- Command: `python bench/up_bench.py --runs {args.runs} --base {args.base}"
        f"{' --ca-bundle ' + str(args.ca_bundle) if args.ca_bundle else ''}"
        f"{'' if base_python_is_ours else ' --base-python ' + str(args.base_python)}"
        f"{' --first' if args.first else ''}`",
        "",
        "| side | median s | min s | max s | each run, s |",
        "|---|---|---|---|---|",
        *[
            f"| {n} | {statistics.median(t):.2f} | {min(t):.2f} | {max(t):.2f} | "
            f"{', '.join(f'{x:.2f}' for x in t)} |"
            for n, t in times.items()
        ],
        "",
        f"A/B pair by pair: median {statistics.median(ratios):.2f} "
        f"({min(ratios):.2f}-{max(ratios):.2f}). Target: A's median <= {TARGET_S} s: "
        f"{'met' if a <= TARGET_S else 'NOT met'} ({a:.2f} s; B {b:.2f} s).",
        "",
    ])  # fmt: skip
    print(text)
    if args.write:
        kept = args.write.read_text().split("## Analysis", 1) if args.write.exists() else []
        args.write.write_text(text + ("\n## Analysis" + kept[1] if len(kept) == 2 else ""))


if __name__ == "__main__":
    main()
