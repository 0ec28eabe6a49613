"""Build speed and image size: dlenv's locked, layered build against the tutorial's approach.

Both sides build the same package set on the CPU profile with Podman, from the same base image,
with the same apt packages, uv version, uv cache mounts and bytecode compilation. They differ only
in how Python packages are installed:
- baseline: the tutorial's Containerfile shape: the time zone as a build argument used by the apt
  layer, then uv, then ONE combined `uv pip install` of every Python package;
- dlenv: `dlenv lock` once, then `dlenv build`: one layer per group from the lock, configuration
  (time zone, sshd, Jupyter) last.

Per run and side, in a fresh Podman storage (its own graphroot and runroot through
CONTAINERS_STORAGE_CONF) and a fresh buildah cache-mount directory (buildah keeps cache mounts
under $TMPDIR/buildah-cache, so a fresh TMPDIR empties them):
1. cold build (no layers, empty apt and uv caches; the base image is loaded before the clock);
2. rebuild after adding one small package (`rich`); for dlenv, `dlenv build`, which re-locks
   the stale lock first (only the changed layer) and then builds: the lock is in the time;
3. rebuild after changing only the time zone (Etc/UTC -> Europe/Berlin);
4. the final image's size (`podman image inspect --format {{.Size}}`);
5. dlenv only: `dlenv up` on the built image until SSH and Jupyter answer (then `dlenv down`).
Each timed step starts on a settled disk (`settle`: os.sync, then 2 s), on both sides. The
sandboxes' storages are deleted after the last run, not between runs (see `main`).

Usage: python bench/build_bench.py [--runs 4] [--write bench/RESULTS.md] [--log-dir DIR]
Needs root, podman, the base image localhost/dlenv-test/debian:bookworm (.ci/prepare-engines.sh)
and PyPI (with --ca-bundle where TLS is intercepted). About 15-20 minutes for 4 runs on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BASE_IMAGE = "localhost/dlenv-test/debian:bookworm"
# The benchmark's fixed workload, not the spec's default list (dlenv.spec.model), on purpose:
# results from different sessions compare the same packages, whatever the default becomes.
PACKAGES = [
    "jupyterlab",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "seaborn",
    "scikit-learn",
    "tqdm",
]
ADDED_PACKAGE = "rich"
TIMEZONES = ("Etc/UTC", "Europe/Berlin")
# The same system packages dlenv installs (dlenv.render.context.BASE_APT_PACKAGES), so both images
# hold the same things and the size comparison is about layering, not content.
APT_PACKAGES = "bash ca-certificates openssh-server procps python3 python3-venv tmux tzdata"
UV_VERSION = "0.13.9"
PORTS = (2461, 8461)
TARGETS = {  # the issues' targets (dlenv / baseline ratios; issue 15 for the first two)
    "cold build": 0.9,
    "rebuild after adding a package": 0.1,
    "rebuild after a time-zone change": 0.1,
    "image size": 1.0,
}
UP_TARGET_S = 2.0  # issue 15: median seconds until SSH and Jupyter answer

BASELINE_CONTAINERFILE = """\
FROM {base}
ARG TZ={tz}
ARG DEBIAN_FRONTEND=noninteractive
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\
    ln -snf /usr/share/zoneinfo/$TZ /etc/localtime && echo $TZ >/etc/timezone && \\
    apt-get update && apt-get install -y --no-install-recommends {apt} && \\
    rm -f /etc/ssh/ssh_host_* && install -d /run/sshd
RUN groupadd --gid 1000 dev && useradd --uid 1000 --gid 1000 --create-home dev && \\
    install -d -o 1000 -g 1000 /opt/venv /home/dev/workspace
RUN --mount=type=secret,id=ca,mode=0444 python3 -m venv /tmp/b && \\
    PIP_CERT=/run/secrets/ca /tmp/b/bin/pip install --no-cache-dir uv=={uv} && \\
    install -m 0755 /tmp/b/bin/uv /usr/local/bin/uv && rm -rf /tmp/b
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \\
    UV_CACHE_DIR=/var/cache/uv
USER 1000:1000
RUN --mount=type=cache,target=/var/cache/uv,uid=1000,gid=1000 \\
    uv venv --python /usr/bin/python3 /opt/venv
RUN --mount=type=cache,target=/var/cache/uv,uid=1000,gid=1000 \\
    --mount=type=secret,id=ca,mode=0444 \\
    SSL_CERT_FILE=/run/secrets/ca uv pip install {packages}
