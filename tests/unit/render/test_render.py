"""Rendering: golden build contexts, byte stability, and what must never be rendered."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dlenv.engine.caps import BuilderCaps
from dlenv.knowledge.uv_wheels import uv_wheel_hashes
from dlenv.render import RenderInput, render_context
from dlenv.render.context import CONFIG_PATHS, BuildContext
from dlenv.resolve import resolve
from dlenv.spec import Spec, apply_overrides
from tests.support.index_config import MIRROR_BASES, TEST_INDEXES

GOLDEN = Path(__file__).parents[2] / "golden" / "render"
LEGACY = BuilderCaps(cache_mounts=False, secret_mounts=False)

CPU_TEST_SPEC = {
    "name": "e2e",
    "profile": "cpu",
    "image.base": "localhost/dlenv-test/debian:bookworm",
    "python.version": "system",
    "torch.enabled": False,
}

CASES = {
    # The embedded default: GPU profile, uv-managed Python, every builder feature.
    "default-gpu": (Spec(), BuilderCaps(), False),
    # What the end-to-end tests build here: CPU, system Python, CA bundle as a build secret.
    "cpu-system-ca": (apply_overrides(Spec(), CPU_TEST_SPEC), BuilderCaps(), True),
    # Docker's legacy builder: no RUN --mount, no COPY --chmod.
    "cpu-legacy-builder": (apply_overrides(Spec(), CPU_TEST_SPEC), LEGACY, False),
    # The legacy builder with a CA bundle: every index is named over the loopback relay, and
    # torch comes from PyTorch's (CPU) index only.
    "cpu-torch-legacy-relay": (
        apply_overrides(Spec(), {**CPU_TEST_SPEC, "torch.enabled": True}), LEGACY, True
    ),
}


def render_case(case: str):  # type: ignore[no-untyped-def]
    spec, caps, ca = CASES[case]
    env = resolve(spec, indexes=TEST_INDEXES)
    return render_context(RenderInput(env, caps, uid=1000, gid=1000, with_ca_bundle=ca))


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_build_context(case: str) -> None:
    """Set DLENV_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""
    context = render_case(case)
    directory = GOLDEN / case
    if os.environ.get("DLENV_UPDATE_GOLDEN"):
        context.write(directory)
    entries = sorted(directory.rglob("*"))
    links = {str(p.relative_to(directory)): str(p.readlink()) for p in entries if p.is_symlink()}
    expected = {
        str(p.relative_to(directory)): p.read_text()
        for p in entries
        if p.is_file() and not p.is_symlink()
    }
    assert dict(context.files) == expected
    assert dict(context.links) == links
    for name in context.files:  # the COPY takes the modes the context has
        executable = (directory / name).stat().st_mode & 0o111 != 0
        assert executable == (name in context.executables), name


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_is_byte_stable(case: str) -> None:
    first, second = render_case(case), render_case(case)
    assert first.files == second.files
    assert first.digest == second.digest


def test_package_order_in_spec_does_not_change_the_image() -> None:
    a = apply_overrides(Spec(), {"python.packages": ["numpy", "pandas"]})
    b = apply_overrides(Spec(), {"python.packages": ["pandas", "numpy"]})
    render = lambda s: render_context(RenderInput(resolve(s), BuilderCaps(), 1000, 1000))  # noqa: E731
    assert render(a).digest == render(b).digest


def test_uid_change_changes_the_digest() -> None:
    spec = resolve(Spec())
    one = render_context(RenderInput(spec, BuilderCaps(), 1000, 1000))
    two = render_context(RenderInput(spec, BuilderCaps(), 1001, 1001))
    assert one.digest != two.digest


def test_no_host_keys_or_secrets_in_the_image() -> None:
    files = render_case("cpu-system-ca").files
    containerfile = files["Containerfile"]
    assert "rm -f /etc/ssh/ssh_host_*" in containerfile  # package-generated keys are removed
    assert "ARG " not in containerfile.replace("ARG DEBIAN_FRONTEND", "")
    assert "token" not in containerfile.lower()
    # The CA bundle is only ever a secret mount, never copied, added or bind-mounted in: the
    # build context holds only rendered files (a bind mount names one by source=).
    copied = [line for line in containerfile.splitlines() if line.startswith(("COPY", "ADD"))]
    assert [line.split()[-2] for line in copied] == ["rootfs/"]
    assert all(name == "Containerfile" or name.startswith("rootfs/") for name in files)
    bound = re.findall(r"--mount=type=bind,source=([^,]+),", containerfile)
    assert set(bound) <= set(files)
    assert not any("ca" in name.split(".")[0].split("-") for name in bound)
    assert "--mount=type=secret,id=dlenv-ca" in containerfile


