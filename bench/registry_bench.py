"""Time to ready on a new machine: pulling from the registry cache against building.

A "new machine" is a fresh Podman storage (its own graphroot and runroot through
CONTAINERS_STORAGE_CONF) with an empty buildah cache-mount directory (a fresh TMPDIR), as in
bench/build_bench.py, whose Sandbox this reuses. Both sides run the same `dlenv up` on the same
spec, CPU profile, until SSH and Jupyter answer:
- build: no `image.registry`; the base image is loaded before the clock starts, the build reads
  PyPI (with --ca-bundle where TLS is intercepted);
- pull: `image.registry` names Debian's docker-registry on loopback (tests/support/registry.py),
  primed once, untimed, by a `dlenv build` that pushed the image there.
Runs alternate which side goes first, so drifting network speed favours neither.

Usage: python bench/registry_bench.py [--runs 4] [--write bench/RESULTS-registry.md]
Needs root, podman, docker-registry, the base image (.ci/prepare-engines.sh) and PyPI.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
from build_bench import BASE_IMAGE, Sandbox, settle  # noqa: E402
from tests.support.registry import free_port, serve_registry  # noqa: E402

PACKAGES = ["jupyterlab", "numpy", "pandas"]
SPEC = """\
name = "bench-registry"
profile = "cpu"
engine = "podman"

[image]
base = "{base}"
apt = []
{registry}
[python]
version = "system"
packages = {packages}

[torch]
enabled = false
"""
SIDES = ("build", "pull")


def write_spec(work: Path, registry: str | None) -> None:
    lines = f'registry = "{registry}/bench"\nregistry_tls = false\n' if registry else ""
    (work / "dlenv.toml").write_text(
        SPEC.format(base=BASE_IMAGE, registry=lines, packages=json.dumps(PACKAGES))
    )


def dlenv(*args: str) -> list[str]:
    return [sys.executable, "-m", "dlenv", *args]


def time_to_ready(box: Sandbox, work: Path, key: Path, ca_bundle: Path) -> tuple[float, str]:
    up = dlenv(
        "up", "--json", "--authorized-keys", f"{key}.pub", "--ca-bundle", str(ca_bundle),
        "--ssh-port", str(free_port()), "--jupyter-port", str(free_port()),
    )  # fmt: skip
    start = time.monotonic()
    done = subprocess.run(up, env=box.env, cwd=work, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    subprocess.run(dlenv("down"), env=box.env, cwd=work, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dlenv up failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return elapsed, done.stderr


def report(
    values: dict[str, list[float]], runs: int, started: datetime.datetime, wall: float
) -> str:
    build, pull = statistics.median(values["build"]), statistics.median(values["pull"])
    lines = [
        "# Registry build cache: time to ready on a new machine",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; wall time {wall / 60:.1f} min; {runs} runs per "
        "side, alternating which side goes first",
        f"- Host: {platform.node()} ({platform.machine()}), Python {platform.python_version()}",
        "- Engine: Podman, a fresh storage and empty cache mounts per run; registry: Debian's",
        "  docker-registry 2.8 on 127.0.0.1",
        f"- Packages: {' '.join(PACKAGES)}; CPU profile, base `{BASE_IMAGE}`, Debian's python3",
        f"- Command: `python bench/registry_bench.py --runs {runs} "
        "--write bench/RESULTS-registry.md`",
        "",
        "| side | `dlenv up` until SSH and Jupyter answer, median (min-max) | runs (s) |",
        "|---|---|---|",
    ]
    for side in SIDES:
        v = values[side]
        runs_text = ", ".join(f"{x:.1f}" for x in v)
        lines.append(
            f"| {side} | {statistics.median(v):.1f} s ({min(v):.1f}-{max(v):.1f}) | {runs_text} |"
        )
    lines += ["", f"Pull / build: **{pull / build:.2f}** (median against median).", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument(
        "--ca-bundle", type=Path, default=Path("/etc/ssl/certs/ca-certificates.crt")
    )
    parser.add_argument("--write", type=Path, default=None, help="write the Markdown report here")
    parser.add_argument("--workdir", type=Path, default=Path("/var/tmp"))
    args = parser.parse_args()
    if shutil.which("docker-registry") is None:
        print("docker-registry is not installed", file=sys.stderr)
        return 1
    started = datetime.datetime.now(datetime.UTC)
    clock = time.monotonic()
    parent = Path(tempfile.mkdtemp(prefix="dlenv-registry-bench-", dir=args.workdir))
    base_tar = parent / "base.tar"
    subprocess.run(["podman", "save", "--output", str(base_tar), BASE_IMAGE], check=True)
    key = parent / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    values: dict[str, list[float]] = {side: [] for side in SIDES}
    (parent / "registry").mkdir()
    try:
        with serve_registry(parent / "registry") as registry:
            prime = Sandbox.make(parent, "prime", base_tar)
            work = prime.root / "work"
            work.mkdir()
            write_spec(work, registry.address)
            try:
                prime.run(dlenv("build", "--ca-bundle", str(args.ca_bundle)), cwd=work)
            finally:
                prime.destroy()
            for run in range(1, args.runs + 1):
                print(f"run {run}/{args.runs}", flush=True)
                for side in SIDES if run % 2 else reversed(SIDES):
                    box = Sandbox.make(parent, f"{side}-{run}", base_tar)
                    work = box.root / "work"
                    work.mkdir()
                    write_spec(work, registry.address if side == "pull" else None)
                    try:
                        settle()
                        elapsed, log = time_to_ready(box, work, key, args.ca_bundle)
                        pulled = "from the registry cache (no build needed)" in log
                        if pulled != (side == "pull"):
                            raise RuntimeError(f"the {side} side did not {side}:\n{log[-3000:]}")
                        values[side].append(elapsed)
                        print(f"  {side:6} {elapsed:8.1f} s", flush=True)
                    finally:
                        box.destroy()
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    text = report(values, args.runs, started, time.monotonic() - clock)
    print(text)
    if args.write:
        args.write.write_text(text)
    return 0


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    sys.exit(main())
