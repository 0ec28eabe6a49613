"""A shared server, end to end: two real Unix users (made with useradd, removed afterwards) run
`dlenv up` against one rootful Podman, as users of a shared server do through a socket their
group may use (`podman system service`, CONTAINER_HOST). `nvidia-smi` is a stand-in first on
PATH that replays a real capture (tests/fixtures/captured/nvidia-smi/h100-sxm-x8-565.57.01.txt:
eight idle H100s), run by dlenv through its Runner like the real one. The host has no GPU, so
the environments use the CPU profile: the GPUs are chosen, leased and labelled, not handed in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import CA_BUNDLE, SshClient, cpu_spec, engine_ready, require

pytestmark = pytest.mark.e2e
REPO = Path(__file__).parents[2]
H100 = REPO / "tests" / "fixtures" / "captured" / "nvidia-smi" / "h100-sxm-x8-565.57.01.txt"
GROUP = "cluster-e2e"
USERS = ("cluster-alice", "cluster-bob")
STAND_IN = """#!/bin/sh
# nvidia-smi stand-in: replays a real capture of the plain table; nothing else was captured.
if [ "$#" -eq 0 ]; then exec cat {capture}; fi
echo "nvidia-smi stand-in: no capture for: $*" >&2
exit 1
"""


@dataclass
class Host:
    root: Path
    leases: Path
    socket: Path
    python: str
    pubkey: Path

    def dlenv(self, user: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            "HOME": str(self.root / "home" / user),
            "PATH": f"{self.root / 'bin'}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "CONTAINER_HOST": f"unix://{self.socket}",  # podman(1): implies --remote
            "DLENV_LEASE_DIR": str(self.leases),
            "PYTHONPATH": str(REPO / "src"),
            "LANG": "C.UTF-8",
        }
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "env", "-i",
                *(f"{k}={v}" for k, v in env.items()),
                self.python, "-m", "dlenv", *args]  # fmt: skip
        return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=900,
                              check=False)  # fmt: skip

    def project(self, user: str, name: str) -> Path:
        directory = self.root / "home" / user / name
        if not directory.exists():
            directory.mkdir()
            text = cpu_spec(name, "podman", packages=["jupyterlab"])
            text += '\n[run]\ngpus = "auto:1"\n'
            (directory / "dlenv.toml").write_text(text)
            shutil.chown(directory, user, user)
        return directory


def _runnable_python(user: str) -> str:
    """An interpreter the test users may run (sys.executable may live in root's home)."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        # Through env(1), as the tests run it: setpriv itself may still exec what the user
        # cannot reach.
        probe = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "env", "-i",
                 candidate, "-c", "import venv"]  # fmt: skip
        if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
            return candidate
    pytest.fail("no Python interpreter the test users may run")


def _user_venv(root: Path, user: str) -> str:
    """dlenv's dependencies (pyproject) in a venv every user can run; dlenv from the tree."""
    venv = root / "venv"
    subprocess.run([_runnable_python(user), "-m", "venv", str(venv)], check=True)
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    env = dict(os.environ)
    if Path(CA_BUNDLE).is_file():
        env["PIP_CERT"] = CA_BUNDLE
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", *deps], check=True, env=env,
                   timeout=600)  # fmt: skip
    subprocess.run(["chmod", "-R", "a+rX", str(venv)], check=True)  # whatever the umask
    return str(venv / "bin" / "python")


