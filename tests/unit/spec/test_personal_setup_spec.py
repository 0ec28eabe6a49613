"""[ports], [secrets], [dotfiles], jupyter.extensions, run.idle_stop and run.caches: what the
spec accepts, and the message for what it refuses (key path, line, the expected form)."""

from __future__ import annotations

import pytest

from dlenv.errors import SpecError
from dlenv.resolve import resolve
from dlenv.spec import parse_spec
from dlenv.spec.model import duration_seconds


@pytest.mark.parametrize(
    ("text", "seconds"), [("20s", 20), ("90m", 5400), ("2h", 7200), ("1d", 86400), ("off", None)]
)
def test_durations(text: str, seconds: int | None) -> None:
    assert duration_seconds(text) == seconds


def test_everything_at_once_is_accepted() -> None:
    spec = parse_spec(
        '[jupyter]\nextensions = ["jupyterlab-execute-time>=3"]\n'
        '[run]\nidle_stop = "20s"\ncaches = "environment"\n'
        "[ports]\ntensorboard = 6006\n"
        '[secrets]\nHF_TOKEN = "env:HF_TOKEN"\nWANDB_API_KEY = "file:~/.wandb"\n'
        '[dotfiles]\nrepo = "git@github.com:me/dotfiles.git"\ninstall = "bin/install.sh"\n',
        "f",
    )
    assert spec.ports == {"tensorboard": 6006}
    assert spec.dotfiles.install == "bin/install.sh"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[ports]\ntb = 2222", "line 2: ports.tb: 2222 is already ssh.port"),
        ("[ports]\ntb = 22", "ports.tb: 22 is already sshd inside the container"),
        ("[ports]\na = 6006\nb = 6006", "ports.b: 6006 is already ports.a"),
        ("[ports]\nTB = 6006", "'TB' is not a port name"),
        ("[ports]\ntb = true", "ports.tb"),
        ('[secrets]\nHF = "env:"', 'line 2: secrets.HF: expected "env:VARIABLE" or "file:PATH"'),
        ('[secrets]\nHF = "file:relative/x"', "absolute, or ~/ for your home"),
        ('[secrets]\nHF = "file:~other/x"', "absolute, or ~/ for your home"),
        ('[secrets]\nHF = "vault:x"', 'expected "env:VARIABLE"'),
        ('[secrets]\n"A-B" = "env:A"', "'A-B' is not an environment variable name"),
        ('[secrets]\nHF = "file:/a\\nb"', "absolute, or ~/ for your home"),
        ('[run]\nidle_stop = "2 hours"', 'run.idle_stop: expected "off" or a duration'),
        ('[run]\nidle_stop = "0s"', "run.idle_stop"),
        ('[run]\ncaches = "global"', "run.caches: expected one of"),
        ('[dotfiles]\nrepo = "https://me:pw@example.test/d.git"', "holds a password"),
        ('[dotfiles]\nrepo = "--upload-pack=touch /tmp/x"', "dotfiles.repo: expected a git URL"),
        ('[dotfiles]\nrepo = "https://example.test/a b"', "dotfiles.repo: expected a git URL"),
        ('[dotfiles]\ninstall = "../../etc/x"', "dotfiles.install: expected a relative path"),
        ('[dotfiles]\ninstall = "/bin/sh"', "dotfiles.install: expected a relative path"),
        ('[dotfiles]\nrpo = "x"', 'did you mean "repo"?'),
        ('[jupyter]\nextensions = ["a b"]', "jupyter.extensions: 'a b' is not a Python"),
    ],
)
def test_bad_values_name_the_key_and_the_form(text: str, message: str) -> None:
    with pytest.raises(SpecError) as failure:
        parse_spec(text, "f")
    assert message in str(failure.value)


def test_https_port_in_a_dotfiles_url_is_not_a_password() -> None:
    spec = parse_spec('[dotfiles]\nrepo = "https://example.test:8443/d.git"\n', "f")
    assert spec.dotfiles.repo == "https://example.test:8443/d.git"


def test_extensions_are_their_own_layer_after_the_core_before_extras() -> None:
    spec = parse_spec(
        'profile = "cpu"\n[torch]\nenabled = false\n[python]\nextra = ["rich"]\n'
        '[jupyter]\nextensions = ["jupyterlab-execute-time"]\n',
        "f",
    )
    layers = [(layer.name, layer.requirements) for layer in resolve(spec).layers]
    assert [name for name, _ in layers] == ["core", "jupyter-extensions", "extra"]
    assert layers[1][1] == ("jupyterlab-execute-time",)
