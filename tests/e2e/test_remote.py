"""A remote engine end to end: this machine's real Podman and Docker, driven through a second,
real sshd on 127.0.0.1 that stands in for the GPU box (`--host root@127.0.0.1:PORT`).

The box: the host's own /usr/sbin/sshd with its own sshd_config, host key and authorized_keys in a
temporary directory, root login by key only. On it:
- Docker's CLI runs `docker system dial-stdio` over ssh, which needs the box's daemon socket: the
  box's sshd_config sets DOCKER_HOST to the test daemon's socket (`SetEnv`, sshd_config(5)), the
  one place that says where the box's daemon is, as /etc/environment or a login profile would on
  a real box.
- Podman's CLI talks to the box's Podman API socket, /run/podman/podman.sock for root (what
  `podman info` reports as Host.RemoteSocket): started here with `podman system service` unless
  one already answers.
The keys are in an ssh-agent of the test's own (SSH_AUTH_SOCK), which both OpenSSH (Docker's
transport) and Podman's Go client use. The box's host key is added to the running user's
~/.ssh/known_hosts (OpenSSH reads the passwd home there, not $HOME) and removed afterwards:
dlenv never accepts a host key itself.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CA_BUNDLE, DOCKER_HOST, Cli, SshClient, cpu_spec, require
from tests.support.ports import free_port, free_ports

pytestmark = pytest.mark.e2e

SSHD = "/usr/sbin/sshd"
PODMAN_SOCKET = "/run/podman/podman.sock"


def wait_for(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up within {timeout:.0f} s")


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            return conn.recv(8).startswith(b"SSH-")
    except OSError:
        return False


@dataclass
class Box:
    address: str
    agent_socket: str
    host_key_line: str


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _podman_service() -> subprocess.Popen[bytes] | None:
    """The box's Podman API service; None when one already answers (not ours to stop)."""
    probe = ["podman", "--url", f"unix://{PODMAN_SOCKET}", "version"]
    if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return None
    Path(PODMAN_SOCKET).parent.mkdir(parents=True, exist_ok=True)
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{PODMAN_SOCKET}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(
        lambda: subprocess.run(probe, capture_output=True, check=False).returncode == 0,
        "the Podman API service",
    )
    return service


@pytest.fixture(scope="session")
def box(tmp_path_factory: pytest.TempPathFactory, ssh_client: SshClient) -> Iterator[Box]:
    require(Path(SSHD).is_file(), f"{SSHD} not installed (apt install openssh-server)")
    require(os.geteuid() == 0, "the stand-in box logs in as root: run as root (CI does)")
    require(shutil.which("ssh-agent") is not None, "ssh-agent not installed")
    directory = tmp_path_factory.mktemp("box")
    _keygen(directory / "host_key")
    _keygen(directory / "root_key")
    (directory / "authorized_keys").write_text((directory / "root_key.pub").read_text())
    port = free_port()
    (directory / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {directory}/host_key\n"
        f"AuthorizedKeysFile {directory}/authorized_keys\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        f"PidFile {directory}/sshd.pid\nAllowTcpForwarding yes\n"
        f"SetEnv DOCKER_HOST={DOCKER_HOST}\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    sshd = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(directory / "sshd_config")],
        stdout=subprocess.DEVNULL,
        stderr=(directory / "sshd.log").open("w"),
    )
    agent_socket = str(directory / "agent.sock")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", agent_socket], stdout=subprocess.DEVNULL)
    podman = None
    known_hosts = Path(pwd.getpwuid(os.geteuid()).pw_dir) / ".ssh" / "known_hosts"
    host_key = " ".join((directory / "host_key.pub").read_text().split()[:2])
    line = f"[127.0.0.1]:{port} {host_key}\n"
    try:
        wait_for(lambda: answers(port), "the box's sshd")
        wait_for(lambda: Path(agent_socket).exists(), "ssh-agent")
        env = {**os.environ, "SSH_AUTH_SOCK": agent_socket}
        for key in (directory / "root_key", ssh_client.key):
            subprocess.run(["ssh-add", "-q", str(key)], env=env, check=True)
        known_hosts.parent.mkdir(mode=0o700, exist_ok=True)
        with known_hosts.open("a") as handle:
            handle.write(line)
        podman = _podman_service()
        yield Box(f"root@127.0.0.1:{port}", agent_socket, line)
    finally:
        if known_hosts.exists():
            kept = [k for k in known_hosts.read_text().splitlines(keepends=True) if k != line]
            known_hosts.write_text("".join(kept))
        for process in (podman, agent, sshd):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


