"""Cache volumes, runtime secrets, extra ports, idle stop and dotfiles as run configuration:
what `Project.run_config` passes to the engine, what the state directory holds, what `up` must
ask before accepting from a spec file. Engine answers are real captures (tests/support)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dlenv.environment.options import EnvOptions
from dlenv.environment.secrets import read_secret_values
from dlenv.environment.trust import trust_decisions
from dlenv.errors import UsageError
from dlenv.labels import EnvLabels, VolumeLabels, cache_labels
from dlenv.spec import parse_spec
from dlenv.state import EnvState
from tests.support.engine_captures import PODMAN_ROOTFUL
from tests.unit.environment.test_run_config import project

SPEC = """name = "p"
profile = "cpu"
[ports]
tensorboard = 6006
gradio = 7860
[secrets]
HF_TOKEN = "env:HF_TOKEN"
[run]
idle_stop = "2h"
[dotfiles]
repo = "https://example.test/me/dotfiles.git"
install = "install.sh"
"""


def test_run_config_mounts_caches_and_secrets_and_publishes_extra_ports(tmp_path: Path) -> None:
    config = project(tmp_path, "podman", PODMAN_ROOTFUL, SPEC).run_config()
    assert dict(config.ports) == {2222: 22, 8888: 8888, 6006: 6006, 7860: 7860}
    mounts = {m.target: m for m in config.mounts}
    for kind in ("huggingface", "pip", "torch", "uv"):
        assert mounts[f"/var/cache/dlenv/{kind}"].source == f"dlenv-cache-1000-{kind}"
    secrets = mounts["/etc/dlenv/runtime-secrets"]
    assert secrets.read_only and secrets.source.endswith("/envs/p/secrets")
    assert any(t.startswith("/run/secrets:") and "noexec" in t for t in config.tmpfs)
    assert config.env["HF_TOKEN_PATH"] == "/run/secrets/HF_TOKEN"
    assert "HF_TOKEN" not in config.env  # the value never travels as a variable
    assert config.env["HF_HOME"] == "/var/cache/dlenv/huggingface"
    assert config.env["UV_CACHE_DIR"] == "/var/cache/dlenv/uv"
    assert config.env["UV_NO_CACHE"] == "0"
    assert config.env["DLENV_IDLE_STOP"] == "7200"
    assert config.env["DLENV_DOTFILES_REPO"] == "https://example.test/me/dotfiles.git"
    assert config.env["DLENV_DOTFILES_INSTALL"] == "install.sh"
    labels = EnvLabels.decode(config.labels, "p")
    assert labels.ports == {"gradio": 7860, "tensorboard": 6006}
    assert (labels.idle_stop, labels.secrets, labels.caches) == ("2h", ("HF_TOKEN",), "shared")


def test_environment_caches_belong_to_the_environment_and_off_means_none(tmp_path: Path) -> None:
    spec = 'name = "p"\nprofile = "cpu"\n[run]\ncaches = "environment"\n'
    opened = project(tmp_path, "podman", PODMAN_ROOTFUL, spec)
    volumes = {v.name: VolumeLabels.decode(v.labels) for v in opened.cache_volumes()}
    assert set(volumes) == {f"p-cache-{k}" for k in ("huggingface", "pip", "torch", "uv")}
    assert all(v.env_name == "p" and v.owner_uid is None for v in volumes.values())
    off = tmp_path / "off"
    off.mkdir()
    config = project(off, "podman", PODMAN_ROOTFUL, spec.replace("environment", "off"))
    assert config.cache_volumes() == ()
    run = config.run_config()
    assert "HF_HOME" not in run.env and "UV_NO_CACHE" not in run.env
    assert not any(m.target.startswith("/var/cache/dlenv") for m in run.mounts)


def test_defaults_add_no_secret_mount_and_no_idle_watch(tmp_path: Path) -> None:
    config = project(tmp_path, "podman", PODMAN_ROOTFUL, 'name = "p"\nprofile = "cpu"\n')
    run = config.run_config()
    assert not any(m.target == "/etc/dlenv/runtime-secrets" for m in run.mounts)
    assert len(run.tmpfs) == 1
    assert not {"DLENV_IDLE_STOP", "DLENV_DOTFILES_REPO"} & set(run.env)
    assert dict(run.ports) == {2222: 22, 8888: 8888}


def test_shared_cache_labels_name_the_user_not_an_environment() -> None:
    labels = VolumeLabels.decode(cache_labels("uv", owner_uid=1234, env_name=None))
    assert (labels.cache, labels.owner_uid, labels.env_name) == ("uv", 1234, None)
    assert VolumeLabels.decode({"dev.dlenv.cache-owner": "x1"}).owner_uid is None


def test_labels_read_back_hostile_values_as_unknown() -> None:
    labels = EnvLabels.decode(
        {
            "dev.dlenv.ports": "ok=6006,bad=99999,=5,x y=7,tb=abc",
            "dev.dlenv.secrets": "GOOD,$(rm -rf),",
        },
        "n",
    )
    assert labels.ports == {"ok": 6006}
    assert labels.secrets == ("GOOD",)


def test_secret_values_come_from_the_variable_or_the_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".hf").write_text("from-file\n")
    values = read_secret_values(
        {"A": "env:SOURCE", "B": "file:~/.hf"}, {"SOURCE": "from-env"}, home
    )
    assert values == {"A": "from-env", "B": "from-file\n"}


@pytest.mark.parametrize(
    ("source", "environ", "expected"),
    [
        ("env:MISSING", {}, "secrets.A: the environment variable MISSING is not set"),
        ("file:~/nope", {}, "secrets.A: cannot read"),
    ],
)
def test_a_missing_secret_is_bad_input_naming_the_key(
    tmp_path: Path, source: str, environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(UsageError) as failure:
        read_secret_values({"A": source}, environ, tmp_path)
    assert expected in failure.value.message


def test_state_writes_secrets_private_and_drops_stale_ones(tmp_path: Path) -> None:
    state = EnvState.for_env(tmp_path / "state", "p")
    directory = state.write_secrets({"A": "1", "B": "2"})
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()} == {
        "A": 0o600, "B": 0o600,
    }  # fmt: skip
    state.write_secrets({"B": "3"})
    assert sorted(p.name for p in directory.iterdir()) == ["B"]
    assert (directory / "B").read_text() == "3"


def test_secrets_from_a_spec_file_need_consent(tmp_path: Path) -> None:
    spec = parse_spec('[secrets]\nKEY = "file:~/.ssh/id_ed25519"\nT = "env:T"\n', "f")
    decisions = trust_decisions(spec, EnvOptions(), key_flags=[], cwd=tmp_path, home=tmp_path)
    described = "\n".join(d.describe() for d in decisions)
    assert "the host file ~/.ssh/id_ed25519 is copied into the container" in described
    assert "the environment variable T is copied" in described
