"""Local package indexes for tests: wheels made here, served on 127.0.0.1 over HTTP or HTTPS.

- `build_wheel` writes a minimal pure-Python wheel (py3-none-any) with the stdlib only.
- `LocalIndex` serves a directory of wheels as a PEP 503 simple index (links carry
  `#sha256=`), under one or more path prefixes, so one server can stand in for PyPI
  (`/simple/<project>/`) or for PyTorch's index (`<base>/<variant>/<project>/`). It records every
  requested path, so a test can tell which index was asked for what.
- `make_test_ca` makes a throw-away CA and a server certificate for IP 127.0.0.1 (openssl CLI).
- `fill_pypi_standin` adds what a dlenv build fetches from the default index besides the test's
  own wheels: the pinned `uv` wheel (downloaded once into a cache directory).
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import importlib.resources
import platform
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import tomllib
import urllib.parse
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

LOOPBACK = "127.0.0.1"
FILES = "files"  # the path under which a LocalIndex serves the wheel files themselves
# A fixed timestamp: the same wheel content gives the same bytes and the same sha256.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def normalize(name: str) -> str:
    """PEP 503 project name normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_wheel(directory: Path, name: str, version: str, module_text: str) -> Path:
    """A py3-none-any wheel of distribution `name`, holding one module named after it.

    The module's import name is the distribution name with `-` and `.` as `_`
    ("dlenv-probe" -> `dlenv_probe`). Returns the wheel's path in `directory`.
    """
    dist = re.sub(r"[-_.]+", "_", name)
    module = dist.lower()
    info = f"{dist}-{version}.dist-info"
    files: dict[str, bytes] = {
        f"{module}.py": module_text.encode(),
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            f"Summary: dlenv test wheel\n\n"
        ).encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: dlenv-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            entry = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return wheel


# TLS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCa:
    """A throw-away CA (`ca_pem`, what a client trusts) and a server certificate it signed."""

    __test__ = False  # not a pytest test class

    ca_pem: Path
    server_cert: Path
    server_key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert, self.server_key)
        return context


