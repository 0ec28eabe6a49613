"""Issue 11: host values that reach a root script, downloads as root, and repository keys.

A `--root` tree or support bundle can hold anything; `dlenv setup --script` must refuse values
that do not fit strict patterns (exit 2, nothing rendered), quote the ones it uses, download into
a private directory, and trust only the pinned repository keys.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dlenv.cli import run
from dlenv.errors import UsageError
from dlenv.host.os_release import parse_os_release
from dlenv.setup import sources as src
from dlenv.setup.context import SetupOptions
from dlenv.setup.host_state import HostState, read_host_state
from dlenv.setup.plan import Engine, Plan
from dlenv.setup.planner import build_plan
from dlenv.setup.script import render_script

FIXTURES = Path(__file__).parents[2] / "fixtures" / "os-release"
UBUNTU = (FIXTURES / "ubuntu-24.04" / "etc" / "os-release").read_text()
SLES = (FIXTURES / "sles-15-sp2" / "etc" / "os-release").read_text()


def _tree(tmp_path: Path, text: str) -> Path:
    (tmp_path / "host" / "etc").mkdir(parents=True)
    (tmp_path / "host" / "etc" / "os-release").write_text(text)
    return tmp_path / "host"


def _replace(text: str, key: str, value: str) -> str:
    return re.sub(rf"(?m)^{key}=.*$", f"{key}={value}", text)


def _plan(text: str, engine: Engine = Engine.DOCKER, arch: str = "x86_64") -> Plan:
    state = HostState(parse_os_release(text), arch, (), None)
    return build_plan(state, SetupOptions(engine=engine, user="dev"))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("VERSION_CODENAME", "$(touch /tmp/pwned)"),
        ("VERSION_CODENAME", "noble;id"),
        ("VERSION_CODENAME", "`id`"),
        ("UBUNTU_CODENAME", '"noble $(id)"'),
        ("VERSION_ID", '"24.04$(id)"'),
    ],
)
def test_hostile_os_release_in_root_tree_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: str
) -> None:
    root = _tree(tmp_path, _replace(UBUNTU, key, value))
    code = run(["setup", "--root", str(root), "--engine", "docker", "--script"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""  # nothing rendered
    assert key in err and "Traceback" not in err


def test_hostile_sles_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="VERSION_ID"):
        read_host_state(_tree(tmp_path, _replace(SLES, "VERSION_ID", '"15.2/$(id)"')))


@pytest.mark.parametrize("arch", ["x86_64; id", "$(id)", "sparc64", "x86_64\n"])
def test_architecture_outside_the_fixed_set_is_refused(
    arch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["setup", "--root", str(FIXTURES / "debian-12"), "--arch", arch, "--script"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "architecture" in err


def test_a_hostile_state_built_elsewhere_is_refused_too() -> None:
    with pytest.raises(UsageError):
        _plan(_replace(UBUNTU, "VERSION_CODENAME", "a$(id)"))
    with pytest.raises(UsageError):
        _plan(UBUNTU, arch="x86_64;id")


def test_arch_aliases_name_uname_architectures() -> None:
    state = read_host_state(FIXTURES / "ubuntu-24.04", arch="arm64")
    assert state.arch == "aarch64"
    assert "/ubuntu2404/sbsa/cuda-keyring" in render_script(_plan(UBUNTU, arch=state.arch))


@pytest.mark.parametrize("user", ["dev;id", "$(id)", "dev\n", "Dev"])
def test_hostile_user_name_is_refused(user: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        [
            "setup",
            "--root",
            str(FIXTURES / "debian-12"),
            "--engine",
            "docker",
            "--user",
            user,
            "--script",
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 2 and out == ""


def test_host_values_are_quoted_words_in_the_script() -> None:
    script = render_script(_plan(UBUNTU))
    # The codename is a word of its own, outside the double quotes that expand $(...).
    assert '/linux/ubuntu" noble stable > /etc/apt/sources.list.d/docker.list' in script
    sles = render_script(_plan(SLES))
    assert 'SUSEConnect -p sle-module-containers/15.2/"$(uname -m)"' in sles


def test_pretty_name_cannot_break_out_of_the_header_comment() -> None:
    text = _replace(UBUNTU, "PRETTY_NAME", '"Ubuntu\x1b[2J\x0bid"')
    header = render_script(_plan(text)).splitlines()[1]
    assert header.startswith("# dlenv setup plan for Ubuntu?[2J")
    assert all(c.isprintable() for c in header)


# --- downloads as root -------------------------------------------------------------------------


def _body(script: str, function: str) -> list[str]:
    lines = script.splitlines()
    start = lines.index(f"{function}() {{")
    end = lines.index("}", start)
    return [line.strip() for line in lines[start + 1 : end]]


@pytest.mark.parametrize("host", ["ubuntu-22.04", "ubuntu-24.04", "debian-12"])
def test_cuda_keyring_goes_to_a_private_directory_and_is_checked_first(host: str) -> None:
    state = read_host_state(FIXTURES / host, arch="x86_64")
    script = render_script(build_plan(state, SetupOptions(engine=Engine.DOCKER, user="dev")))
    assert "/tmp/" not in script
    body = _body(script, "do_driver_repo")
    made = body.index('tmp="$(mktemp -d)"')
    check = next(i for i, c in enumerate(body) if src.CUDA_REPO_KEY_FINGERPRINT in c)
    install = next(i for i, c in enumerate(body) if c.startswith("dpkg -i "))
    assert made < check < install
    assert body[install] == f'dpkg -i "$tmp"/{src.CUDA_KEYRING_DEB}'
    assert body[-1] == 'rm -rf "$tmp"'


@pytest.mark.parametrize(
    ("function", "fingerprint", "target"),
    [
        ("do_toolkit_repo", src.TOOLKIT_KEY_FINGERPRINT, src.TOOLKIT_KEYRING),
        ("do_engine_docker_repo", src.DOCKER_APT_KEY_FINGERPRINT, src.DOCKER_APT_KEY),
    ],
)
def test_repository_keys_are_checked_before_they_are_installed(
    function: str, fingerprint: str, target: str
) -> None:
    body = _body(render_script(_plan(UBUNTU)), function)
    check = next(i for i, c in enumerate(body) if f"= {fingerprint} ||" in c)
    install = next(i for i, c in enumerate(body) if target in c and "$tmp" in c)
    assert check < install
    # Never straight from the network into the trusted place.
    assert not any(
        c.startswith("curl") and ("gpg --dearmor" in c or f"-o {target}" in c) for c in body
    )


def test_pinned_fingerprints_are_full_v4_fingerprints() -> None:
    for fpr in (
        src.CUDA_REPO_KEY_FINGERPRINT,
        src.TOOLKIT_KEY_FINGERPRINT,
        src.DOCKER_APT_KEY_FINGERPRINT,
    ):
        assert re.fullmatch(r"[0-9A-F]{40}", fpr)
    # The short ids the vendors publish are the fingerprints' tails.
    assert src.CUDA_REPO_KEY_FINGERPRINT.endswith("3BF863CC")
    assert src.DOCKER_APT_KEY_FINGERPRINT.endswith("0EBFCD88")
    assert src.TOOLKIT_KEY_FINGERPRINT.endswith("DDCAE044F796ECB0")


# --- the key check, run: fake curl/gpg, the real bash and awk ------------------------------------

_GPG = """#!/usr/bin/env bash
# Prints the colon listing the test wants, for --show-keys; copies input to -o for --dearmor.
if [[ " $* " == *" --show-keys "* ]]; then cat "$FAKE_LISTING"; exit 0; fi
out=""; prev=""
for a in "$@"; do [[ "$prev" == -o ]] && out="$a"; prev="$a"; done
cp "${@: -1}" "$out"
"""
_CURL = """#!/usr/bin/env bash
out=""; prev=""
for a in "$@"; do [[ "$prev" == -o ]] && out="$a"; prev="$a"; done
printf 'key\\n' > "$out"
"""


def _listing(*primaries: str) -> str:
    lines = []
    for fpr in primaries:
        lines += ["pub:-:4096:1:0000000000000000:1:::-:::scESC::::::23::0:", f"fpr:::::::::{fpr}:"]
        lines += ["sub:-:4096:1:1111111111111111:1::::::s::::::23:", f"fpr:::::::::{'1' * 40}:"]
    return "\n".join(lines) + "\n"


@pytest.mark.skipif(shutil.which("awk") is None, reason="needs awk")
@pytest.mark.parametrize(
    ("primaries", "trusted"),
    [
        ((src.DOCKER_APT_KEY_FINGERPRINT,), True),
        (("A" * 40,), False),
        ((src.DOCKER_APT_KEY_FINGERPRINT, "A" * 40), False),  # an extra key rides along
        ((), False),  # not a key at all
    ],
)
def test_the_docker_key_check_runs(
    tmp_path: Path, primaries: tuple[str, ...], trusted: bool
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("gpg", _GPG), ("curl", _CURL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    listing = tmp_path / "listing"
    listing.write_text(_listing(*primaries))
    target = tmp_path / "docker.asc"
    body = _body(render_script(_plan(UBUNTU)), "do_engine_docker_repo")
    key_steps = [c for c in body if not c.startswith(("apt-get", "DEBIAN_FRONTEND", "echo"))]
    script = "set -euo pipefail\nf() {\n" + "\n".join(key_steps) + "\n}\nf\n"
    script = script.replace("install -m 0755 -d /etc/apt/keyrings\n", "")
    script = script.replace(src.DOCKER_APT_KEY, str(target))
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_LISTING": str(listing)}
    done = subprocess.run(
        ["bash", "-c", script], check=False, env=env, capture_output=True, text=True
    )
    assert (done.returncode == 0) is trusted, done.stderr
    assert target.exists() is trusted
    if not trusted:
        assert "not trusting it" in done.stderr


# --- rpm families (dnf, zypper): the same check before `rpm --import` ---------------------------

RPM_HOSTS = ["fedora-41", "rhel-9.2", "rocky-9.5", "amzn-2023", "opensuse-leap-15.6", "sles-15-sp2"]


def _rpm_script(host: str, engine: Engine = Engine.DOCKER) -> str:
    state = read_host_state(FIXTURES / host, arch="x86_64")
    return render_script(build_plan(state, SetupOptions(engine=engine, user="dev")))


@pytest.mark.parametrize("host", [*RPM_HOSTS, "opensuse-tumbleweed"])
@pytest.mark.parametrize("engine", [Engine.DOCKER, Engine.PODMAN])
def test_rpm_families_never_auto_import_keys(host: str, engine: Engine) -> None:
    if host == "amzn-2023" and engine is Engine.PODMAN:
        pytest.skip("Amazon Linux 2023 has no Podman")
    script = _rpm_script(host, engine)
    assert "--gpg-auto-import-keys" not in script
    assert "/tmp/" not in script
    # Every key rpm imports was checked first in the same step, from a file on disk.
    lines = script.splitlines()
    functions = [line[:-4] for line in lines if line.startswith("do_") and line.endswith("() {")]
    imports = 0
    for function in functions:
        body = _body(script, function)
        for i, command in enumerate(body):
            if command.startswith("rpm --import"):
                imports += 1
                key = command.split()[-1]
                assert key.startswith("/etc/pki/rpm-gpg/"), command
                check = next(j for j, c in enumerate(body) if "not trusting it" in c)
                install = body.index(f'install -D -m 0644 "$tmp"/key {key}')
                assert check < install < i
    assert imports >= 1


@pytest.mark.parametrize(
    ("host", "function", "fingerprint", "key", "repo"),
    [
        (
            "rhel-9.2",
            "do_driver_repo",
            src.CUDA_RPM_KEY_FINGERPRINT,
            src.CUDA_RPM_KEY,
            "/etc/yum.repos.d/cuda-rhel9.repo",
        ),
        (
            "amzn-2023",
            "do_driver_repo",
            src.CUDA_RPM_KEY_FINGERPRINT,
            src.CUDA_RPM_KEY,
            "/etc/yum.repos.d/cuda-amzn2023.repo",
        ),
        (
            "rocky-9.5",
            "do_toolkit_repo",
            src.TOOLKIT_KEY_FINGERPRINT,
            src.TOOLKIT_RPM_KEY,
            src.TOOLKIT_RPM_REPO,
        ),
        (
            "fedora-41",
            "do_engine_docker_repo",
            src.DOCKER_RPM_KEY_FINGERPRINT,
            src.DOCKER_RPM_KEY,
            src.DOCKER_RPM_REPO,
        ),
        (
            "rhel-9.2",
            "do_engine_docker_repo",
            src.DOCKER_RPM_KEY_FINGERPRINT,
            src.DOCKER_RPM_KEY,
            src.DOCKER_RPM_REPO,
        ),
    ],
)
def test_dnf_repos_name_the_checked_key_on_disk(
    host: str, function: str, fingerprint: str, key: str, repo: str
) -> None:
    script = _rpm_script(host)
    body = _body(script, function)
    assert body[-1] == (
        f"sed -i -E 's#^[[:space:]]*gpgkey[[:space:]]*=.*#gpgkey=file://{key}#' {repo}"
    )
    assert any(f"= {fingerprint} ||" in c for c in body)
    check = "\n".join(_body(script, "check_" + function.removeprefix("do_")))
    assert f"grep -qs '^gpgkey=file://{key}$' {repo}" in check


def test_pinned_rpm_fingerprints_are_full_v4_fingerprints() -> None:
    for fpr in (src.CUDA_RPM_KEY_FINGERPRINT, src.DOCKER_RPM_KEY_FINGERPRINT):
        assert re.fullmatch(r"[0-9A-F]{40}", fpr)
    # The short ids the vendors publish (rpm's gpg-pubkey-d42d0685, dnf's 0x621E9F35).
    assert src.CUDA_RPM_KEY_FINGERPRINT.endswith("D42D0685")
    assert src.DOCKER_RPM_KEY_FINGERPRINT.endswith("621E9F35")


_CURL_RPM = """#!/usr/bin/env bash
# A key for -o .../key; a repo file that names a key on the network for anything else.
out=""; prev=""
for a in "$@"; do [[ "$prev" == -o ]] && out="$a"; prev="$a"; done
case "$out" in
  */key) printf 'key\\n' > "$out" ;;
  *) printf '[r]\\ngpgkey=https://example.invalid/k\\n' > "$out" ;;
