"""A spec file from someone else's repository cannot open the host without the user's consent,
and no one can make `/`, a home directory or a system directory the workspace (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlenv.cli import run
from dlenv.commands.trust_prompt import confirm_trust
from dlenv.environment.host_paths import resolve_workspace
from dlenv.environment.options import EnvOptions
from dlenv.environment.trust import TrustDecision, trust_decisions
from dlenv.errors import DlenvError, UsageError
from dlenv.spec import Spec, apply_overrides, parse_spec
from tests.support.context import make_context
from tests.support.fakes import FakeRunner

HOSTILE = """
[ssh]
authorized_keys = ["keys/attacker.pub"]
[run]
bind = "0.0.0.0"
workspace = "project"
"""


def decisions(
    tmp_path: Path,
    spec: Spec,
    options: EnvOptions | None = None,
    key_flags: list[Path] | None = None,
) -> tuple[TrustDecision, ...]:
    return trust_decisions(
        spec,
        options or EnvOptions(),
        key_flags=key_flags or [],
        cwd=tmp_path,
        home=tmp_path / "home",
    )


def test_the_defaults_need_no_trust(tmp_path: Path) -> None:
    assert decisions(tmp_path, Spec()) == ()


def test_keys_binds_and_host_directories_from_the_file_are_listed(tmp_path: Path) -> None:
    found = decisions(tmp_path, parse_spec(HOSTILE, "dlenv.toml"))
    assert [d.key for d in found] == ["ssh.authorized_keys[0]", "run.bind", "run.workspace"]
    key, bind, workspace = found
    # A relative key is the repository's own key: the decision names where it really is.
    assert str(tmp_path / "keys/attacker.pub") in key.effect
    assert bind.value == "0.0.0.0"
    assert str(tmp_path / "project") in workspace.effect
    assert key.describe().startswith("ssh.authorized_keys[0] = 'keys/attacker.pub': whoever")


def test_the_users_own_flags_need_no_confirmation(tmp_path: Path) -> None:
    spec = parse_spec(HOSTILE, "dlenv.toml")
    flags = EnvOptions(bind="0.0.0.0", workspace="project")
    assert decisions(tmp_path, spec, flags, key_flags=[tmp_path / "mine.pub"]) == ()


@pytest.mark.parametrize(
    "workspace",
    ["/", "~", "~/", "..", "/etc", "/etc/ssh", "/usr/share", "/lib64", "/var/lib/docker",
     "/root", "/proc/1", "/home", "/home/someone"],
)  # fmt: skip
def test_the_host_the_home_and_system_directories_are_never_a_workspace(
    tmp_path: Path, workspace: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with pytest.raises(UsageError) as refused:
        resolve_workspace(workspace, home, home)  # ".." from the home holds the home
    assert refused.value.message.startswith(f"run.workspace {workspace!r} resolves to")
    assert "refused" in refused.value.message


def test_a_symlink_cannot_hide_a_refused_directory(tmp_path: Path) -> None:
    (tmp_path / "innocent").symlink_to("/etc")
    with pytest.raises(UsageError, match="/etc is a system directory"):
        resolve_workspace("innocent", tmp_path, tmp_path / "home")
    (tmp_path / "mine").symlink_to(tmp_path / "home")
    with pytest.raises(UsageError, match="your home directory itself"):
        resolve_workspace("mine", tmp_path, tmp_path / "home")


def test_project_directories_are_fine(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert resolve_workspace("volume", tmp_path, home) is None
    assert resolve_workspace("~/work/project", tmp_path, home) == home / "work/project"
    assert resolve_workspace("data", tmp_path, home) == tmp_path / "data"
    # root's own projects live below /root: allowed when HOME is /root.
    assert resolve_workspace("/root/project", tmp_path, Path("/root")) == Path("/root/project")


def test_a_refused_workspace_is_refused_before_anyone_is_asked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="root directory"):
        decisions(tmp_path, parse_spec('[run]\nworkspace = "/"\n', "dlenv.toml"))
    with pytest.raises(UsageError, match="root directory"):  # a flag is refused too
        flags = EnvOptions(workspace="/")
        decisions(tmp_path, apply_overrides(Spec(), flags.overrides()), flags)


def test_up_without_a_terminal_needs_yes_and_names_each_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dlenv.toml").write_text(HOSTILE)
    runner = FakeRunner()
    assert run(["up"], make_context(tmp_path, runner)) == 2
    err = capsys.readouterr().err
    assert "ssh.authorized_keys[0]" in err and str(tmp_path / "keys/attacker.pub") in err
    assert "run.bind" in err and "run.workspace" in err and "--yes" in err
    assert runner.calls == []  # nothing ran: no engine, no build


def test_up_refuses_the_root_directory_as_workspace_even_from_a_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = FakeRunner()
    assert run(["up", "--workspace", "/", "--yes"], make_context(tmp_path, runner)) == 2
    assert "refused" in capsys.readouterr().err
    assert runner.calls == []


def test_confirmation_on_a_terminal(tmp_path: Path) -> None:
    found = decisions(tmp_path, parse_spec(HOSTILE, "dlenv.toml"))
    asked: list[str] = []

    def answer(value: bool):  # type: ignore[no-untyped-def]
        def ask(question: str) -> bool:
            asked.append(question)
            return value

        return ask

    confirm_trust(found, "dlenv.toml", yes=False, interactive=True, ask=answer(True))
    with pytest.raises(DlenvError, match="declined") as declined:
        confirm_trust(found, "dlenv.toml", yes=False, interactive=True, ask=answer(False))
    assert declined.value.exit_code == 1
    assert len(asked) == 2
    confirm_trust(found, "dlenv.toml", yes=True, interactive=False, ask=answer(False))
    confirm_trust((), "dlenv.toml", yes=False, interactive=False, ask=answer(False))
    assert len(asked) == 2


def test_a_box_named_by_the_file_needs_consent_and_one_named_by_you_does_not(
    tmp_path: Path,
) -> None:
    spec = parse_spec('host = "ana@gpu-box:2200"\n', "dlenv.toml")
    (listed,) = decisions(tmp_path, spec)
    assert listed.key == "host"
    assert "Jupyter token" in listed.effect
    assert decisions(tmp_path, spec, EnvOptions(host="ana@gpu-box:2200")) == ()


@pytest.mark.parametrize("host", ["box\nHost *", "-oProxyCommand=sh", "box:99999", "a b"])
def test_a_host_that_is_not_an_address_is_refused_with_its_key(host: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_spec(f"host = {json.dumps(host)}\n", "dlenv.toml")
    assert "host" in caught.value.message