def make_test_ca(directory: Path) -> TestCa:
    """A CA and a server certificate for IP 127.0.0.1 (subjectAltName), made with openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make a test CA")
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_pem = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    extensions = directory / "server.ext"
    extensions.write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        f"subjectAltName = IP:{LOOPBACK}\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid, issuer\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [
        [openssl, "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "7",
         "-subj", "/CN=dlenv test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-addext", "subjectKeyIdentifier=hash"],
        [openssl, "req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={LOOPBACK}"],
        [openssl, "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "7", "-sha256", "-extfile", extensions],
    ]  # fmt: skip
    for argv in steps:
        subprocess.run([str(a) for a in argv], check=True, capture_output=True)
    return TestCa(ca_pem, cert, key)


# The index server --------------------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    index: LocalIndex

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that hangs up or refuses our certificate is not the test's failure


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60

    def setup(self) -> None:
        context = self.server.index.tls_context
        if context is not None:
            self.request = context.wrap_socket(self.request, server_side=True)
        super().setup()

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        index = self.server.index
        path = urllib.parse.urlsplit(self.path).path
        index.record(path)
        found = index.lookup(path)
        if found is None:
            self._send(404, b"not found\n", "text/plain", body=body)
        elif found[0] == "redirect":
            self.send_response(301)
            self.send_header("Location", found[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif found[0] == "file":
            self._send(200, Path(found[1]).read_bytes(), "application/octet-stream", body=body)
        else:
            self._send(200, found[1].encode(), "text/html; charset=utf-8", body=body)

    def _send(self, status: int, data: bytes, kind: str, *, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


class LocalIndex:
    """A PEP 503 simple index of the wheels in `wheels`, on 127.0.0.1 at a free port.

    `prefixes` are the paths the index answers under ("simple" -> `/simple/<project>/`;
    "whl/cpu" -> `/whl/cpu/<project>/`, PyTorch's layout). Files are served from `/files/`,
    linked host-relative with a `#sha256=` fragment. With `tls`, it speaks HTTPS only.
    Files added to `wheels` after the start are served too. Use as a context manager.
    """

    def __init__(
        self, wheels: Path, *, prefixes: Iterable[str] = ("simple",), tls: TestCa | None = None
    ) -> None:
        self.wheels = wheels
        self.prefixes = tuple(p.strip("/") for p in prefixes)
        self.tls = tls
        self.tls_context = tls.server_context() if tls else None
        self._requests: list[str] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Life cycle
    def start(self) -> Self:
        server = _Server((LOOPBACK, 0), _Handler)
        server.index = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="dlenv-test-index", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # Addresses
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the index is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The server's root, e.g. http://127.0.0.1:40123 (no trailing slash)."""
        return f"{'https' if self.tls else 'http'}://{LOOPBACK}:{self.port}"

    def index_url(self, prefix: str | None = None) -> str:
        """The index URL for one prefix (the first by default), e.g. .../simple."""
        return f"{self.url}/{(prefix or self.prefixes[0]).strip('/')}"

    # What was asked
    def record(self, path: str) -> None:
        with self._lock:
            self._requests.append(path)

    @property
    def requests(self) -> list[str]:
        """Every requested path, in order (query strings dropped)."""
        with self._lock:
            return list(self._requests)

    def asked_for(self, project: str) -> list[str]:
        """The requested paths that name `project`: its index pages and its files."""
        name = normalize(project)

        def names_it(path: str) -> bool:
            segments = [urllib.parse.unquote(s) for s in path.strip("/").split("/") if s]
            file_project = segments[-1].split("-", 1)[0] if segments else ""
            return any(normalize(s) == name for s in segments) or (
                segments[-1].endswith(".whl") and normalize(file_project) == name
            )

        return [p for p in self.requests if names_it(p)]

    # Content
    def projects(self) -> dict[str, list[Path]]:
        found: dict[str, list[Path]] = {}
        for wheel in sorted(self.wheels.glob("*.whl")):
            found.setdefault(normalize(wheel.name.split("-", 1)[0]), []).append(wheel)
        return found

    def lookup(self, path: str) -> tuple[str, str] | None:
        """("page", html), ("file", local path), ("redirect", location) or None (404)."""
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/") if p]
        if len(parts) == 2 and parts[0] == FILES:
            wheel = self.wheels / parts[1]
            return ("file", str(wheel)) if "/" not in parts[1] and wheel.is_file() else None
        for prefix in self.prefixes:
            head = prefix.split("/")
            if parts[: len(head)] != head:
                continue
            rest = parts[len(head) :]
            projects = self.projects()
            if not rest:
                return ("page", _root_page(prefix, projects))
            if len(rest) != 1:
                return None
            name = normalize(rest[0])
            if name not in projects:
                return None
            if rest[0] != name or not path.endswith("/"):
                return ("redirect", f"/{prefix}/{name}/")
            return ("page", _project_page(name, projects[name]))
        return None


def _root_page(prefix: str, projects: dict[str, list[Path]]) -> str:
    links = "".join(f'<a href="/{prefix}/{n}/">{n}</a>\n' for n in sorted(projects))
    return f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n"


def _project_page(name: str, wheels: list[Path]) -> str:
    links = "".join(
        f'<a href="/{FILES}/{urllib.parse.quote(w.name)}#sha256={sha256_of(w)}">'
        f"{html.escape(w.name)}</a>\n"
        for w in wheels
    )
    return (
        f"<!DOCTYPE html>\n<html><head><title>Links for {name}</title></head><body>\n"
        f"<h1>Links for {name}</h1>\n{links}</body></html>\n"
    )


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


# The PyPI stand-in's other content ---------------------------------------------------------


def pinned_uv_version() -> str:
    """`python.uv` of dlenv's default spec: the uv a build installs from the default index."""
    text = importlib.resources.files("dlenv.spec").joinpath("default.toml").read_text()
    return str(tomllib.loads(text)["python"]["uv"])


def _manylinux_platform() -> str:
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    return f"manylinux_2_17_{machine}"


def download_uv_wheel(cache: Path, version: str | None = None) -> Path:
    """The uv wheel of `version` (default: the pinned one) for this machine, cached in `cache`.

    Downloaded with pip from the index the test machine's pip is configured with.
    """
    version = version or pinned_uv_version()
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"uv-{version}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
             "--no-deps", "--platform", _manylinux_platform(), "--python-version", "3.11",
             f"uv=={version}", "-d", str(cache)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        found = sorted(cache.glob(f"uv-{version}-*.whl"))
    if not found:
        raise RuntimeError(f"pip download left no uv {version} wheel in {cache}")
    return found[0]


def fill_pypi_standin(wheels: Path, cache: Path) -> None:
    """Put into `wheels` what a dlenv build fetches from the default index besides the test's
    own packages: the pinned uv (the build's bootstrap `pip install uv==X`)."""
    wheels.mkdir(parents=True, exist_ok=True)
    uv = download_uv_wheel(cache)
    shutil.copy2(uv, wheels / uv.name)