esac
"""
_RPM = """#!/usr/bin/env bash
echo "$*" >> "$FAKE_RPM_LOG"
"""


@pytest.mark.skipif(shutil.which("awk") is None, reason="needs awk")
@pytest.mark.parametrize(
    ("primaries", "trusted"),
    [
        ((src.TOOLKIT_KEY_FINGERPRINT,), True),
        (("A" * 40,), False),
        ((src.TOOLKIT_KEY_FINGERPRINT, "A" * 40), False),
        ((), False),
    ],
)
def test_the_dnf_toolkit_key_check_runs(
    tmp_path: Path, primaries: tuple[str, ...], trusted: bool
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("gpg", _GPG), ("curl", _CURL_RPM), ("rpm", _RPM)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    listing = tmp_path / "listing"
    listing.write_text(_listing(*primaries))
    rpm_log = tmp_path / "rpm.log"
    key = tmp_path / "pki" / "RPM-GPG-KEY-nvidia-container-toolkit"
    repo = tmp_path / "nvidia-container-toolkit.repo"
    script = _rpm_script("rocky-9.5")
    steps = "\n".join(_body(script, "do_toolkit_repo"))
    check = "\n".join(_body(script, "check_toolkit_repo"))
    text = "set -euo pipefail\nf() {\n" + steps + "\n}\nc() {\n" + check + "\n}\nf\nc\n"
    text = text.replace(src.TOOLKIT_RPM_KEY, str(key)).replace(src.TOOLKIT_RPM_REPO, str(repo))
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_LISTING": str(listing),
        "FAKE_RPM_LOG": str(rpm_log),
    }
    done = subprocess.run(
        ["bash", "-c", text], check=False, env=env, capture_output=True, text=True
    )
    assert (done.returncode == 0) is trusted, done.stderr
    assert key.exists() is trusted
    if trusted:
        assert rpm_log.read_text() == f"--import {key}\n"
        assert f"gpgkey=file://{key}\n" in repo.read_text()
        assert "example.invalid/k" not in repo.read_text()
    else:
        assert not rpm_log.exists()  # nothing imported
        assert not repo.exists()  # and no repository added
        assert "not trusting it" in done.stderr
