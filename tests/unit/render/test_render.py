"""Rendering: golden build contexts, byte stability, and what must never be rendered."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dlenv.engine.caps import BuilderCaps
from dlenv.render import RenderInput, render_context
from dlenv.resolve import resolve
from dlenv.spec import Spec, apply_overrides
from tests.support.index_config import TEST_INDEXES

GOLDEN = Path(__file__).parents[2] / "golden" / "render"
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
    assert env.index_options(torch) == (("--default-index", "https://torch-mirror.test/whl/cpu"),)


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
