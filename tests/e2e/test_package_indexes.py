"""Every package comes from the index dlenv's resolver chose: end to end, on both engines.

Two stand-in indexes on 127.0.0.1 (tests/support/indexes.py) serve a wheel `dlenv-probe==1.0`
with the same name and version but different content: `ORIGIN = "pypi"` on the PyPI stand-in,
`ORIGIN = "pytorch"` on the PyTorch stand-in. The PyPI stand-in also serves `dlenv-marker==1.0`
and the pinned uv (the build's bootstrap). The spec asks for `dlenv-marker` in python.packages
and `dlenv-probe` in torch.packages, so a correct image answers `pytorch pypi`.

How dlenv is told about the indexes (the user's configuration, as uv and pip read it):
- the default index: `UV_DEFAULT_INDEX` (or `PIP_INDEX_URL`) in dlenv's environment;
- PyTorch's index base: `DLENV_INDEX_PYTORCH`; dlenv appends `/<variant>` (`/cpu` here);
- index URLs on loopback make dlenv build with the host network, so the build reaches them.

Cases: plain-HTTP indexes on podman and on Docker's legacy builder; HTTPS indexes with a test CA
passed as `--ca-bundle`, on Docker's legacy builder (the loopback relay, which upgrades http://
to verified https://) and on podman (the CA as a build secret). The regression behind this test:
on the relay path the torch layer named the relay's PyPI as uv's default index beside
`--index-url` for PyTorch's index, and uv took PyPI's torch.

With the test CA as the only CA, and plain HTTP indexes on loopback, the build cannot reach any
real index: every package must come from a stand-in.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, cpu_spec, require
from tests.support.indexes import (
    LocalIndex,
    TestCa,
    build_wheel,
    closed_port,
    download_uv_wheel,
    fill_pypi_standin,
    make_test_ca,
)

pytestmark = pytest.mark.e2e

PROBE = "dlenv-probe"
MARKER = "dlenv-marker"
TORCH_VARIANT = "cpu"
IMPORT_BOTH = "import dlenv_probe, dlenv_marker; print(dlenv_probe.ORIGIN, dlenv_marker.ORIGIN)"

# The machine's own index settings (environment and configuration files) must not reach dlenv:
# each case sets the one variable it tests.
_INDEX_VARIABLES = (
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_TRUSTED_HOST",
    "UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS",
    "UV_NO_INDEX", "UV_INDEX_STRATEGY", "DLENV_INDEX_PYTORCH",
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    id: str
    engine: str
    tls: bool  # HTTPS stand-ins, and the test CA passed as --ca-bundle
    default_index_variable: str  # how the default index is configured


CASES = (
    Case("podman-http", "podman", tls=False, default_index_variable="UV_DEFAULT_INDEX"),
    Case("docker-http", "docker", tls=False, default_index_variable="PIP_INDEX_URL"),
    Case("docker-relay-ca", "docker", tls=True, default_index_variable="UV_DEFAULT_INDEX"),
    Case("podman-secret-ca", "podman", tls=True, default_index_variable="UV_DEFAULT_INDEX"),
)


def spec_text(name: str, engine: str) -> str:
    return cpu_spec(name, engine, packages=[MARKER], torch_packages=[PROBE])


@dataclass
class Standins:
    pypi: LocalIndex
    pytorch: LocalIndex

    @property
    def default_index(self) -> str:
        return self.pypi.index_url("simple")

    @property
    def pytorch_base(self) -> str:
        """What DLENV_INDEX_PYTORCH names: PyTorch's base URL, without the variant."""
        return f"{self.pytorch.url}/whl"

    def report(self) -> str:
        return (
            f"PyPI stand-in ({self.pypi.url}) was asked: {self.pypi.requests}\n"
            f"PyTorch stand-in ({self.pytorch.url}) was asked: {self.pytorch.requests}"
        )


@pytest.fixture(scope="module")
def uv_wheel_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("uv-wheel")
    try:
        download_uv_wheel(cache)
    except subprocess.CalledProcessError as error:
        require(False, f"could not download the pinned uv wheel: {error.stderr[-500:]}")
    return cache


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    try:
        return make_test_ca(tmp_path_factory.mktemp("test-ca"))
    except (RuntimeError, subprocess.CalledProcessError) as error:
        require(False, f"could not make a test CA with openssl: {error}")
        raise


