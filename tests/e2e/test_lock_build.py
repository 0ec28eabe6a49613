"""`dlenv lock` + `dlenv build` from the lock on a real engine, and `dlenv push` to a real registry.

The registry is Debian's `docker-registry` (distribution 2.8), started here on a free loopback
port with its storage in a temporary directory; the pushed image is pulled back by digest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import BASE_IMAGE, CA_BUNDLE, Cli, require
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

NAME = "e2e-locked"


def spec_text(extra: list[str]) -> str:
    return f"""
name = "{NAME}"
profile = "cpu"
engine = "podman"

[image]
base = "{BASE_IMAGE}"
apt = []

[python]
version = "system"
packages = ["tqdm"]
extra = {json.dumps(extra)}

[torch]
enabled = false
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    program = shutil.which("docker-registry")
    require(program is not None, "Debian's docker-registry is not installed")
    assert program is not None
    root = tmp_path_factory.mktemp("registry")
    address = f"127.0.0.1:{free_port()}"
    config = root / "config.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
        f"http:\n  addr: {address}\n"
    )
    with (root / "log").open("w") as log:
        server = subprocess.Popen([program, "serve", str(config)], stdout=log, stderr=log)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://{address}/v2/", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"docker-registry did not start: {(root / 'log').read_text()[-2000:]}")
        yield address
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def project(cli_factory: Any) -> Iterator[Cli]:
    cli: Cli = cli_factory("podman", NAME)
    (cli.cwd / "dlenv.toml").write_text(spec_text(["rich"]))
    yield cli


def podman(cli: Cli, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, env=cli.env, check=check
    )


def in_image(cli: Cli, image: str, script: str) -> str:
    return podman(cli, "run", "--rm", "--entrypoint", "sh", image, "-c", script).stdout


@pytest.fixture(scope="module")
def built(project: Cli) -> Iterator[str]:
    project("lock")
    done = project("build", "--ca-bundle", CA_BUNDLE)
    image = done.stdout.strip().splitlines()[-1]
    yield image
    podman(project, "rmi", "--force", image, check=False)  # only the image this module built


def locked_pins(cli: Cli) -> dict[str, str]:
    lock = tomllib.loads((cli.cwd / "dlenv.lock").read_text())
    assert lock["python-target"] == "3.11"  # Debian 12's python3, asked of the base image
    return {
        p["name"]: p["version"]
        for layer in lock["layers"]
        for p in layer["packages"]
        if "marker" not in p or "win32" not in p["marker"]
    }


def test_lock_is_fresh_after_locking(project: Cli, built: str) -> None:
    done = project("lock", "--check")
    assert "is up to date" in done.stderr


def test_image_holds_exactly_the_locked_versions(project: Cli, built: str) -> None:
    frozen = in_image(project, built, "uv pip freeze --python /opt/venv/bin/python")
    installed = dict(line.split("==", 1) for line in frozen.split())
    pins = locked_pins(project)
    assert installed == {name: pins[name] for name in installed}
    assert {"tqdm", "rich", "markdown-it-py", "pygments"} <= set(installed)
    # The layer files were bind-mounted for the install, not copied into the image (buildah
    # leaves the empty mount point).
    script = "ls -A /etc/dlenv/lock /tmp/dlenv-lock 2>&1; true"
    assert in_image(project, built, script).split("\n", 1) == [
        "ls: cannot access '/etc/dlenv/lock': No such file or directory",
        "/tmp/dlenv-lock:\n",
    ]


def test_no_package_caches_are_left_in_the_image(project: Cli, built: str) -> None:
    """apt and uv caches are cache mounts: the image's cache directories hold exactly what the
    base image already had (debootstrap leaves apt lists), and nothing of uv's or pip's."""
    script = "du -sk /var/cache/uv /var/lib/apt/lists /var/cache/apt 2>/dev/null; true"
    sizes = dict(line.split()[::-1] for line in in_image(project, built, script).splitlines())
    base = dict(line.split()[::-1] for line in in_image(project, BASE_IMAGE, script).splitlines())
    assert sizes["/var/cache/uv"] in {"0", "4"}  # an empty directory (the mount point)
    assert sizes["/var/lib/apt/lists"] == base["/var/lib/apt/lists"]
    assert sizes["/var/cache/apt"] == base["/var/cache/apt"]
    homes = in_image(project, built, "ls -d /root/.cache /home/dev/.cache 2>/dev/null; true")
    assert homes.strip() == ""


def test_with_locked_a_spec_change_makes_the_build_refuse_the_stale_lock(
    project: Cli, built: str
) -> None:
    spec, lock = project.cwd / "dlenv.toml", project.cwd / "dlenv.lock"
    original = spec.read_text()
    before = lock.read_bytes()
    try:
        spec.write_text(spec_text(["rich", "idna"]))
        check = project("lock", "--check", check=False)
        assert check.returncode == 1
        assert "layer extra: added idna" in check.stderr
        build = project("build", "--locked", "--ca-bundle", CA_BUNDLE, check=False)
        assert build.returncode == 1
        assert "stale" in build.stderr and "dlenv lock" in build.stderr
        assert "Traceback" not in build.stderr
        assert lock.read_bytes() == before  # --locked never writes the lock
    finally:
        spec.write_text(original)