USER root
COPY entrypoint.sh /usr/local/bin/entrypoint
EXPOSE 22 8888
ENTRYPOINT ["/usr/local/bin/entrypoint"]
"""

DLENV_SPEC = """\
name = "bench"
profile = "cpu"
engine = "podman"

[image]
base = "{base}"
timezone = "{tz}"
apt = []

[python]
version = "system"
uv = "{uv}"
packages = {packages}
extra = {extra}

[torch]
enabled = false

[ssh]
port = {ssh}

[jupyter]
port = {jupyter}
"""


@dataclass
class Sandbox:
    """A fresh Podman storage and buildah cache-mount directory, and the env that selects them."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)
    log: Path | None = None  # the timed commands' output, with times (--log-dir)

    @classmethod
    def make(
        cls, parent: Path, name: str, base_tar: Path, log_dir: Path | None = None
    ) -> Sandbox:
        root = parent / name
        root.mkdir(parents=True)
        conf = root / "storage.conf"
        conf.write_text(
            f'[storage]\ndriver = "overlay"\ngraphroot = "{root}/graph"\n'
            f'runroot = "{root}/run"\n'
        )
        (root / "tmp").mkdir()
        env = dict(os.environ)
        env.update(
            CONTAINERS_STORAGE_CONF=str(conf),
            TMPDIR=str(root / "tmp"),
            DLENV_STATE_DIR=str(root / "state"),
            PYTHONUNBUFFERED="1",
        )
        box = cls(root, env, log_dir / f"{name}.log" if log_dir else None)
        box.run(["podman", "load", "--input", str(base_tar)])
        settle()
        return box

    def run(self, argv: list[str], cwd: Path | None = None) -> str:
        done = subprocess.run(
            argv, env=self.env, cwd=cwd, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} exited {done.returncode}\n{done.stdout[-3000:]}\n"
                f"{done.stderr[-3000:]}"
            )
        return done.stdout

    def timed(self, argv: list[str], cwd: Path | None = None) -> float:
        """Seconds `argv` takes, after `settle`. With `log` set, every output line goes there
        stamped with the seconds since the start: where a slow run lost its time."""
        settle()
        start = time.monotonic()
        lines: list[str] = []
        with subprocess.Popen(
            argv, env=self.env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(f"{time.monotonic() - start:7.1f} {line.rstrip()}")
        elapsed = time.monotonic() - start
        if self.log is not None:
            with self.log.open("a") as log:
                log.write(f"== {' '.join(argv)}: {elapsed:.1f} s\n" + "\n".join(lines) + "\n")
        if process.returncode != 0:
            tail = "\n".join(lines[-40:])
            raise RuntimeError(f"{' '.join(argv)} exited {process.returncode}\n{tail}")
        return elapsed

    def size(self, ref: str) -> int:
        return int(self.run(["podman", "image", "inspect", "--format", "{{.Size}}", ref]).strip())

    def stop(self) -> None:
        """Remove the sandbox's containers (a few files each), keep its images and caches."""
        subprocess.run(
            ["podman", "rm", "--all", "--force"], env=self.env, capture_output=True, check=False
        )

    def destroy(self) -> None:
        # Not `podman system reset`: it also drops networks, which are shared with other storages.
        self.stop()
        for argv in (["volume", "prune", "--force"], ["rmi", "--all", "--force"]):
            subprocess.run(["podman", *argv], env=self.env, capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def compile_bytecode(src: Path) -> None:
    """Write the .pyc files of the dlenv under `src`, as installing it does: `pip install`
    compiles every module of a wheel by default (its `--no-compile` turns that off), and
    scripts/install.sh installs with pip. Without them, a machine with PYTHONDONTWRITEBYTECODE
    set (this CI machine) compiles every dlenv module from source in every process, a cost no
    installed dlenv pays (bench/RESULTS-doctor.md, sixth session)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(src / "dlenv")], check=True,
        capture_output=True,
    )  # fmt: skip


def settle() -> None:
    """Flush dirty pages before the next timed build.

    Without this, the writeback of one side's deleted storage (about 2 GB) ran during the other
    side's cold build and made whichever side went second about 12 s slower (seen on 2026-11-28:
    the second build of every pair was the slow one, whichever side it was). Every timed step
    starts settled, on both sides: a cold build leaves about 1 GB of image layers still to be
    written back, which the rebuild right after it would otherwise share the disk with, where
    a user adding a package minutes later finds a quiet disk.
    """
    os.sync()
    time.sleep(2)


@dataclass
class Measurements:
    values: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    loads: list[str] = field(default_factory=list)

    def add(self, side: str, metric: str, value: float) -> None:
        self.values.setdefault((side, metric), []).append(value)
        print(f"  {side:8} {metric:34} {value:10.1f}", flush=True)

    def note_load(self, label: str) -> None:
        """The 1-minute load average: other jobs on a shared machine skew the times."""
        self.loads.append(f"{label} {os.getloadavg()[0]:.1f}")

    def median(self, side: str, metric: str) -> float:
        return statistics.median(self.values[(side, metric)])


def baseline_run(box: Sandbox, ca: Path, m: Measurements) -> None:
    work = box.root / "baseline"
    work.mkdir()
    (work / "entrypoint.sh").write_text("#!/bin/sh\nexec sleep infinity\n")
    (work / "entrypoint.sh").chmod(0o755)

    def build(packages: list[str], tz: str) -> float:
        text = BASELINE_CONTAINERFILE.format(
            base=BASE_IMAGE, tz=tz, apt=APT_PACKAGES, uv=UV_VERSION, packages=" ".join(packages)
        )
        (work / "Containerfile").write_text(text)
        argv = ["podman", "build", "--tag", "localhost/bench/baseline:latest"]
        argv += ["--secret", f"id=ca,src={ca}", "--file", str(work / "Containerfile"), str(work)]
        return box.timed(argv)

    m.add("baseline", "cold build", build(PACKAGES, TIMEZONES[0]))
    more = [*PACKAGES, ADDED_PACKAGE]
    m.add("baseline", "rebuild after adding a package", build(more, TIMEZONES[0]))
    m.add("baseline", "rebuild after a time-zone change", build(more, TIMEZONES[1]))
    m.add("baseline", "image size", box.size("localhost/bench/baseline:latest") / 1e6)


def dlenv_run(box: Sandbox, ca: Path, m: Measurements, key: Path) -> None:
    work = box.root / "dlenv"
    work.mkdir()
    dlenv = [sys.executable, "-m", "dlenv"]

    def write_spec(extra: list[str], tz: str) -> None:
        (work / "dlenv.toml").write_text(
            DLENV_SPEC.format(
                base=BASE_IMAGE,
                tz=tz,
                uv=UV_VERSION,
                packages=_toml_list(PACKAGES),
                extra=_toml_list(extra),
                ssh=PORTS[0],
                jupyter=PORTS[1],
            )
        )

    def build() -> float:
        return box.timed([*dlenv, "build", "--ca-bundle", str(ca)], cwd=work)

    write_spec([], TIMEZONES[0])
    m.add("dlenv", "lock (not in the build times)", box.timed([*dlenv, "lock"], cwd=work))
    m.add("dlenv", "cold build", build())
    write_spec([ADDED_PACKAGE], TIMEZONES[0])
    # `dlenv build` re-locks the stale lock itself (only the changed layer), then builds: the
    # re-lock is inside the time, as the user waits for it.
    m.add("dlenv", "rebuild after adding a package", build())
    write_spec([ADDED_PACKAGE], TIMEZONES[1])
    m.add("dlenv", "rebuild after a time-zone change", build())
    tag = box.run([*dlenv, "build", "--ca-bundle", str(ca)], cwd=work).strip().splitlines()[-1]
    m.add("dlenv", "image size", box.size(tag) / 1e6)
    up = [*dlenv, "up", "--authorized-keys", f"{key}.pub", "--ca-bundle", str(ca)]
    try:
        m.add("dlenv", "up until SSH and Jupyter answer", box.timed(up, cwd=work))
    finally:
        box.run([*dlenv, "down"], cwd=work)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    podman = subprocess.run(
        ["podman", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), {mem_kb / 1024**2:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}, {podman}"
    )


def report(m: Measurements, runs: int, started: datetime.datetime, elapsed: float) -> str:
    lines = [
        "# Build benchmark: dlenv vs the tutorial's single-install Containerfile",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; {runs} runs per side; total {elapsed / 60:.1f} min",
        f"- Machine: {machine()}",
        "- Engine: Podman (buildah), fresh storage and empty cache mounts for each cold build",
        f"- Packages: {' '.join(PACKAGES)} (+ `{ADDED_PACKAGE}` for the rebuild); CPU profile,",
        f"  base `{BASE_IMAGE}`, Debian's python3, uv {UV_VERSION}. torch left out: only PyPI is",
        "  reachable here, and PyPI's x86_64 torch is the multi-GB CUDA build.",
        "- Command: `python bench/build_bench.py --runs "
        f"{runs} --ca-bundle /etc/ssl/certs/ca-certificates.crt --write bench/RESULTS.md`",
        "",
        "| measurement | baseline median (min-max) | dlenv median (min-max) | ratio | target "
        "| met |",
        "|---|---|---|---|---|---|",
    ]
    for metric, target in TARGETS.items():
        base, mine = m.values[("baseline", metric)], m.values[("dlenv", metric)]
        ratio = statistics.median(mine) / statistics.median(base)
        unit = " MB" if metric == "image size" else " s"
        lines.append(
            f"| {metric} | {_cell(base, unit)} | {_cell(mine, unit)} | {ratio:.2f} | "
            f"<= {target} | {'yes' if ratio <= target else 'NO'} |"
        )
    up = m.values[("dlenv", "up until SSH and Jupyter answer")]
    lines.append(
        f"| `dlenv up` until SSH and Jupyter answer | - | {_cell(up, ' s')} | - | "
        f"<= {UP_TARGET_S} s | {'yes' if statistics.median(up) <= UP_TARGET_S else 'NO'} |"
    )
    lock = m.values[("dlenv", "lock (not in the build times)")]
    lines += [
        "",
        f"`dlenv lock` (first lock, warm host uv cache): {_cell(lock, ' s')}. The rebuild after",
        "adding a package is `dlenv build` alone: it re-locks the stale lock (only the changed",
        "layer), then builds.",
        "",
        "Load average (1 min) before each side's cold build: " + ", ".join(m.loads) + ".",
        "",
    ]
    return "\n".join(lines)


def _cell(values: list[float], unit: str) -> str:
    return f"{statistics.median(values):.1f}{unit} ({min(values):.1f}-{max(values):.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    # Even, so each side goes first equally often (see the alternation below).
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument(
        "--ca-bundle", type=Path, default=Path("/etc/ssl/certs/ca-certificates.crt")
    )
    parser.add_argument("--write", type=Path, default=None, help="write the Markdown report here")
    parser.add_argument("--workdir", type=Path, default=Path("/var/tmp"))
    parser.add_argument(
        "--log-dir", type=Path, default=None,
        help="keep each sandbox's timed output here, every line stamped with its time",
    )  # fmt: skip
    args = parser.parse_args()
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now(datetime.UTC)
    clock = time.monotonic()
    parent = Path(tempfile.mkdtemp(prefix="dlenv-bench-", dir=args.workdir))
    base_tar = parent / "base.tar"
    subprocess.run(["podman", "save", "--output", str(base_tar), BASE_IMAGE], check=True)
    key = parent / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    compile_bytecode(Path(__file__).parents[1] / "src")
    m = Measurements()
    runners: list[tuple[str, Callable[[Sandbox], None]]] = [
        ("baseline", lambda box: baseline_run(box, args.ca_bundle, m)),
        ("dlenv", lambda box: dlenv_run(box, args.ca_bundle, m, key)),
    ]
    # Every sandbox is deleted after the last run, none between runs. A teardown frees about
    # 4 GB and 150,000 files (on this CI machine's disk: ext4 without a journal, mounted with
    # `discard`), and run 2's cold build, which starts right after one, was the slow outlier of
    # every earlier run of this benchmark (100-105 s against 72-79 s; bench/RESULTS.md, eighth
    # session). A user's build does not start by deleting two images. Disk: about 27 GB.
    boxes: list[Sandbox] = []
    try:
        for run in range(1, args.runs + 1):
            print(f"run {run}/{args.runs}", flush=True)
            # Alternate which side goes first, so drifting network speed favours neither.
            for name, body in runners if run % 2 else reversed(runners):
                box = Sandbox.make(parent, f"{name}-{run}", base_tar, args.log_dir)
                boxes.append(box)
                m.note_load(f"{name} {run}:")
                try:
                    body(box)
                finally:
                    box.stop()
    finally:
        for box in boxes:
            box.destroy()
        shutil.rmtree(parent, ignore_errors=True)
    text = report(m, args.runs, started, time.monotonic() - clock)
    print(text)
    if args.write:
        args.write.write_text(text + _notes_placeholder(args.write))
    return 0


def _notes_placeholder(path: Path) -> str:
    """Keep the hand-written analysis below the generated table across re-runs."""
    marker = "## Analysis"
    if path.exists() and marker in path.read_text():
        return "\n" + marker + path.read_text().split(marker, 1)[1]
    return ""


if __name__ == "__main__":
    sys.exit(main())