def test_sshd_is_key_only_and_user_only() -> None:
    sshd = render_case("default-gpu").files[CONFIG_PATHS["sshd_config"]]
    for line in (
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin no",
        "AllowUsers dev",
        "AuthenticationMethods publickey",
    ):
        assert line in sshd.splitlines()


def test_sshd_forwards_only_local_tcp_and_speaks_only_modern_algorithms() -> None:
    lines = render_case("default-gpu").files[CONFIG_PATHS["sshd_config"]].splitlines()
    for line in (
        "AllowTcpForwarding local",  # IDEs forward ports with -L; -R would open listeners
        "AllowAgentForwarding no",
        "AllowStreamLocalForwarding no",
        "X11Forwarding no",
    ):
        assert line in lines
    chosen = {
        key: line.split()[1].split(",")
        for line in lines
        for key in ("KexAlgorithms", "Ciphers", "MACs")
        if line.startswith(key + " ")
    }
    assert set(chosen) == {"KexAlgorithms", "Ciphers", "MACs"}
    everything = [name for names in chosen.values() for name in names]
    # No SHA-1, NIST curves, CBC or encrypt-and-MAC.
    assert not [n for n in everything if "sha1" in n or "nistp" in n or "cbc" in n]
    assert all(mac.endswith("-etm@openssh.com") for mac in chosen["MACs"])
    # Every name must be known to OpenSSH, or sshd refuses to start: ask the local one
    # (Debian 12's 9.2 in CI; the e2e tests start sshd on the real base image).
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("no OpenSSH client to ask which algorithms it knows")
    for key, query in (("KexAlgorithms", "kex"), ("Ciphers", "cipher"), ("MACs", "mac")):
        known = subprocess.run([ssh, "-Q", query], capture_output=True, text=True, check=True)
        assert set(chosen[key]) <= set(known.stdout.split()), key


def test_jupyter_allows_no_password_to_be_set() -> None:
    config = render_case("default-gpu").files[CONFIG_PATHS["jupyter_server_config.py"]]
    assert "c.PasswordIdentityProvider.allow_password_change = False" in config.splitlines()


def test_jupyter_runs_without_a_way_to_new_privileges() -> None:
    entrypoint = render_case("default-gpu").files[CONFIG_PATHS["entrypoint.sh"]]
    start = entrypoint[entrypoint.index("setpriv") :].split("&")[0]
    assert "--no-new-privs" in start and "/usr/local/bin/dlenv-jupyter-lab --config" in start
    # The token copy is written while /run/dlenv is still root's (no CAP_DAC_OVERRIDE needed).
    order = [entrypoint.index(s) for s in ("-o root -g root /run/dlenv", "jupyter_token /run",
                                           'chown "$user:$user" /run/dlenv')]
    assert order == sorted(order)


@pytest.mark.parametrize("case", ["default-gpu", "cpu-torch-legacy-relay"])
def test_uv_is_installed_with_required_hashes_of_the_pinned_version(case: str) -> None:
    containerfile = render_case(case).files["Containerfile"]
    hashes = uv_wheel_hashes("0.13.9")
    # The x86_64 manylinux wheel, as `pip download uv==0.13.9 --no-deps` fetched and sha256sum
    # hashed it (see data/uv_wheels.toml).
    assert "d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19" in hashes
    for digest in hashes:
        assert f"--hash=sha256:{digest} \\\n" in containerfile
    assert "--require-hashes --only-binary=:all:" in containerfile
    assert "-r /tmp/uv-requirements.txt" in containerfile
    assert " uv==0.13.9;" not in containerfile  # never the unhashed form
    # pip runs from python3-venv's pip wheel: no virtual environment with pip installed first.
    uv_step = containerfile.split("# 2. uv")[1].split("ENV VIRTUAL_ENV")[0]
    assert 'PYTHONPATH="$1" python3 -m pip install --target /tmp/uv-bootstrap' in uv_step
    assert "python3 -m venv" not in uv_step


