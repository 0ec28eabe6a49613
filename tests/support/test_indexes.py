"""Self-test of tests/support/indexes.py: real pip and uv accept the local indexes it serves."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.support.indexes import (
    LocalIndex,
    TestCa,
    build_wheel,
    make_test_ca,
    normalize,
    pinned_uv_version,
)

# The machine's own index settings (environment and configuration files) must not leak into
# these installs.
_INDEX_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CERT",
                    "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX", "UV_EXTRA_INDEX_URL",
                    "UV_FIND_LINKS", "SSL_CERT_FILE", "SSL_CERT_DIR",
                    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # fmt: skip


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _INDEX_VARIABLES}
    quiet = {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return {**env, **quiet, "UV_NO_CONFIG": "1", "UV_NO_CACHE": "1", **extra}


def uv_program() -> str:
    from uv import find_uv_bin  # dlenv depends on uv (the `uv` package ships the binary)

    return find_uv_bin()


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    directory = tmp_path / "wheels"
    build_wheel(directory, "dlenv-probe", "1.0", 'ORIGIN = "pypi-standin"\n')
    return directory


def test_wheel_has_a_valid_record(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "dlenv.Probe_x", "2.1", "X = 1\n")
    assert wheel.name == "dlenv_Probe_x-2.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        record = archive.read("dlenv_Probe_x-2.1.dist-info/RECORD").decode().splitlines()
        assert "dlenv_probe_x.py" in names
        metadata = archive.read("dlenv_Probe_x-2.1.dist-info/METADATA").decode()
        assert "Name: dlenv.Probe_x\nVersion: 2.1\n" in metadata
        for line in record:
            path, digest, size = line.rsplit(",", 2)
            if path.endswith("RECORD"):
                assert digest == size == ""
                continue
            data = archive.read(path)
            assert int(size) == len(data)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode()
    # The same content gives the same bytes (fixed timestamps).
    again = build_wheel(tmp_path / "again", "dlenv.Probe_x", "2.1", "X = 1\n")
    assert again.read_bytes() == wheel.read_bytes()


def test_pages_links_hashes_and_redirects(wheels: Path) -> None:
    with LocalIndex(wheels, prefixes=("simple", "whl/cpu")) as index:
        with urllib.request.urlopen(f"{index.url}/whl/cpu/dlenv-probe/") as answer:
            page = answer.read().decode()
        wheel = wheels / "dlenv_probe-1.0-py3-none-any.whl"
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        assert f'href="/files/{wheel.name}#sha256={digest}"' in page
        with urllib.request.urlopen(f"{index.url}/simple/Dlenv_Probe") as answer:
            assert answer.geturl().endswith("/simple/dlenv-probe/")
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{index.url}/simple/numpy/")
        assert missing.value.code == 404
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{index.url}/cu130/dlenv-probe/")
        assert index.requests[0] == "/whl/cpu/dlenv-probe/"
        assert index.asked_for("dlenv_probe") == [
            "/whl/cpu/dlenv-probe/", "/simple/Dlenv_Probe", "/simple/dlenv-probe/",
            "/cu130/dlenv-probe/",
        ]  # fmt: skip
        assert index.asked_for("numpy") == ["/simple/numpy/"]


def test_pip_downloads_from_the_plain_http_index(wheels: Path, tmp_path: Path) -> None:
    with LocalIndex(wheels) as index:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--index-url",
             index.index_url(), "-d", str(tmp_path / "got"), "dlenv-probe"],
            capture_output=True, text=True, env=clean_env(), check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert (tmp_path / "got" / "dlenv_probe-1.0-py3-none-any.whl").is_file()
        assert "/simple/dlenv-probe/" in index.requests
        assert "/files/dlenv_probe-1.0-py3-none-any.whl" in index.requests


def install_and_import(index_url: str, target: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [uv_program(), "pip", "install", "--quiet", "--target", str(target), "--index-url",
         index_url, "--python", sys.executable, "dlenv-probe"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    imported = subprocess.run(
        [sys.executable, "-c", "import dlenv_probe; print(dlenv_probe.ORIGIN)"],
        capture_output=True, text=True, env={**env, "PYTHONPATH": str(target)}, check=True,
    )  # fmt: skip
    return imported.stdout.strip()


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    return make_test_ca(tmp_path_factory.mktemp("ca"))


def test_uv_installs_from_the_https_index_with_the_test_ca(
    wheels: Path, tmp_path: Path, test_ca: TestCa
) -> None:
    with LocalIndex(wheels, prefixes=("whl/cpu",), tls=test_ca) as index:
        assert index.url.startswith("https://127.0.0.1:")
        origin = install_and_import(
            index.index_url(), tmp_path / "target", clean_env(SSL_CERT_FILE=str(test_ca.ca_pem))
        )
        assert origin == "pypi-standin"
        assert "/whl/cpu/dlenv-probe/" in index.requests


def test_pip_verifies_the_https_index_with_the_test_ca_only(
    wheels: Path, tmp_path: Path, test_ca: TestCa
) -> None:
    with LocalIndex(wheels, tls=test_ca) as index:
        argv = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--retries", "0",
            "--index-url", index.index_url(), "-d", str(tmp_path / "got"), "dlenv-probe",
        ]  # fmt: skip
        trusted = subprocess.run(
            [*argv, "--cert", str(test_ca.ca_pem)],
            capture_output=True, text=True, env=clean_env(), check=False,
        )  # fmt: skip
        assert trusted.returncode == 0, trusted.stdout + trusted.stderr
        untrusted = subprocess.run(
            argv, capture_output=True, text=True, env=clean_env(), check=False
        )
        assert untrusted.returncode != 0  # the system CAs do not know the test CA


def test_uv_installs_from_the_plain_http_index(wheels: Path, tmp_path: Path) -> None:
    with LocalIndex(wheels) as index:
        assert install_and_import(index.index_url(), tmp_path / "t", clean_env()) == "pypi-standin"


def test_pinned_uv_version_is_the_default_specs() -> None:
    from dlenv.spec import load_spec

    spec, _ = load_spec(None, search_dir=Path("/nonexistent"))
    assert pinned_uv_version() == spec.python.uv
    assert normalize("Dlenv_Probe.x") == "dlenv-probe-x"
