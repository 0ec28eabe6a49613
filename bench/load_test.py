"""Load on a running environment: SSH sessions running Python and Jupyter kernels executing over
the kernel websocket, all at once, for a bounded time; the container's memory sampled throughout.

    python bench/load_test.py --engine podman --name dlenv --identity ~/.ssh/dlenv_ed25519 \
        [--ssh-sessions 20] [--kernels 4] [--seconds 60] [--json]

Ports, user and token come from `dlenv status --json` (DLENV_STATE_DIR and the engine's
environment as for dlenv). Every SSH session opens at the same moment (a barrier), as a burst of
parallel jobs or an IDE's channels do: that is what OpenSSH's MaxStartups limits. A kernel is
driven as JupyterLab and VS Code drive one: `POST /api/kernels`, then `execute_request` messages
on `/api/kernels/ID/channels` (Jupyter messaging protocol 5.x:
https://jupyter-client.readthedocs.io/en/stable/messaging.html), waiting for each
`execute_reply`. Exit status 0 only when every session and every execution succeeded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket  # websocket-client

# Each SSH session: Python busy for the whole run (numpy when the venv has it), then "ok".
SESSION_PROGRAM = """
import time, sys
end = time.monotonic() + float(sys.argv[1])
n = 0
while time.monotonic() < end:
    n += sum(i * i for i in range(20000))
    time.sleep(0.05)