def test_a_uv_version_without_known_hashes_is_pinned_by_version_and_says_so() -> None:
    assert uv_wheel_hashes("0.0.1") == ()
    env = resolve(apply_overrides(Spec(), {"python.uv": "0.0.1"}), indexes=TEST_INDEXES)
    rendered = render_context(RenderInput(env, BuilderCaps(), uid=1000, gid=1000))
    containerfile = rendered.files["Containerfile"]
    assert "pinned by version only: dlenv knows no wheel hashes for uv 0.0.1" in containerfile
    assert "--require-hashes" not in containerfile.split("# 3.")[0]
    assert "uv==0.0.1;" in containerfile


def test_legacy_builder_gets_no_buildkit_syntax() -> None:
    containerfile = render_case("cpu-legacy-builder").files["Containerfile"]
    assert "--mount" not in containerfile
    assert "--chmod" not in containerfile
    assert "rm -rf /var/lib/apt/lists/*" in containerfile  # no cache mount: clean up in-layer


def _install_lines(containerfile: str) -> list[str]:
    """Each RUN step's text with continuation lines joined, for the steps that install."""
    joined = containerfile.replace("\\\n", " ")
    return [line for line in joined.splitlines() if "pip install" in line]


# Every path a build can take: buildah/BuildKit with and without a CA secret, the legacy builder
# without a CA and through the relay with one.
INDEX_PATHS = {
    "secrets, no CA": (BuilderCaps(), False, lambda url: url),
    "secrets, CA": (BuilderCaps(), True, lambda url: url),
    "legacy, no CA": (LEGACY, False, lambda url: url),
    "legacy, relay": (LEGACY, True, lambda url: url.replace("https://", "http://", 1)),
}


@pytest.mark.parametrize("path", sorted(INDEX_PATHS))
@pytest.mark.parametrize("profile", ["cpu", "gpu"])
def test_every_install_names_exactly_the_index_the_resolver_chose(path: str, profile: str) -> None:
    # Regression: the relay path set UV_DEFAULT_INDEX (PyPI) beside `--index-url` (PyTorch's
    # index) and uv took PyPI's CUDA torch for the CPU profile. Now no index comes from the
    # environment of a RUN step: each install names its own, and nothing else.
    caps, ca, through = INDEX_PATHS[path]
    spec = apply_overrides(Spec(), {"profile": profile, "python.groups": ["polars"]})
    env = resolve(spec, indexes=TEST_INDEXES)
    containerfile = render_context(RenderInput(env, caps, 1000, 1000, with_ca_bundle=ca)).files[
        "Containerfile"
    ]
    for variable in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_INDEX=", "PIP_INDEX_URL", "PIP_EXTRA"):
        assert variable not in containerfile
    installs = [line for line in _install_lines(containerfile) if "uv pip install" in line]
    assert len(installs) == len(env.layers)
    for layer, line in zip(env.layers, installs, strict=True):
        words = line.split()
        named = [words[i + 1] for i, w in enumerate(words) if w.endswith("-index-url")]
        named += [words[i + 1] for i, w in enumerate(words) if w == "--default-index"]
        expected = [through(url) for _, url in env.index_options(layer)]
        assert sorted(named) == sorted(expected), layer.name
        assert words.count("--default-index") == 1
    torch = next(layer for layer in env.layers if layer.name == "torch")
    assert dict(env.index_options(torch))["--default-index"].startswith(
        TEST_INDEXES.mirrors[next(iter(TEST_INDEXES.mirrors))][:8]
    )
    # uv itself comes from the configured default index, too.
    bootstrap = next(line for line in _install_lines(containerfile) if "uv==" in line)
    assert f"--index-url {through(TEST_INDEXES.default)}" in bootstrap


def test_torch_reads_pytorchs_index_for_its_variant_and_nothing_else() -> None:
    spec = apply_overrides(Spec(), CPU_TEST_SPEC | {"torch.enabled": True})
    env = resolve(spec, indexes=TEST_INDEXES)
    torch = next(layer for layer in env.layers if layer.name == "torch")
    assert env.index_options(torch) == (("--default-index", MIRROR_BASES["pytorch"] + "/cpu"),)


def test_layers_go_from_heaviest_to_lightest() -> None:
    spec = apply_overrides(Spec(), {"python.groups": ["polars", "cupy"], "python.extra": ["rich"]})
    containerfile = render_context(RenderInput(resolve(spec), BuilderCaps(), 1000, 1000)).files[
        "Containerfile"
    ]
    order = [
        line[2:]
        for line in containerfile.splitlines()
        if line in {"# torch", "# cupy", "# core", "# polars", "# extra"}
    ]
    assert order == ["torch", "cupy", "core", "polars", "extra"]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_scripts_pass_shellcheck(case: str, tmp_path: Path) -> None:
    render_case(case).write(tmp_path)
    scripts = [str(tmp_path / CONFIG_PATHS[name]) for name in ("entrypoint.sh", "profile.sh")]
    done = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("case", ["cpu-system-ca", "cpu-legacy-builder"])
