"""Rendering: golden build contexts, byte stability, and what must never be rendered."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dlenv.render import BuilderCaps, RenderInput, render_context
from dlenv.resolve import resolve
from dlenv.spec import Spec, apply_overrides

GOLDEN = Path(__file__).parent.parent / "golden" / "render"
LEGACY = BuilderCaps(cache_mounts=False, secret_mounts=False, copy_chmod=False)

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
}


def render_case(case: str):  # type: ignore[no-untyped-def]
    spec, caps, ca = CASES[case]
    return render_context(RenderInput(resolve(spec), caps, uid=1000, gid=1000, with_ca_bundle=ca))


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_build_context(case: str) -> None:
    """Set DLENV_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""
    context = render_case(case)
    directory = GOLDEN / case
    if os.environ.get("DLENV_UPDATE_GOLDEN"):
        context.write(directory)
    expected = {p.name: p.read_text() for p in sorted(directory.iterdir())}
    assert dict(context.files) == expected


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
    # The CA bundle is only ever a secret mount, never copied or added in.
    copied = [line for line in containerfile.splitlines() if line.startswith(("COPY", "ADD"))]
    assert copied and not any("ca" in line.split()[-2] for line in copied)
    assert "--mount=type=secret,id=dlenv-ca" in containerfile


def test_sshd_is_key_only_and_user_only() -> None:
    sshd = render_case("default-gpu").files["sshd_config"]
    for line in (
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin no",
        "AllowUsers dev",
        "AuthenticationMethods publickey",
    ):
        assert line in sshd.splitlines()


def test_legacy_builder_gets_no_buildkit_syntax() -> None:
    containerfile = render_case("cpu-legacy-builder").files["Containerfile"]
    assert "--mount" not in containerfile
    assert "--chmod" not in containerfile
    assert "rm -rf /var/lib/apt/lists/*" in containerfile  # no cache mount: clean up in-layer


def test_ca_bundle_without_secret_mounts_goes_through_the_relay() -> None:
    # The legacy builder has no secrets: the CA stays on the host (dlenv.engine.relay).
    files = render_context(RenderInput(resolve(Spec()), LEGACY, 1000, 1000, with_ca_bundle=True))
    containerfile = files.files["Containerfile"]
    assert "--mount=type=secret" not in containerfile
    assert "/run/secrets" not in containerfile and "SSL_CERT_FILE" not in containerfile
    assert "UV_DEFAULT_INDEX=http://pypi.org/simple" in containerfile
    assert "--index-url http://download.pytorch.org/whl/" in containerfile


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
    scripts = [str(tmp_path / "entrypoint.sh"), str(tmp_path / "profile.sh")]
    done = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
