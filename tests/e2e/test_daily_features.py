"""Cache volumes, runtime secrets, extra ports, Jupyter extensions, dotfiles, JupyterLab's news
setting and idle stop, end to end on both real engines (issue 14, items 4-7).

One environment per engine, built once and shared by every test here; the idle-stop test only
restarts the same image with another run setting. The environment runs "as" a user of its own
(SUDO_UID=1000, as under sudo: dlenv runs as root here), so its shared cache volumes are
`dlenv-cache-1000-*`, not root's, and `rm --caches` touches no other suite's. The dotfiles
repository is a real bare git repository in the workspace (a host directory), cloned over
file://.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CA_BUNDLE, Cli, SshClient, cpu_spec, require
from tests.support.ports import free_ports

pytestmark = pytest.mark.e2e

EXTENSION = "jupyterlab-execute-time"  # small, pure-Python wheel with a prebuilt labextension
CACHE_VARIABLES = {
    "HF_HOME": "/var/cache/dlenv/huggingface",
    "PIP_CACHE_DIR": "/var/cache/dlenv/pip",
    "TORCH_HOME": "/var/cache/dlenv/torch",
    "UV_CACHE_DIR": "/var/cache/dlenv/uv",
}


@dataclass
class Env:
    engine: str
    name: str
    cli: Cli
    ssh: SshClient
    uid: int
    ssh_port: int
    jupyter_port: int
    extra_port: int
    env_secret: str
    file_secret: str
    workspace: Path

    def engine_run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.engine, *args], capture_output=True, text=True, env=self.cli.env, check=False
        )

    def exec(self, command: str) -> str:
        return self.cli("exec", "--", "bash", "-c", command).stdout

    def token(self) -> str:
        return json.loads(self.cli("status", "--json").stdout)["jupyter"]["url"].split("=", 1)[1]

    def spec(self, idle_stop: str = "off") -> str:
        base = cpu_spec(
            self.name, self.engine, packages=["jupyterlab"],
            ports=(self.ssh_port, self.jupyter_port),
        )  # fmt: skip
        return base + (
            f'\nextensions = ["{EXTENSION}"]\n\n'  # continues the [jupyter] table
            f'[run]\nworkspace = "{self.workspace}"\nidle_stop = "{idle_stop}"\n'
            'caches = "shared"\n\n'
            f"[ports]\ntensorboard = {self.extra_port}\n\n"
            '[secrets]\nDAILY_ENV_SECRET = "env:DAILY_E2E_SECRET"\n'
            f'DAILY_FILE_SECRET = "file:{self.workspace.parent / "secret.txt"}"\n\n'
            '[dotfiles]\nrepo = "file:///home/dev/workspace/dotfiles.git"\n'
            'install = "install.sh"\n'
        )

    def up(self, idle_stop: str = "off") -> None:
        (self.cli.cwd / "dlenv.toml").write_text(self.spec(idle_stop))
        # A longer wait than the default 120 s: on a loaded machine JupyterLab's first start can
        # take that long (seen once at load 11 on two cores).
        self.cli(
            "up", "--yes", "--authorized-keys", f"{self.ssh.key}.pub", "--ca-bundle", CA_BUNDLE,
            "--timeout", "300",
        )  # fmt: skip


def make_dotfiles_repo(workspace: Path, uid: int) -> None:
    """A real bare repository with an install script, owned by the container's user (git refuses
    a repository another user owns: safe.directory)."""
    source = workspace.parent / "dotfiles-src"
    source.mkdir()
    (source / "install.sh").write_text(
        'echo "installed by $(id -un)" > "$HOME/.daily-dotfiles-ok"\n'
    )
    (source / ".daily-rc").write_text("export DAILY_RC=1\n")
    git = ["git", "-c", "user.name=dlenv-e2e", "-c", "user.email=e2e@dlenv.test"]
    subprocess.run(["git", "init", "-q", str(source)], check=True)
    subprocess.run([*git, "-C", str(source), "add", "."], check=True)
    subprocess.run([*git, "-C", str(source), "commit", "-q", "-m", "dotfiles"], check=True)
    bare = workspace / "dotfiles.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True)
    for path in [workspace, *workspace.rglob("*")]:
        os.lchown(path, uid, uid)


@pytest.fixture(scope="module", params=["podman", "docker"])
def env(request: pytest.FixtureRequest, cli_factory: Any, ssh_client: SshClient) -> Iterator[Env]:
    require(os.geteuid() == 0, "these tests act for another user through SUDO_UID (root only)")
    require(shutil.which("git") is not None, "git is not installed")
    engine = str(request.param)
    name = f"daily-e2e-{engine}"
    cli: Cli = cli_factory(engine, name)
    # As if user 1000 ran `sudo dlenv`: the shared caches are dlenv-cache-1000-*, not root's
    # dlenv-cache-0-* that other suites on this machine use. (Another UID would also work for
    # dlenv, but podman's build cache for uv, keyed by its path alone, holds uid 1000's files.)
    uid = 1000
    cli.env |= {"SUDO_UID": str(uid), "SUDO_GID": str(uid), "SUDO_USER": "daily-e2e"}
    marker_env, marker_file = f"env-{secrets.token_hex(16)}", f"file-{secrets.token_hex(16)}"
    cli.env["DAILY_E2E_SECRET"] = marker_env
    workspace = cli.cwd / "ws"
    workspace.mkdir()
    (cli.cwd / "secret.txt").write_text(marker_file)
    (cli.cwd / "secret.txt").chmod(0o600)
    make_dotfiles_repo(workspace, uid)
    ports = free_ports(3)
    built = Env(engine, name, cli, ssh_client, uid, *ports, marker_env, marker_file, workspace)
    built.up()
    yield built
    cli("rm", "--yes", check=False)
    cli("rm", "--caches", "--yes", check=False)
    listed = built.engine_run("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    ours = [ref for ref in listed if ref.startswith(f"localhost/dlenv/{name}:")]
    if ours:
        built.engine_run("rmi", *ours)


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# --- caches ---------------------------------------------------------------------------------


def test_cache_volumes_are_mounted_where_the_tools_look_and_writable(env: Env) -> None:
    session = env.ssh.run(env.ssh_port, "env")
    assert session.returncode == 0, session.stderr
    for variable, path in CACHE_VARIABLES.items():
        assert f"{variable}={path}" in session.stdout
        assert env.exec(f"touch {path}/written && stat -c %u {path}/written").strip() == str(
            env.uid
        )
    # uv uses its cache volume at run time (the image's build-time UV_NO_CACHE is overridden).
    assert "UV_NO_CACHE=0" in session.stdout
    assert env.exec("uv cache dir").strip() == CACHE_VARIABLES["UV_CACHE_DIR"]


def test_ls_volumes_lists_the_shared_caches(env: Env) -> None:
    listed = json.loads(env.cli("ls", "--volumes", "--json", "--engine", env.engine).stdout)
    caches = {v["name"]: v for v in listed if v["shared_by_uid"] == env.uid}
    assert set(caches) == {
        f"dlenv-cache-{env.uid}-{kind}" for kind in ("huggingface", "pip", "torch", "uv")
    }
    assert all(v["environment"] is None for v in caches.values())
    assert "huggingface cache" in env.cli("ls", "--volumes", "--engine", env.engine).stdout


def test_rm_caches_refuses_while_the_environment_uses_them(env: Env) -> None:
    done = env.cli("rm", "--caches", "--yes", check=False)
    assert done.returncode == 1
    assert "in use by a container" in done.stderr
    assert env.engine_run("volume", "inspect", f"dlenv-cache-{env.uid}-uv").returncode == 0


# --- secrets --------------------------------------------------------------------------------


def test_secrets_are_user_owned_0400_files_with_a_path_variable(env: Env) -> None:
    session = env.ssh.run(
        env.ssh_port,
        'stat -c "%a %U" /run/secrets/DAILY_ENV_SECRET /run/secrets/DAILY_FILE_SECRET; '
        'cat "$DAILY_ENV_SECRET_PATH"; echo; cat "$DAILY_FILE_SECRET_PATH"',
    )
    assert session.returncode == 0, session.stderr
    lines = session.stdout.split()
    assert lines[:4] == ["400", "dev", "400", "dev"]
    assert lines[4:] == [env.env_secret, env.file_secret]


def test_secret_values_are_in_no_environment_inspect_output_or_log(env: Env) -> None:
    recorded = (
        env.engine_run("inspect", env.name).stdout
        + env.cli("logs").stdout
        + env.exec("env; cat /etc/environment")
        + env.ssh.run(env.ssh_port, "env").stdout
        + env.cli("status", "--json").stdout
    )
    for value in (env.env_secret, env.file_secret):
        assert value not in recorded
    assert "DAILY_ENV_SECRET_PATH=/run/secrets/DAILY_ENV_SECRET" in recorded


# --- ports, extensions, JupyterLab's news ---------------------------------------------------


def test_extra_port_is_published_on_loopback_and_reported(env: Env) -> None:
    env.exec(
        f"setsid nohup python3 -m http.server {env.extra_port} --directory /tmp "
        ">/dev/null 2>&1 </dev/null &"
    )

    def answers() -> bool:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{env.extra_port}/", timeout=5
            ) as response:
                return int(response.status) == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    wait_for(answers, 30, f"the server on the tensorboard port {env.extra_port}")
    port_line = env.engine_run("port", env.name).stdout
    assert f"127.0.0.1:{env.extra_port}" in port_line
    status = json.loads(env.cli("status", "--json").stdout)
    assert status["ports"] == {"tensorboard": {"host": "127.0.0.1", "port": env.extra_port}}
    assert f"127.0.0.1:{env.extra_port}" in env.cli("status").stdout


def test_jupyter_extension_is_installed(env: Env) -> None:
    listed = env.cli("exec", "--", "jupyter", "labextension", "list")
    assert EXTENSION in listed.stdout + listed.stderr


def test_jupyterlab_news_and_update_check_are_off(env: Env) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{env.jupyter_port}/lab/api/settings/"
        "@jupyterlab/apputils-extension:notification",
        headers={"Authorization": f"token {env.token()}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        setting = json.loads(response.read())
    properties = setting["schema"]["properties"]
    assert properties["fetchNews"]["default"] == "false"
    assert properties["checkForUpdates"]["default"] is False


# --- dotfiles -------------------------------------------------------------------------------


def test_dotfiles_are_cloned_and_installed_at_first_start(env: Env) -> None:
    def installed() -> bool:
        done = env.cli("exec", "--", "cat", "/home/dev/.daily-dotfiles-ok", check=False)
        return done.returncode == 0

    wait_for(installed, 60, "the dotfiles' install script")
    assert env.exec("cat ~/.daily-dotfiles-ok").strip() == "installed by dev"
    assert env.exec("cat ~/.dotfiles/.daily-rc").strip() == "export DAILY_RC=1"
    assert "dlenv dotfiles: installed from file:///home/dev/workspace/dotfiles.git" in env.cli(
        "logs"
    ).stdout


# --- idle stop (last: it restarts the container) ---------------------------------------------


def test_idle_stop_stops_keeps_volumes_and_up_brings_it_back(env: Env) -> None:
    env.up(idle_stop="20s")  # same image, another run setting: the container is replaced
    env.exec(f"echo kept > {CACHE_VARIABLES['HF_HOME']}/model.bin")
    status = json.loads(env.cli("status", "--json").stdout)
    assert status["idle_stop"]["setting"] == "20s"

    def state(field: str) -> str:
        return env.engine_run("inspect", "--format", f"{{{{.State.{field}}}}}", env.name).stdout

    # An open SSH session is activity: well past 20 s, the environment still runs.
    session = subprocess.Popen(
        [*env.ssh.argv(env.ssh_port), "sleep 40"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(35)
        assert state("Status").strip() == "running"
        watched = json.loads(env.cli("status", "--json").stdout)["idle_stop"]
        assert watched["last_activity"] is not None and watched["stopped_idle"] is False
    finally:
        session.wait(timeout=30)
    wait_for(lambda: state("Status").strip() == "exited", 120, "the idle stop")
    assert state("ExitCode").strip() == "0"
    stopped = json.loads(env.cli("status", "--json").stdout)
    assert stopped["state"] == "exited"
    assert stopped["idle_stop"]["stopped_idle"] is True
    assert "stopped for being idle" in env.cli("status").stdout
    assert env.engine_run("volume", "inspect", f"dlenv-cache-{env.uid}-huggingface").returncode == 0
    env.up()  # idle stop off again: back, with the cache's content
    assert env.exec(f"cat {CACHE_VARIABLES['HF_HOME']}/model.bin").strip() == "kept"
    assert env.ssh.run(env.ssh_port, "true").returncode == 0