def test_config_files_are_installed_by_one_copy_of_the_rootfs_tree(case: str) -> None:
    """Whatever the builder: one COPY, nothing else after the package layers (a RUN starts a
    container: about a second of every rebuild; a USER is one more image commit), and the files
    laid out as the image holds them."""
    context = render_case(case)
    steps = [line.split(" ", 1)[0] for line in context.files["Containerfile"].splitlines()]
    steps = [s for s in steps if s.isupper()]
    assert steps[-2:] == ["RUN", "COPY"]
    assert "USER" not in steps  # the user's steps go through setpriv; the image runs as root
    assert "COPY rootfs/ /" in context.files["Containerfile"].splitlines()
    config = {name for name in context.files if name.startswith("rootfs/")}
    assert config == {*CONFIG_PATHS.values(), "rootfs/etc/timezone"}
    assert "rootfs/usr/local/bin/dlenv-entrypoint" in context.executables
    assert "rootfs/etc/ssh/sshd_config" not in context.executables


def test_the_time_zone_is_a_link_in_the_tree_and_changes_only_it() -> None:
    """As Debian's tzdata sets it: /etc/localtime a link into the zoneinfo database (the COPY
    keeps it a link), /etc/timezone its name. No TZ variable, no RUN."""
    utc = render_case("cpu-system-ca")
    spec, caps, ca = CASES["cpu-system-ca"]
    berlin_spec = apply_overrides(spec, {"image.timezone": "Europe/Berlin"})
    berlin = render_context(
        RenderInput(resolve(berlin_spec, indexes=TEST_INDEXES), caps, 1000, 1000, ca)
    )
    assert berlin.links == {"rootfs/etc/localtime": "/usr/share/zoneinfo/Europe/Berlin"}
    assert berlin.files["rootfs/etc/timezone"] == "Europe/Berlin\n"
    changed = {n for n in {*utc.files, *berlin.files} if utc.files.get(n) != berlin.files.get(n)}
    assert changed == {"rootfs/etc/timezone"}
    assert "TZ" not in berlin.files["Containerfile"]
    assert berlin.digest != utc.digest


def test_a_mode_or_link_change_changes_the_digest() -> None:
    context = render_case("cpu-system-ca")
    flipped = BuildContext(
        context.files, context.executables ^ {"rootfs/etc/ssh/sshd_config"}, context.links
    )
    assert flipped.digest != context.digest
    relinked = BuildContext(
        context.files, context.executables, {"rootfs/etc/localtime": "/usr/share/zoneinfo/UTC"}
    )
    assert relinked.digest != context.digest


def test_writing_removes_what_the_rootfs_tree_no_longer_holds(tmp_path: Path) -> None:
    """The COPY takes rootfs/ whole: a file an older render left there, or the temporary file
    of an interrupted write, must not reach the image. Files beside rootfs/ are kept."""
    context = render_case("cpu-system-ca")
    stale = tmp_path / "rootfs/etc/dlenv/old.conf"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    (tmp_path / "rootfs/opt/empty").mkdir(parents=True)
    leftover = tmp_path / "rootfs/etc/ssh/.sshd_config.x1y2"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("half")
    (tmp_path / "rootfs/etc/link").symlink_to("/etc/passwd")
    (tmp_path / "rootfs/etc/localtime").write_text("a file where the link goes")
    mine = tmp_path / "notes.txt"
    mine.write_text("kept")
    context.write(tmp_path)
    written = {
        str(p.relative_to(tmp_path))
        for p in tmp_path.rglob("*")
        if p.is_symlink() or not p.is_dir()
    }
    assert written == {*context.files, *context.links, "notes.txt"}
    assert (tmp_path / "rootfs/etc/localtime").readlink() == Path("/usr/share/zoneinfo/Etc/UTC")
    assert not (tmp_path / "rootfs/opt").exists()
    assert Path("/etc/passwd").exists()
    for name in context.files:
        mode = (tmp_path / name).stat().st_mode & 0o777
        assert mode == (0o755 if name in context.executables else 0o644), name