def test_push_then_pull_back_by_digest(project: Cli, built: str, registry: str) -> None:
    reference = f"{registry}/e2e/locked:1"
    done = project("push", reference, "--no-tls-verify", "--ca-bundle", CA_BUNDLE)
    pinned = done.stdout.strip().splitlines()[-1]
    assert pinned.startswith(f"{registry}/e2e/locked@sha256:")
    podman(project, "rmi", "--force", pinned, check=False)
    podman(project, "pull", "--tls-verify=false", pinned)
    # The very filesystem: the same layers, by the digests of their uncompressed content.
    layers = "{{ .RootFS.Layers }}"
    pulled = podman(project, "image", "inspect", "--format", layers, pinned).stdout.strip()
    original = podman(project, "image", "inspect", "--format", layers, built).stdout.strip()
    assert pulled == original
    assert original.count("sha256:") > 5
    podman(project, "rmi", "--force", pinned, check=False)


def test_adding_a_package_relocks_only_the_changed_layer_and_rebuilds_it(
    project: Cli, built: str
) -> None:
    """Issue 15: `dlenv build` after a spec change re-locks first (no `dlenv lock` run): only
    the layers from the first changed one are resolved (real uv against the index), the
    unchanged layer keeps its pins and hashes, no container is asked for python3 again; the
    build reuses the unchanged layer and installs the new pins."""
    spec, lock = project.cwd / "dlenv.toml", project.cwd / "dlenv.lock"
    original_spec, original_lock = spec.read_text(), lock.read_text()
    before = tomllib.loads(original_lock)
    image = ""
    try:
        spec.write_text(spec_text(["rich", "idna"]))
        done = project("build", "--ca-bundle", CA_BUNDLE)
        assert "dlenv.lock is stale (layer extra: added idna): re-locking" in done.stderr
        assert "asking" not in done.stderr  # python3's version came from the previous lock
        after = tomllib.loads(lock.read_text())
        layers = {layer["name"]: layer for layer in after["layers"]}
        assert layers["core"] == before["layers"][0]  # same pins, same hashes
        assert "idna" in {p["name"] for p in layers["extra"]["packages"]}
        project("lock", "--check")
        image = done.stdout.strip().splitlines()[-1]
        frozen = in_image(project, image, "uv pip freeze --python /opt/venv/bin/python")
        assert "idna==" + locked_pins(project)["idna"] in frozen.split()
        again = project("build", "--locked", "--ca-bundle", CA_BUNDLE)  # now current
        assert again.stdout.strip().splitlines()[-1] == image
    finally:
        spec.write_text(original_spec)
        lock.write_text(original_lock)
        if image:
            podman(project, "rmi", "--force", image, check=False)


def test_unknown_platform_is_bad_input(project: Cli, built: str) -> None:
    done = project("build", "--platform", "linux/amd64,linux/riscv64", check=False)
    assert done.returncode == 2
    assert "linux/riscv64" in done.stderr


# Opt-in (not in CI: under QEMU the arm64 half takes about 3 minutes): needs qemu-user-static
# registered in binfmt_misc and a manifest list of linux/amd64 + linux/arm64 base images, e.g.
#   debootstrap --arch=arm64 --variant=minbase bookworm ROOT http://deb.debian.org/debian
#   tar -C ROOT -c . | podman import --arch arm64 - localhost/dlenv-test/debian:bookworm-arm64
#   podman manifest create localhost/dlenv-test/debian:bookworm-multi
#   podman manifest add localhost/dlenv-test/debian:bookworm-multi \
#     containers-storage:localhost/dlenv-test/debian:bookworm   (and the same for -arm64)
# then DLENV_TEST_MULTIARCH_BASE=localhost/dlenv-test/debian:bookworm-multi.
MULTIARCH_BASE = os.environ.get("DLENV_TEST_MULTIARCH_BASE")


@pytest.mark.skipif(not MULTIARCH_BASE, reason="set DLENV_TEST_MULTIARCH_BASE to a manifest list")
def test_multiplatform_build_and_push_of_the_manifest_list(
    cli_factory: Any, registry: str
) -> None:
    cli: Cli = cli_factory("podman", "e2e-multiarch")
    text = spec_text([]).replace(BASE_IMAGE, str(MULTIARCH_BASE))
    (cli.cwd / "dlenv.toml").write_text(text.replace(NAME, "e2e-multiarch"))
    cli("lock")
    built = cli(
        "build", "--platform", "linux/amd64,linux/arm64", "--ca-bundle", CA_BUNDLE, timeout=1800
    )
    manifest = built.stdout.strip().splitlines()[-1]
    assert manifest.endswith("-multiarch")
    pushed = cli(
        "push", f"{registry}/e2e/multi:1", "--no-tls-verify", "--ca-bundle", CA_BUNDLE
    ).stdout.strip().splitlines()[-1]
    # Read the pushed list back from the registry by its digest (registry HTTP API v2).
    digest = pushed.rsplit("@", 1)[1]
    request = urllib.request.Request(
        f"http://{registry}/v2/e2e/multi/manifests/{digest}",
        headers={
            "Accept": "application/vnd.oci.image.index.v1+json, "
            "application/vnd.docker.distribution.manifest.list.v2+json"
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        listing = json.loads(answer.read())
    architectures = sorted(m["platform"]["architecture"] for m in listing["manifests"])
    assert architectures == ["amd64", "arm64"]
    podman(cli, "manifest", "rm", manifest, check=False)
