"""`dlenv lock` and `dlenv up` resolve through one path, so a fresh lock is never "stale" to up.

Regression (issue 10, item 3): `lock` resolved without host facts while `up` resolved with them;
on an RTX 4070 with driver 550 (which caps CUDA below the newest) `up` refused the lock `lock`
had just written. The host here is a real capture: nvidia-smi of that machine.
"""

from __future__ import annotations

from pathlib import Path

from dlenv.cli import run
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import open_project
from dlenv.environment.resolution import load_effective_spec, resolve_here
from dlenv.lock import LockedLayer, lock_input, write_lock
from tests.support.context import make_context
from tests.support.fakes import FakeRunner
from tests.support.index_config import uv_answers
from tests.support.locks import fixture_lock, lock_from

SMI = Path(__file__).parents[2] / "fixtures" / "captured" / "nvidia-smi"


def rtx4070_on_550() -> FakeRunner:
    return FakeRunner(
        responses={
            ("nvidia-smi", "-L"): (1, "", ""),
            ("nvidia-smi",): (0, (SMI / "rtx4070-x1-550.40.07.txt").read_text(), ""),
            **uv_answers(),
        },
        programs={"nvidia-smi": "/usr/bin/nvidia-smi", "podman": "/usr/bin/podman"},
    )


def test_a_lock_written_for_this_host_is_current_for_up_and_for_lock_check(
    tmp_path: Path,
) -> None:
    ctx = make_context(tmp_path, rtx4070_on_550())
    spec, _ = load_effective_spec(EnvOptions(), ctx)
    wanted = lock_input(resolve_here(spec, ctx))  # what `dlenv lock` resolves and records
    assert wanted.extra_index_urls  # the host's CUDA picks a PyTorch index: not the default's
    # The packages stand in for uv's answer (one captured pin); the input is what matters here.
    pin = fixture_lock().layers[0].packages[:1]
    # In the first layer only: a lock pins each package once.
    layers = tuple(
        LockedLayer(i.name, i.requirements, pin if n == 0 else ())
        for n, i in enumerate(wanted.layers)
    )
    write_lock(tmp_path / "dlenv.lock", lock_from(wanted, layers, "3.12"))

    assert run(["lock", "--check"], ctx) == 0
    project = open_project(EnvOptions(), ctx)  # raised StaleLockError before the fix
    assert project.lock is not None
    assert project.resolved.cuda is not None and project.resolved.cuda.startswith("12.")
