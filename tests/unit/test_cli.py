"""The CLI surface: version, help, exit codes, and no tracebacks for user mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlenv import cli
from dlenv.errors import DlenvError


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["--version"]) == 0
    assert capsys.readouterr().out.startswith("dlenv ")


@pytest.mark.parametrize(
    "command", ["up", "down", "status", "logs", "shell", "build", "render", "spec"]
)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run([command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["status", "--no-such-option"]) == 2
    assert "No such option" in capsys.readouterr().err


def test_bad_spec_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dlenv.toml").write_text("[ssh]\nprot = 22\n")
    assert cli.run(["spec"]) == 2
    err = capsys.readouterr().err
    assert 'line 2: ssh.prot: unknown key; did you mean "port"?' in err
    assert "Traceback" not in err


def test_spec_show_prints_effective_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.run(["spec", "--show"]) == 0
    out = capsys.readouterr().out
    assert 'profile = "gpu"' in out
    assert "[python]" in out


def test_user_error_exits_1_and_interrupt_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**_: object) -> None:
        raise DlenvError("boom", hint="do this")

    def interrupt(**_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "app", fail)
    assert cli.run([]) == 1
    monkeypatch.setattr(cli, "app", interrupt)
    assert cli.run([]) == 130


def test_help_summaries_match_the_commands() -> None:
    # `dlenv --help` lists commands from cli.SUMMARIES without importing them; keep them true.
    for name in cli.COMMAND_MODULES:
        assert name in cli.SUMMARIES, f"add a one-line summary for {name!r} to cli.SUMMARIES"
        command = cli.load_command(name)
        first_line = (command.help or "").strip().splitlines()[0]
        assert first_line == cli.SUMMARIES[name], name


def test_root_help_imports_no_command_module(capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from dlenv import cli; cli.run(['--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('dlenv.commands.')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


BUILD_COMMANDS = ("up", "build", "render", "lock", "push")
TARGET_COMMANDS = ("down", "status", "logs", "shell", "exec", "restart", "verify", "rm")


def test_the_shared_environment_options_reach_every_command_that_takes_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Declared once (commands.options.env_options): `lock` used to lack --ca-bundle.
    for command in BUILD_COMMANDS + TARGET_COMMANDS:
        assert cli.run([command, "--help"]) == 0
        shown = capsys.readouterr().out
        assert "Environment" in shown, command  # grouped under their own heading
        for option in ("--spec", "--name", "--engine"):
            assert option in shown, (command, option)
        has_build_options = all(o in shown for o in ("--ca-bundle", "--profile", "--base-image"))
        assert has_build_options == (command in BUILD_COMMANDS), command
