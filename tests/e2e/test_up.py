"""`dlenv up` end to end: a real engine builds and runs the environment; real ssh and HTTP reach it.

Uses the CPU profile, the debootstrapped Debian base and the base image's python3 (no registry
and no GitHub downloads here), and the machine's CA bundle as a build secret.
"""

from __future__ import annotations

import json
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

from tests.e2e.conftest import CA_BUNDLE, Cli, SshClient, cpu_spec

pytestmark = pytest.mark.e2e

PORTS = {"podman": (2411, 8411), "docker": (2412, 8412)}


def spec_text(engine: str, name: str) -> str:
    packages = ["jupyterlab", "numpy", "pandas"]
    return cpu_spec(name, engine, packages=packages, ports=PORTS[engine])


@dataclass
class Running:
    engine: str
    name: str
    cli: Cli
    ssh: SshClient
    access: dict[str, Any]

    @property
    def ssh_port(self) -> int:
        return int(self.access["ssh"]["port"])

    @property
    def token(self) -> str:
        return str(self.access["jupyter"]["url"]).split("token=", 1)[1]

    def up(self) -> dict[str, Any]:
        done = self.cli(
            "up", "--json", "--authorized-keys", f"{self.ssh.key}.pub", "--ca-bundle", CA_BUNDLE
        )
        return dict(json.loads(done.stdout))

    def cli_argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "dlenv", *args]

    def engine_cmd(self, *args: str) -> str:
        done = subprocess.run(
            [self.engine, *args], capture_output=True, text=True, env=self.cli.env, check=True
        )
        return done.stdout + done.stderr


@pytest.fixture(scope="module", params=["podman", "docker"])
def running(
    request: pytest.FixtureRequest, cli_factory: Any, ssh_client: SshClient
) -> Iterator[Running]:
    engine = str(request.param)
    name = f"e2e-{engine}"
    cli: Cli = cli_factory(engine, name)
    (cli.cwd / "dlenv.toml").write_text(spec_text(engine, name))
    env = Running(engine, name, cli, ssh_client, {})
    env.access = env.up()
    yield env
    cli("down", check=False)
    subprocess.run(
        [engine, "volume", "rm", "-f", f"{name}-workspace", f"{name}-sshd"],
        env=cli.env,
        capture_output=True,
        check=False,
    )
    remove_test_images(engine, cli.env, (name, "e2e-busy", "e2e-nobase"))