@pytest.fixture(scope="module")
def host(ssh_client: SshClient) -> Iterator[Host]:
    require(os.geteuid() == 0, "making test users needs root")
    require(all(shutil.which(p) for p in ("useradd", "setpriv")), "useradd/setpriv missing")
    ok, why = engine_ready("podman")
    require(ok, why)
    root = Path(tempfile.mkdtemp(prefix="cluster-shared-"))
    root.chmod(0o755)
    (root / "home").mkdir()
    (root / "home").chmod(0o755)
    service = None
    try:
        subprocess.run(["groupadd", "-f", GROUP], check=True)
        for user in USERS:
            subprocess.run(["userdel", user], capture_output=True, check=False)
            subprocess.run(["useradd", "-m", "-d", str(root / "home" / user), "-G", GROUP, user],
                           check=True)  # fmt: skip
        (root / "bin").mkdir()
        shutil.copy(H100, root / "bin" / "h100.txt")
        stand_in = root / "bin" / "nvidia-smi"
        stand_in.write_text(STAND_IN.format(capture=root / "bin" / "h100.txt"))
        stand_in.chmod(0o755)
        (root / "bin").chmod(0o755)
        (root / "bin" / "h100.txt").chmod(0o644)
        leases = root / "leases"
        leases.mkdir()
        leases.chmod(0o1777)
        pubkey = root / "id.pub"
        shutil.copy(f"{ssh_client.key}.pub", pubkey)
        pubkey.chmod(0o644)
        socket = root / "podman.sock"
        service = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{socket}"])
        for _ in range(100):
            if socket.exists():
                break
            time.sleep(0.1)
        shutil.chown(socket, group=GROUP)
        socket.chmod(0o660)
        yield Host(root, leases, socket, _user_venv(root, USERS[0]), pubkey)
    finally:
        for name in ("cluster-alice-a", "cluster-alice-b"):
            subprocess.run(["podman", "rm", "--force", name], capture_output=True, check=False)
            for volume in (f"{name}-workspace", f"{name}-sshd"):
                subprocess.run(["podman", "volume", "rm", volume], capture_output=True,
                               check=False)  # fmt: skip
        if service is not None:
            service.terminate()
            service.wait(timeout=30)
        for user in USERS:
            subprocess.run(["userdel", user], capture_output=True, check=False)
        subprocess.run(["groupdel", GROUP], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def lease_owners(host: Host) -> dict[str, int]:
    return {p.name: p.stat().st_uid for p in host.leases.glob("gpu-*.lease")}


def up(host: Host, user: str, name: str) -> subprocess.CompletedProcess[str]:
    return host.dlenv(user, host.project(user, name), "up", "--authorized-keys",
                      str(host.pubkey), "--ca-bundle", CA_BUNDLE)  # fmt: skip


def test_one_user_two_environments_get_distinct_gpus_and_ports(
    host: Host, ssh_client: SshClient
) -> None:
    alice = USERS[0]
    for name in ("cluster-alice-a", "cluster-alice-b"):
        done = up(host, alice, name)
        assert done.returncode == 0, done.stderr
    uid = int(
        subprocess.run(["id", "-u", alice], capture_output=True, text=True, check=True).stdout
    )
    assert lease_owners(host) == {"gpu-0.lease": uid, "gpu-1.lease": uid}
    shown = {}
    for name in ("cluster-alice-a", "cluster-alice-b"):
        status = host.dlenv(alice, host.project(alice, name), "status", "--json")
        shown[name] = json.loads(status.stdout)
    a, b = shown["cluster-alice-a"], shown["cluster-alice-b"]
    assert a["ssh"]["port"] != b["ssh"]["port"]
    assert a["jupyter"]["url"].split("/lab")[0] != b["jupyter"]["url"].split("/lab")[0]
    # The port `status` shows is the one the container really listens on.
    answer = ssh_client.run(b["ssh"]["port"], "echo $VIRTUAL_ENV")
    assert answer.stdout.strip() == "/opt/venv", answer.stderr


def test_another_user_sees_who_holds_which_gpu(host: Host) -> None:
    alice, bob = USERS
    mine = host.dlenv(bob, host.root / "home" / bob, "ls", "--json")
    assert not [e for e in json.loads(mine.stdout) if e["name"].startswith("cluster-alice")]
    everyone = host.dlenv(bob, host.root / "home" / bob, "ls", "--all-users", "--json")
    listed = {e["name"]: e for e in json.loads(everyone.stdout)}
    assert listed["cluster-alice-a"]["owner"] == alice
    assert listed["cluster-alice-a"]["gpus"] == ["0"]
    assert listed["cluster-alice-b"]["gpus"] == ["1"]
    table = host.dlenv(bob, host.root / "home" / bob, "ls", "--all-users")
    assert "Rootless Podman keeps each user's containers private" in table.stderr
    # Bob asks for more than is idle: the message says whose leases are in the way.
    greedy = host.project(bob, "cluster-bob-greedy")
    spec = greedy / "dlenv.toml"
    spec.write_text(spec.read_text().replace('"auto:1"', '"auto:7"'))
    done = host.dlenv(bob, greedy, "up", "--authorized-keys", str(host.pubkey))
    assert done.returncode == 1
    assert "only 6 of 8 GPUs are idle" in done.stderr
    assert f"GPU 0: leased by {alice}" in done.stderr
    # The sticky lease directory keeps Bob from removing Alice's lease by hand.
    removal = subprocess.run(["setpriv", f"--reuid={bob}", f"--regid={bob}", "--init-groups",
                              "rm", "-f", str(host.leases / "gpu-0.lease")],
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert removal.returncode != 0
    assert (host.leases / "gpu-0.lease").exists()


def test_down_gives_the_gpus_back(host: Host) -> None:
    alice = USERS[0]
    for name in ("cluster-alice-a", "cluster-alice-b"):
        done = host.dlenv(alice, host.project(alice, name), "down")
        assert done.returncode == 0, done.stderr
    assert lease_owners(host) == {}