@pytest.fixture
def standins_for(tmp_path: Path, uv_wheel_cache: Path, test_ca: TestCa) -> Iterator[Any]:
    """Starts the two stand-in indexes (HTTPS with the test CA when asked), stops them after."""
    started: list[LocalIndex] = []

    def start(*, tls: bool) -> Standins:
        pypi_wheels, pytorch_wheels = tmp_path / "pypi", tmp_path / "pytorch"
        build_wheel(pypi_wheels, PROBE, "1.0", 'ORIGIN = "pypi"\n')
        build_wheel(pypi_wheels, MARKER, "1.0", 'ORIGIN = "pypi"\n')
        fill_pypi_standin(pypi_wheels, uv_wheel_cache)
        build_wheel(pytorch_wheels, PROBE, "1.0", 'ORIGIN = "pytorch"\n')
        ca = test_ca if tls else None
        pypi = LocalIndex(pypi_wheels, prefixes=("simple",), tls=ca).start()
        started.append(pypi)
        pytorch = LocalIndex(pytorch_wheels, prefixes=(f"whl/{TORCH_VARIANT}",), tls=ca).start()
        started.append(pytorch)
        return Standins(pypi, pytorch)

    yield start
    for index in started:
        index.close()


def configure(cli: Cli, *, default_variable: str, default_index: str, pytorch_base: str) -> None:
    for variable in _INDEX_VARIABLES:
        cli.env.pop(variable, None)
    cli.env["PIP_CONFIG_FILE"] = os.devnull  # no pip.conf of this machine's
    cli.env["UV_NO_CONFIG"] = "1"  # no uv.toml of this machine's
    cli.env[default_variable] = default_index
    cli.env["DLENV_INDEX_PYTORCH"] = pytorch_base


def engine(cli: Cli, program: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [program, *args], capture_output=True, text=True, env=cli.env, timeout=300, check=False
    )


def images_of(cli: Cli, program: str, name: str) -> list[str]:
    """The tagged images of this environment's repository (localhost/dlenv/NAME)."""
    listed = engine(cli, program, "images", "--format", "{{.Repository}}:{{.Tag}}").stdout
    return sorted(r for r in listed.split() if r.rsplit(":", 1)[0] == f"localhost/dlenv/{name}")


def remove_images(cli: Cli, program: str, name: str) -> None:
    for image in images_of(cli, program, name):  # only the images this test built
        engine(cli, program, "rmi", "--force", image)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_package_comes_from_the_index_the_resolver_chose(
    case: Case, cli_factory: Any, standins_for: Any, test_ca: TestCa
) -> None:
    name = f"e2e-idx-{case.id}"
    cli: Cli = cli_factory(case.engine, name)
    standins: Standins = standins_for(tls=case.tls)
    configure(
        cli,
        default_variable=case.default_index_variable,
        default_index=standins.default_index,
        pytorch_base=standins.pytorch_base,
    )
    (cli.cwd / "dlenv.toml").write_text(spec_text(name, case.engine))
    remove_images(cli, case.engine, name)  # a leftover of an earlier run would skip the build
    ca = ["--ca-bundle", str(test_ca.ca_pem)] if case.tls else []
    try:
        done = cli("build", *ca, check=False, timeout=1500)
        assert done.returncode == 0, (
            f"dlenv build exited {done.returncode}\n--- stdout\n{done.stdout[-3000:]}\n"
            f"--- stderr\n{done.stderr[-6000:]}\n{standins.report()}"
        )
        image = done.stdout.strip().splitlines()[-1]
        ran = engine(
            cli, case.engine, "run", "--rm", "--entrypoint", "/opt/venv/bin/python", image,
            "-c", IMPORT_BOTH,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.split() == ["pytorch", "pypi"], standins.report()

        # The torch layer asked PyTorch's index (at the variant dlenv appended) for the probe,
        # and the default index was never asked for it: not even as a fallback.
        assert f"/whl/{TORCH_VARIANT}/{PROBE}/" in standins.pytorch.requests, standins.report()
        assert standins.pypi.asked_for(PROBE) == [], standins.report()
        # The other packages came from the default index.
        assert f"/simple/{MARKER}/" in standins.pypi.requests, standins.report()
        assert "/simple/uv/" in standins.pypi.requests, standins.report()
    finally:
        remove_images(cli, case.engine, name)


def test_an_unreachable_pytorch_index_fails_the_build_and_names_it(
    cli_factory: Any, standins_for: Any
) -> None:
    name = "e2e-idx-unreachable"
    cli: Cli = cli_factory("podman", name)
    standins: Standins = standins_for(tls=False)
    unreachable = f"http://127.0.0.1:{closed_port()}/whl"
    configure(
        cli,
        default_variable="UV_DEFAULT_INDEX",
        default_index=standins.default_index,
        pytorch_base=unreachable,
    )
    (cli.cwd / "dlenv.toml").write_text(spec_text(name, "podman"))
    remove_images(cli, "podman", name)
    try:
        done = cli("build", check=False, timeout=1500)
        output = done.stdout + done.stderr
        assert done.returncode == 1, output[-6000:]
        assert unreachable in output, output[-6000:]
        assert "Traceback" not in output
        assert images_of(cli, "podman", name) == []
        assert standins.pypi.asked_for(PROBE) == [], standins.report()
    finally:
        remove_images(cli, "podman", name)