@dataclass
class Remote:
    engine: str
    name: str
    cli: Cli
    box: Box
    access: dict[str, Any]

    def dlenv(self, verb: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.cli(verb, "--host", self.box.address, *args, check=check)


@pytest.fixture(scope="module", params=["podman", "docker"])
def remote(
    request: pytest.FixtureRequest, cli_factory: Any, ssh_client: SshClient, box: Box
) -> Iterator[Remote]:
    engine = str(request.param)
    name = f"remote-{engine}"
    cli: Cli = cli_factory(engine, name)
    cli.env["SSH_AUTH_SOCK"] = box.agent_socket
    cli.env.pop("DOCKER_HOST", None)  # the engine is the box's: --host says where
    ports = free_ports(2)
    (cli.cwd / "dlenv.toml").write_text(
        # test_up's and test_everyday_commands' packages: the same layers, from the build cache
        # when those ran first in the session.
        cpu_spec(name, engine, packages=["jupyterlab", "numpy", "pandas"], ports=ports)
    )
    env = Remote(engine, name, cli, box, {})
    up = env.dlenv(
        "up", "--json", "--authorized-keys", f"{ssh_client.key}.pub", "--ca-bundle", CA_BUNDLE,
        "--timeout", "300",
    )  # fmt: skip
    env.access = dict(json.loads(up.stdout))
    yield env
    env.dlenv("rm", "--delete-workspace", "--yes", check=False)


def engine_here(remote: Remote, *args: str) -> str:
    """Ask this machine's engine directly: the box is this machine."""
    env = {**os.environ, "DOCKER_HOST": DOCKER_HOST}
    done = subprocess.run(
        [remote.engine, *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout


def test_up_runs_the_environment_on_the_box_with_ports_on_its_loopback(remote: Remote) -> None:
    assert remote.access["state"] == "running"
    assert remote.access["box"] == remote.box.address
    assert f"-J {remote.box.address}" in remote.access["ssh"]["command"]
    bindings = json.loads(
        engine_here(
            remote,
            "container",
            "inspect",
            "--format",
            "{{json .HostConfig.PortBindings}}",
            remote.name,
        )
    )
    assert {b["HostIp"] for v in bindings.values() for b in v} == {"127.0.0.1"}
    status = json.loads(remote.dlenv("status", "--json").stdout)
    assert status["state"] == "running"
    assert status["engine"] == remote.engine
    listed = json.loads(remote.cli("ls", "--json", "--host", remote.box.address).stdout)
    assert remote.name in {entry["name"] for entry in listed}
    done = remote.dlenv("exec", "--", "python", "-c", "import numpy; print('numpy ok')")
    assert "numpy ok" in done.stdout


def test_ssh_config_reaches_the_environment_through_the_box(remote: Remote) -> None:
    home = remote.cli.cwd / "home"
    home.mkdir(exist_ok=True)
    (home / ".ssh").mkdir(mode=0o700, exist_ok=True)
    user_config = home / ".ssh" / "config"
    user_config.write_text("Host mine\n  User someone\n")
    env = {**remote.cli.env, "HOME": str(home)}
    cli = Cli(env, remote.cli.cwd)
    cli("ssh-config", "--yes", "--host", remote.box.address)
    generated = home / ".ssh" / "dlenv" / "config"
    text = user_config.read_text()
    assert text.splitlines()[1] == f'Include "{generated}"'
    assert text.endswith("Host mine\n  User someone\n")
    assert (home / ".ssh" / "config.dlenv-backup").read_text() == "Host mine\n  User someone\n"
    assert oct(generated.stat().st_mode & 0o777) == "0o600"
    cli("ssh-config", "--yes", "--host", remote.box.address)  # again: nothing changes
    assert user_config.read_text() == text
    done = subprocess.run(
        ["ssh", "-F", str(generated), "-o", "BatchMode=yes", f"dlenv-{remote.name}",
         'python -c "import numpy; print(numpy.__name__)"'],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "numpy"


def _status(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except urllib.error.URLError:
        return 0  # nothing listens


def test_open_forwards_jupyter_to_a_local_port(remote: Remote) -> None:
    opened = subprocess.Popen(
        [sys.executable, "-m", "dlenv", "open", "--host", remote.box.address],
        cwd=remote.cli.cwd, env=remote.cli.env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert opened.stdout is not None
        url = ""
        deadline = time.monotonic() + 120
        while not url and time.monotonic() < deadline:
            line = opened.stdout.readline()
            if not line:
                break
            if line.startswith("Jupyter"):
                url = line.split()[-1]
        assert url.startswith("http://127.0.0.1:"), url
        base, token = url.split("/lab?token=")
        assert _status(f"{base}/api/status?token={token}") == 200
        assert _status(f"{base}/api/status") == 403
    finally:
        opened.send_signal(signal.SIGTERM)
        opened.wait(timeout=60)
    assert _status(f"{base}/api/status?token={token}") == 0  # the forward ended with it


def test_doctor_on_the_box_finds_what_doctor_here_finds(box: Box, tmp_path: Path) -> None:
    env = {**os.environ, "SSH_AUTH_SOCK": box.agent_socket, "DOCKER_HOST": DOCKER_HOST}

    def findings(*extra: str) -> list[tuple[str, str]]:
        done = subprocess.run(
            [sys.executable, "-m", "dlenv", "doctor", "--json", *extra],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode in (0, 1), done.stderr
        report = json.loads(done.stdout)
        return sorted((f["id"], f["severity"]) for f in report["findings"])

    # Two tries: on this shared machine a probe can time out now and then (`podman info` under
    # a neighbour's build); the same answers on either try is the same diagnosis.
    tries = []
    for _ in range(2):
        here, there = findings(), findings("--host", box.address)
        assert here
        if here == there:
            return
        tries.append((here, there))
    raise AssertionError(f"doctor here vs on the box: {tries}")
