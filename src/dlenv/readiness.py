"""Waiting until the environment answers: the SSH banner and Jupyter's authenticated API."""

from __future__ import annotations

import functools
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dlenv.console import err, info
from dlenv.engine.base import ContainerInfo
from dlenv.engine.cli_engine import CliEngine

if TYPE_CHECKING:
    import urllib.request


@dataclass(frozen=True)
class Endpoints:
    host: str
    ssh_port: int
    jupyter_port: int
    token: str

    @property
    def jupyter_base(self) -> str:
        return f"http://{self.host}:{self.jupyter_port}"


def ssh_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            return conn.recv(64).startswith(b"SSH-")
    except OSError:
        return False


# The probe talks to the container's published port directly, never through a proxy: urlopen()
# would honour http_proxy (urllib has no implicit bypass for 127.0.0.1 unless no_proxy says so)
# and hand the token in the Authorization header to whoever runs the proxy. An empty
# ProxyHandler disables every proxy, environment and system settings alike (urllib.request docs,
# "ProxyHandler": "To disable autodetected proxy pass an empty dictionary").
@functools.cache
def _direct() -> urllib.request.OpenerDirector:
    # Imported here (noqa PLC0415): urllib's HTTP client is for the commands that wait for the
    # services, not for every command that imports this module (`build` does, through the
    # lifecycle).
    import urllib.request  # noqa: PLC0415

    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def jupyter_status(base_url: str, token: str | None, timeout: float = 2.0) -> int | None:
    """HTTP status of GET /api/status (200 with a good token, 403 without); None if no answer."""
    import urllib.error  # noqa: PLC0415  (imported by the probe only: see _direct)
    import urllib.request  # noqa: PLC0415

    # http://HOST:PORT built by dlenv, never a user-supplied scheme.
    request = urllib.request.Request(f"{base_url}/api/status")  # noqa: S310
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with _direct().open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return None


# Polling: the first probes follow each other closely (a service that is already up, as after a
# `restart`, is seen within tens of milliseconds), then the interval grows to a ceiling. The
# ceiling is what `up` loses, on average half of it, between Jupyter answering (0.7-0.9 s after
# `podman run` returns, bench/RESULTS-up.md) and dlenv noticing; at 0.25 s that was 0.12 s of a
# 2 s `up`. A probe before the server listens is a refused connection: ten a second cost nothing.
FIRST_INTERVAL = 0.05
MAX_INTERVAL = 0.1
BACKOFF = 1.5
# How often to ask the engine whether the container still runs: each ask is an engine process.
RUNNING_CHECK_INTERVAL = 1.0


def poll_intervals() -> Iterator[float]:
    """FIRST_INTERVAL, growing by BACKOFF, then MAX_INTERVAL for ever."""
    interval = FIRST_INTERVAL
    while True:
        yield interval
        interval = min(interval * BACKOFF, MAX_INTERVAL)


def wait_until_ready(
    endpoints: Endpoints,
    *,
    still_running: Callable[[], bool],
    timeout: float = 120.0,
    on_progress: Callable[[str], None] = lambda _: None,
) -> None:
    """Block until both services answer. Raises TimeoutError or RuntimeError (container exited).

    SSH and Jupyter are probed at the same time (and the engine asked, when due, alongside
    them), so one slow answer does not delay noticing the other.
    """
    deadline = time.monotonic() + timeout
    ssh_ok = jupyter_ok = False
    next_check = time.monotonic() + RUNNING_CHECK_INTERVAL
    intervals = poll_intervals()
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="dlenv-ready") as pool:
        while time.monotonic() < deadline:
            ssh = None if ssh_ok else pool.submit(ssh_answers, endpoints.host, endpoints.ssh_port)
            jupyter = (
                None
                if jupyter_ok
                else pool.submit(jupyter_status, endpoints.jupyter_base, endpoints.token)
            )
            running = None
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + RUNNING_CHECK_INTERVAL
                running = pool.submit(still_running)
            if not ssh_ok and ssh is not None and ssh.result():
                # sshd answers within tens of milliseconds of the start, Jupyter most of a second
                # later: the engine is asked now, while Jupyter starts, rather than after it.
                ssh_ok, next_check = True, time.monotonic()
            jupyter_ok = jupyter_ok or (jupyter is not None and jupyter.result() == 200)
            if ssh_ok and jupyter_ok:
                return
            if running is not None and not running.result():
                raise RuntimeError("the container stopped while starting")
            on_progress(
                f"waiting for {'Jupyter' if ssh_ok else 'SSH' if jupyter_ok else 'SSH and Jupyter'}"
            )
            time.sleep(min(next(intervals), max(0.0, deadline - time.monotonic())))
    missing = [n for n, ok in (("SSH", ssh_ok), ("Jupyter", jupyter_ok)) if not ok]
    raise TimeoutError(f"{' and '.join(missing)} did not answer within {timeout:.0f} s")


def wait_for_container(
    engine: CliEngine,
    name: str,
    endpoints: Endpoints,
    *,
    timeout: float,
    restarts: int | None = None,
) -> ContainerInfo | None:
    """`wait_until_ready` with a spinner, watching that the container keeps running.
    `restarts`: how often it had restarted when it was started (asked of the engine if None).

    Returns the container as the engine last showed it running while the services came up
    (None if it was not asked), so that `up` need not ask once more after the wait."""
    if restarts is None:
        first = engine.container(name)
        restarts = first.restart_count if first is not None else 0
    seen: list[ContainerInfo] = []

    def running() -> bool:
        # A restart while starting is a crash the restart policy hid: report it now rather
        # than wait out the timeout.
        found = engine.container(name)
        if found is None or found.state != "running" or found.restart_count != restarts:
            return False
        seen.append(found)
        return True

    if not err.is_terminal:
        # The spinner draws nothing in a log or a pipe: say once what is being waited for.
        info("waiting for SSH and Jupyter")
    with err.status("waiting for SSH and Jupyter…") as status:
        wait_until_ready(
            endpoints,
            still_running=running,
            timeout=timeout,
            on_progress=lambda message: status.update(message + "…"),
        )
    return seen[-1] if seen else None