def remove_test_images(engine: str, env: dict[str, str], names: tuple[str, ...]) -> None:
    """The images these tests built, and only those (other suites may be running)."""
    listed = subprocess.run(
        [engine, "images", "--format", "{{.Repository}}:{{.Tag}}"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    ours = [ref for ref in listed.stdout.split() if ref.split(":")[0] in {
        f"localhost/dlenv/{n}" for n in names
    }]  # fmt: skip
    if ours:  # no --force: an image still in use stays, and so does its container
        subprocess.run([engine, "rmi", *ours], env=env, capture_output=True, check=False)


def http_status(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def host_key_fingerprints(port: int) -> set[str]:
    scan = subprocess.run(
        ["ssh-keyscan", "-p", str(port), "127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return {
        line.split(None, 1)[1]
        for line in scan.stdout.splitlines()
        if line and not line.startswith("#")
    }


def test_up_reports_how_to_connect(running: Running) -> None:
    access = running.access
    assert access["name"] == running.name
    assert access["state"] == "running"
    assert access["ssh"] == {
        "host": "127.0.0.1",
        "port": PORTS[running.engine][0],
        "user": "dev",
        "command": f"ssh -p {PORTS[running.engine][0]} dev@127.0.0.1",
    }
    assert access["jupyter"]["url"].startswith(
        f"http://127.0.0.1:{PORTS[running.engine][1]}/lab?token="
    )
    status = json.loads(running.cli("status", "--json").stdout)
    assert status["jupyter"]["url"] == access["jupyter"]["url"]
    assert status["contents"]["profile"] == "cpu"


def test_ssh_key_login_runs_python_in_the_venv(running: Running) -> None:
    done = running.ssh.run(
        running.ssh_port,
        "python -c 'import numpy, pandas, sys; print(sys.prefix)'; echo $VIRTUAL_ENV",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["/opt/venv", "/opt/venv"]


def test_password_login_is_refused(running: Running) -> None:
    done = running.ssh.run(
        running.ssh_port,
        "true",
        "dev",
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "PreferredAuthentications=password,keyboard-interactive",
    )
    assert done.returncode == 255
    assert "Permission denied (publickey)" in done.stderr


def test_root_login_is_refused_even_with_an_authorized_key(running: Running) -> None:
    done = running.ssh.run(running.ssh_port, "true", "root")
    assert done.returncode == 255
    assert "Permission denied" in done.stderr


def test_jupyter_requires_the_token(running: Running) -> None:
    base = f"http://127.0.0.1:{PORTS[running.engine][1]}/api/status"
    assert http_status(base, running.token) == 200
    assert http_status(base) == 403
    assert http_status(base, "not-the-token") == 403


def test_token_is_in_no_image_layer_inspect_output_or_log(running: Running) -> None:
    image = running.access["image"]
    for output in (
        running.engine_cmd("image", "history", "--no-trunc", image),
        running.engine_cmd("image", "inspect", image),
        running.engine_cmd("container", "inspect", running.name),
        running.engine_cmd("logs", running.name),
    ):
        assert running.token not in output


def test_ports_bind_to_loopback_only(running: Running) -> None:
    ports = running.engine_cmd("port", running.name)
    assert "127.0.0.1:" in ports
    assert "0.0.0.0" not in ports


def test_workspace_files_belong_to_the_invoking_user(running: Running) -> None:
    done = running.ssh.run(
        running.ssh_port, "touch ~/workspace/owned && stat -c %u ~/workspace/owned && id -u"
    )
    assert done.returncode == 0, done.stderr
    file_uid, user_uid = done.stdout.split()
    assert file_uid == user_uid != "0"


def test_restart_does_not_grow_etc_environment(running: Running) -> None:
    before = running.ssh.run(running.ssh_port, "wc -l </etc/environment").stdout.strip()
    running.engine_cmd("restart", running.name)
    running.up()  # waits until SSH and Jupyter answer again
    after = running.ssh.run(running.ssh_port, "wc -l </etc/environment").stdout.strip()
    assert before == after != ""


def test_second_up_is_a_no_op(running: Running) -> None:
    done = running.cli(
        "up", "--authorized-keys", f"{running.ssh.key}.pub", "--ca-bundle", CA_BUNDLE
    )
    assert "already running" in done.stderr


def test_workspace_and_host_key_survive_down_and_up(running: Running) -> None:
    marker = "survives-down-up"
    assert (
        running.ssh.run(running.ssh_port, f"echo {marker} > ~/workspace/marker.txt").returncode == 0
    )
    keys_before = host_key_fingerprints(running.ssh_port)
    running.cli("down")
    assert (
        running.engine_cmd("ps", "--all", "--format", "{{.Names}}").split().count(running.name) == 0
    )
    running.access = running.up()
    assert host_key_fingerprints(running.ssh_port) == keys_before
    # StrictHostKeyChecking=accept-new with the same known_hosts: a changed key would fail here.
    done = running.ssh.run(running.ssh_port, "cat ~/workspace/marker.txt")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == marker


def test_busy_port_is_named_with_a_free_alternative(running: Running, tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        busy = blocker.getsockname()[1]
        done = running.cli(
            "up",
            "--name",
            "e2e-busy",
            "--ssh-port",
            str(busy),
            "--jupyter-port",
            "8499",
            "--authorized-keys",
            f"{running.ssh.key}.pub",
            "--ca-bundle",
            CA_BUNDLE,
            check=False,
        )
    assert done.returncode == 1
    assert f"port {busy} on 127.0.0.1 is already in use" in done.stderr
    assert "--ssh-port" in done.stderr
    assert "e2e-busy" not in running.engine_cmd("ps", "--all", "--format", "{{.Names}}")


def test_unreachable_base_image_names_the_fix(running: Running) -> None:
    done = running.cli(
        "build",
        "--name",
        "e2e-nobase",
        "--base-image",
        "localhost/dlenv-test/does-not-exist:1",
        "--ca-bundle",
        CA_BUNDLE,
        check=False,
    )
    assert done.returncode == 1
    assert "--base-image" in done.stderr
    assert "Traceback" not in done.stderr
    assert "e2e-nobase" not in running.engine_cmd("images", "--format", "{{.Repository}}")


def test_missing_public_key_is_bad_input(running: Running, tmp_path: Path) -> None:
    done = running.cli(
        "up", "--name", "e2e-nokey", "--authorized-keys", str(tmp_path / "none.pub"), check=False
    )
    assert done.returncode == 2
    assert "ssh-keygen" in done.stderr


def test_logs_show_both_services(running: Running) -> None:
    done = running.cli("logs", "--tail", "200")
    output = done.stdout + done.stderr
    assert "Server listening on" in output  # sshd
    assert "Jupyter Server" in output


def test_shell_runs_as_the_user_with_the_venv(running: Running) -> None:
    done = subprocess.run(
        [*running.cli_argv("shell")],
        input="id -un; command -v python\n", capture_output=True, text=True,
        env=running.cli.env, cwd=running.cli.cwd, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["dev", "/opt/venv/bin/python"]


def test_the_server_is_dlenv_jupyter_lab_and_bytecode_skips_only_test_suites(
    running: Running,
) -> None:
    # Start-up speed (issue 15): JupyterLab runs through the launcher that defers rfc3987_syntax,
    # and the image holds bytecode for what the server imports but none for test suites.
    script = (
        "pgrep -o -f '^/opt/venv/bin/python /usr/local/bin/dlenv-jupyter-lab --config' >/dev/null"
        " && echo launcher; "
        "ls /opt/venv/lib/python3*/site-packages/jupyter_server/__pycache__/serverapp.*.pyc"
        " >/dev/null && echo compiled; "
        "echo tests: $(find /opt/venv/lib -path '*/tests/*' -name '*.pyc' | wc -l)"
    )
    done = running.ssh.run(running.ssh_port, script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["launcher", "compiled", "tests:", "0"], done.stdout


# Least privilege (issue 11): what only a real engine, sshd and Jupyter can show ---------------
# Capability numbers from linux/capability.h: the set dlenv.engine.argv.RUN_CAPABILITIES names.
_CAPS = {"CHOWN": 0, "DAC_READ_SEARCH": 2, "FOWNER": 3, "KILL": 5, "SETGID": 6, "SETUID": 7,
         "NET_BIND_SERVICE": 10, "SYS_CHROOT": 18, "AUDIT_WRITE": 29}  # fmt: skip


def test_sessions_have_no_new_privs_and_only_the_kept_capabilities(running: Running) -> None:
    done = running.ssh.run(running.ssh_port, "grep -E '^(NoNewPrivs|CapBnd):' /proc/self/status")
    assert done.returncode == 0, done.stderr
    status = dict(line.split(":\t") for line in done.stdout.splitlines())
    assert status["NoNewPrivs"].strip() == "1"
    assert int(status["CapBnd"], 16) == sum(1 << n for n in _CAPS.values())


def test_jupyter_runs_with_no_new_privs(running: Running) -> None:
    # -o: the oldest match is the server, not this session's shell (whose command names it).
    pid = "$(pgrep -o -u \"$(id -u)\" -f 'jupyter-lab --config')"
    done = running.ssh.run(running.ssh_port, f"grep NoNewPrivs /proc/{pid}/status")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["NoNewPrivs:", "1"]


def test_a_pty_session_works_with_the_reduced_capabilities(running: Running) -> None:
    # sshd hands the pty to the user (chown + chmod): CHOWN and FOWNER are what that needs.
    done = running.ssh.run(running.ssh_port, "tty", "dev", "-tt")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("/dev/pts/")


def test_sshd_effective_config_forwards_only_local_tcp(running: Running) -> None:
    effective = running.engine_cmd("exec", "--user", "0", running.name, "/usr/sbin/sshd", "-T")
    for line in ("allowtcpforwarding local", "allowagentforwarding no",
                 "allowstreamlocalforwarding no", "x11forwarding no"):  # fmt: skip
        assert line in effective.splitlines()


def test_local_forwarding_works_and_remote_forwarding_is_refused(running: Running) -> None:
    # `ssh -L`, as an IDE forwards a port: allowed by "AllowTcpForwarding local". Jupyter answers
    # through the tunnel (403: no token was sent).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        local_port = probe.getsockname()[1]
    tunnel = subprocess.Popen(
        [*running.ssh.argv(running.ssh_port, "dev", "-N", "-o", "ExitOnForwardFailure=yes",
                           "-L", f"{local_port}:127.0.0.1:8888")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        status = None
        for _ in range(50):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{local_port}/api/status", timeout=5
                ) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
                continue
            break
        assert status == 403
    finally:
        # What is tested is the forward; how fast ssh exits on SIGTERM is not (once, in a run
        # beside other work, it outlived 10 s).
        tunnel.terminate()
        try:
            tunnel.wait(timeout=10)
        except subprocess.TimeoutExpired:
            tunnel.kill()
            tunnel.wait()
    remote = running.ssh.run(
        running.ssh_port, "true", "dev", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:22"
    )
    assert remote.returncode == 255
    assert "remote port forwarding failed" in remote.stderr.lower()


@pytest.mark.parametrize(
    "options",
    [
        ("Ciphers=aes128-cbc",),
        ("KexAlgorithms=ecdh-sha2-nistp256",),
        # A MAC is negotiated only with a cipher that is not AEAD: ask for a CTR cipher too.
        ("Ciphers=aes128-ctr", "MACs=hmac-sha1"),
    ],
)
def test_weak_algorithms_are_refused(running: Running, options: tuple[str, ...]) -> None:
    extra = [word for option in options for word in ("-o", option)]
    done = running.ssh.run(running.ssh_port, "true", "dev", *extra)
    assert done.returncode == 255
    assert "no matching" in done.stderr


def test_jupyter_allows_no_password_change(running: Running) -> None:
    done = running.ssh.run(
        running.ssh_port,
        "jupyter lab --config=/etc/dlenv/jupyter_server_config.py --show-config 2>&1"
        " | grep -c 'allow_password_change = False'",
    )
    assert done.stdout.strip() == "1", done.stderr


def test_the_readiness_probe_never_sends_the_token_to_http_proxy(
    running: Running, tmp_path: Path
) -> None:
    import http.server
    import threading

    seen: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(f"{self.requestline}\n{self.headers}")
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{proxy.server_address[1]}"
    saved = dict(running.cli.env)
    try:
        running.cli.env.update(http_proxy=url, HTTP_PROXY=url)
        for name in ("no_proxy", "NO_PROXY"):
            running.cli.env.pop(name, None)
        running.cli("restart")  # waits for Jupyter's authenticated API through the probe
    finally:
        running.cli.env.clear()
        running.cli.env.update(saved)
        proxy.shutdown()
        proxy.server_close()
    assert not any(running.token in request for request in seen)
    assert not any("/api/status" in request for request in seen)