print("ok", n > 0)
"""
KERNEL_CODE = "import math\nsum(math.sqrt(i) for i in range(200000))"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


@dataclass
class Target:
    engine: str
    name: str
    ssh_port: int
    jupyter_port: int
    user: str
    token: str
    identity: Path
    known_hosts: Path


@dataclass
class Tally:
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, success: bool, why: str = "") -> None:
        with self.lock:
            if success:
                self.ok += 1
            else:
                self.failed.append(why[-300:])


def target_from_status(engine: str, name: str, identity: Path, known_hosts: Path) -> Target:
    done = subprocess.run(
        [sys.executable, "-m", "dlenv", "status", "--json", "--name", name, "--engine", engine],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    status = json.loads(done.stdout)
    url = str(status["jupyter"]["url"])
    port = int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    return Target(
        engine, name, int(status["ssh"]["port"]), port, str(status["ssh"]["user"]),
        url.split("token=", 1)[1], identity, known_hosts,
    )  # fmt: skip


def ssh_session(target: Target, seconds: float, start: threading.Barrier, tally: Tally) -> None:
    argv = [
        "ssh", "-p", str(target.ssh_port), "-i", str(target.identity),
        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
        "-o", "StrictHostKeyChecking=accept-new",
        "-o", f"UserKnownHostsFile={target.known_hosts}", "-o", "ConnectTimeout=30",
        f"{target.user}@127.0.0.1", "python", "-", str(seconds),
    ]  # fmt: skip
    start.wait()
    done = subprocess.run(
        argv, input=SESSION_PROGRAM, capture_output=True, text=True, timeout=seconds + 120,
        check=False,
    )  # fmt: skip
    tally.add(done.returncode == 0 and done.stdout.strip() == "ok True", done.stderr)


def _api(target: Target, method: str, path: str) -> Any:
    body = b"{}" if method == "POST" else None
    url = f"http://127.0.0.1:{target.jupyter_port}{path}"  # built here: never another scheme
    request = urllib.request.Request(url, method=method, data=body)
    request.add_header("Authorization", f"token {target.token}")
    request.add_header("Content-Type", "application/json")
    with _DIRECT.open(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def _execute(ws: websocket.WebSocket, session: str) -> bool:
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "load",
                   "session": session, "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": KERNEL_CODE, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))  # fmt: skip
    while True:
        message = json.loads(ws.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if message.get("msg_type") == "execute_reply":
            return bool(message["content"].get("status") == "ok")


def kernel_client(target: Target, seconds: float, start: threading.Barrier, tally: Tally) -> None:
    kernel = _api(target, "POST", "/api/kernels")
    try:
        url = (
            f"ws://127.0.0.1:{target.jupyter_port}/api/kernels/{kernel['id']}/channels"
            f"?token={target.token}"
        )
        # The token rides in the URL: never through a proxy.
        ws = websocket.create_connection(url, timeout=60, http_no_proxy=["127.0.0.1"])
        session = uuid.uuid4().hex
        start.wait()
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                tally.add(_execute(ws, session), "execute_reply status not ok")
        finally:
            ws.close()
    except Exception as problem:  # any failure is a failed execution, counted
        tally.add(False, repr(problem))
    finally:
        _api(target, "DELETE", f"/api/kernels/{kernel['id']}")


def memory_sampler(target: Target, stop: threading.Event, samples: list[str]) -> None:
    while not stop.is_set():
        done = subprocess.run(
            [target.engine, "stats", "--no-stream", "--format", "{{.MemUsage}}", target.name],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode == 0 and done.stdout.strip():
            samples.append(done.stdout.strip().splitlines()[0])
        stop.wait(3)


def _mib(usage: str) -> float:
    """"123.4MiB / 7.7GiB" or "123.4MB / 8.2GB" (podman) -> MiB used."""
    used = usage.split("/", 1)[0].strip()
    units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "kB": 1e3 / 2**20, "MB": 1e6 / 2**20,
             "GB": 1e9 / 2**20, "B": 1 / 2**20}  # fmt: skip
    for unit in sorted(units, key=len, reverse=True):
        if used.endswith(unit):
            return float(used[: -len(unit)]) * units[unit]
    return float("nan")


def run_load(target: Target, *, ssh_sessions: int, kernels: int, seconds: float) -> dict[str, Any]:
    start = threading.Barrier(ssh_sessions + kernels)
    ssh_tally, kernel_tally = Tally(), Tally()
    samples: list[str] = []
    stop = threading.Event()
    sampler = threading.Thread(target=memory_sampler, args=(target, stop, samples), daemon=True)
    workers = [
        threading.Thread(target=ssh_session, args=(target, seconds, start, ssh_tally))
        for _ in range(ssh_sessions)
    ] + [
        threading.Thread(target=kernel_client, args=(target, seconds, start, kernel_tally))
        for _ in range(kernels)
    ]
    began = time.monotonic()
    sampler.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    stop.set()
    sampler.join()
    peak = max((_mib(s) for s in samples), default=float("nan"))
    return {
        "engine": target.engine,
        "ssh_sessions": {"asked": ssh_sessions, "ok": ssh_tally.ok, "failed": ssh_tally.failed},
        "kernel_executions": {"ok": kernel_tally.ok, "failed": kernel_tally.failed},
        "kernels": kernels,
        "seconds": round(time.monotonic() - began, 1),
        "memory_samples": samples,
        "memory_peak_mib": round(peak, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", required=True, choices=["podman", "docker"])
    parser.add_argument("--name", default="dlenv")
    parser.add_argument("--identity", type=Path, required=True, help="the private SSH key")
    parser.add_argument("--known-hosts", type=Path, default=Path("load-known_hosts"))
    parser.add_argument("--ssh-sessions", type=int, default=20)
    parser.add_argument("--kernels", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    target = target_from_status(args.engine, args.name, args.identity, args.known_hosts)
    result = run_load(
        target, ssh_sessions=args.ssh_sessions, kernels=args.kernels, seconds=args.seconds
    )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{args.engine}: ssh {result['ssh_sessions']['ok']}/{args.ssh_sessions} ok, "
            f"kernel executions {result['kernel_executions']['ok']} ok / "
            f"{len(result['kernel_executions']['failed'])} failed, "
            f"{result['seconds']} s, container memory peak {result['memory_peak_mib']} MiB"
        )
    failed = result["ssh_sessions"]["failed"] or result["kernel_executions"]["failed"]
    return 1 if failed or result["ssh_sessions"]["ok"] != args.ssh_sessions else 0


if __name__ == "__main__":
    sys.exit(main())
