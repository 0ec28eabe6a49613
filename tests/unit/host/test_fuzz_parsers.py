"""Property-based fuzzing of the host parsers that read outside input (Hypothesis).

Each parser, given anything, returns a result or raises a DlenvError (UsageError for bundles):
never another exception, never a write outside its target; the inputs that could hang a parser
have their own tests. os-release has its own fuzz tests; dlenv.toml and dlenv.lock theirs.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.cli import run
from dlenv.errors import UsageError
from dlenv.host.manifest import parse_manifest
from dlenv.host.parse.engines import parse_docker_info, parse_podman_info
from dlenv.host.parse.nvidia import (
    classify_smi_failure,
    merge_smi,
    parse_driver_version_file,
    parse_lspci_nn,
    parse_proc_modules,
    parse_smi_list,
    parse_smi_table,
)
from dlenv.host.parse.toolkit import (
    ToolkitConfig,
    parse_cdi_spec,
    parse_ctk_version,
    parse_toolkit_config,
)
from dlenv.host.probe import collect
from dlenv.host.reader import replay_reader
from dlenv.host.snapshot import extract_bundle, write_bundle
from tests.support.fuzz import capture_lines, json_object, json_text, json_values, text_like

# Bounded: the whole fuzz set takes well under a minute on two cores. No per-example deadline (a
# loaded CI machine must not flake); the inputs that could hang a parser (nested YAML aliases,
# gzip bombs, deep JSON) have their own tests below.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis directory in the tree; failures print their input
    suppress_health_check=[HealthCheck.too_slow],
)
SLOW_FUZZ = settings(FUZZ, max_examples=60)  # whole doctor runs: a few ms each, many files

SMI_LINES = capture_lines(
    "nvidia-smi/a100-80g-mig-x2-520.61.05.txt",
    "nvidia-smi/h100-sxm-x8-565.57.01.txt",
    "nvidia-smi/rtx4070-x1-550.40.07.txt",
    "nvidia-smi/titan-xp-x1-450.57.txt",
    "nvidia-smi/list-quadro-rtx4000-x2.txt",
    "nvidia-smi/mig-list-a100-sxm4-80gb.txt",
    "nvidia-smi/no-driver.txt",
    "nvidia-smi/no-devices.txt",
)
DRIVER_LINES = capture_lines(
    "driver-version/open-565.57.01.txt",
    "driver-version/proprietary-440.82.txt",
    "driver-version/proprietary-590.48.01.txt",
)
LSPCI_LINES = capture_lines("lspci/nvidia-rtx3080-and-intel.txt")
CDI_LINES = capture_lines("cdi/nvidia-520.61.05.yaml")


# nvidia-smi, /proc, lspci ------------------------------------------------------------------


@FUZZ
@given(text_like(SMI_LINES), text_like(SMI_LINES))
def test_nvidia_smi_outputs(table: str, listing: str) -> None:
    report = merge_smi(parse_smi_table(table), parse_smi_list(listing))
    assert all(isinstance(gpu.index, int) for gpu in report.gpus)
    classify_smi_failure(table)


@FUZZ
@given(text_like(DRIVER_LINES + SMI_LINES))
def test_driver_version_file(text: str) -> None:
    parse_driver_version_file(text)


@FUZZ
@given(text_like(["nvidia_uvm 1925120 0 - Live 0x0", "nvidia 62767104 1 nvidia_uvm, Live 0x0"]))
def test_proc_modules(text: str) -> None:
    assert all(name.strip() for name in parse_proc_modules(text))


@FUZZ
@given(text_like(LSPCI_LINES))
def test_lspci(text: str) -> None:
    parse_lspci_nn(text)


# NVIDIA Container Toolkit ------------------------------------------------------------------

CDI_KEYS = ["cdiVersion", "kind", "devices", "name", "containerEdits", "mounts", "hostPath"]
TOOLKIT_LINES = [
    "[nvidia-container-cli]",
    "[nvidia-container-runtime]",
    "no-cgroups = true",
    'no-cgroups = "yes"',
    'mode = "cdi"',
    "mode = 3",
    "nvidia-container-cli = 1",
    "nvidia-container-runtime = [1, 2]",
    "[nvidia-container-runtime.mode]",
]


@FUZZ
@given(
    json_object(CDI_KEYS).map(yaml.safe_dump)
    | json_text(json_object(CDI_KEYS))
    | text_like([*CDI_LINES, "&a [*a]", "- &x !!python/object:os.system x", "x: !!binary ="])
)
def test_cdi_spec(text: str) -> None:
    spec = parse_cdi_spec("/etc/cdi/nvidia.yaml", text)
    assert all(isinstance(d, str) for d in spec.devices)
    assert spec.kind is None or isinstance(spec.kind, str)


def test_a_cdi_spec_of_nested_aliases_is_not_expanded() -> None:
    """A "billion laughs" spec: nine levels of nine aliases. Printing it as a device name would
    make a string of 9**9 items; the parser takes only names that are strings."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = "\n".join([*levels, "kind: nvidia.com/gpu", "devices:", "- name: *a9"])
    assert parse_cdi_spec("/etc/cdi/laughs.yaml", text).devices == ()


@FUZZ
@given(text_like(TOOLKIT_LINES))
def test_toolkit_config(text: str) -> None:
    config = parse_toolkit_config(text)
    assert config is None or config.mode is None or isinstance(config.mode, str)


@FUZZ
@given(text_like(["NVIDIA Container Toolkit CLI version 1.17.8", "commit: 1234"]))
def test_ctk_version(text: str) -> None:
    parse_ctk_version(text)


# Engine info -------------------------------------------------------------------------------

DOCKER_KEYS = [
    "ServerVersion", "ServerErrors", "SecurityOptions", "Runtimes", "CgroupDriver",
    "CgroupVersion", "DockerRootDir", "CDISpecDirs",
]  # fmt: skip
PODMAN_KEYS = [
    "host", "security", "store", "version", "rootless", "cgroupVersion", "ociRuntime", "name",
    "graphRoot", "selinuxEnabled", "Version",
]  # fmt: skip


@FUZZ
@given(json_text(json_object(DOCKER_KEYS)), st.text(max_size=100))
def test_docker_info(stdout: str, stderr: str) -> None:
    info = parse_docker_info(stdout, stderr)
    for value in (info.server_version, info.cgroup_driver, info.cgroup_version, info.root_dir):
        assert value is None or isinstance(value, str)
    assert all(isinstance(r, str) for r in info.runtimes)
    info.socket_denied  # noqa: B018 (the property parses the error text)


@FUZZ
@given(json_text(json_object(PODMAN_KEYS)))
def test_podman_info(stdout: str) -> None:
    info = parse_podman_info(stdout)
    if info is not None:
        for value in (info.version, info.cgroup_version, info.oci_runtime, info.graph_root):
            assert value is None or isinstance(value, str)


@pytest.mark.parametrize(
    "stdout",
    [
        "[" * 100_000 + "]" * 100_000,  # regression: RecursionError escaped before
        '{"ServerVersion": ' + "1" * 5000 + "}",  # regression: ValueError (int too long)
        '{"ServerVersion": "27.1", "Runtimes": ["nvidia"]}',  # regression: AttributeError
        '{"ServerVersion": "27.1", "ServerErrors": 3, "CDISpecDirs": 1}',  # regression: TypeError
        '{"host": {"security": "rootless", "ociRuntime": "crun"}, "store": []}',  # AttributeError
    ],
)
def test_engine_json_of_the_wrong_shape_reads_as_absent(stdout: str) -> None:
    info = parse_docker_info(stdout)
    assert info.runtimes == () and info.cdi_spec_dirs == ()
    podman = parse_podman_info(stdout)
    assert podman is None or (podman.oci_runtime, podman.graph_root) == (None, None)


@pytest.mark.parametrize(
    "text",
    [
        "devices: true\n",  # regression: TypeError ('bool' object is not iterable)
        "devices: [{name: [1, 2]}]\nkind: [x]\n",  # names and kinds that are not strings
        "containerEdits: {mounts: 3}\n",  # regression: TypeError
        "containerEdits: {mounts: [{hostPath: 7}]}\n",
        "x: 2001-02-30\n",  # regression: ValueError from a timestamp YAML cannot build
    ],
)
def test_cdi_specs_of_the_wrong_shape(text: str) -> None:
    spec = parse_cdi_spec("/etc/cdi/x.yaml", text)
    assert (spec.kind, spec.devices, spec.driver_versions) == (None, (), ())


@pytest.mark.parametrize(
    "text",
    [
        "nvidia-container-cli = 1\n",  # regression: AttributeError ('int' has no .get)
        '[nvidia-container-runtime]\nmode = 3\n[nvidia-container-cli]\nno-cgroups = "yes"\n',
    ],
)
def test_toolkit_configs_of_the_wrong_shape(text: str) -> None:
    assert parse_toolkit_config(text) == ToolkitConfig(no_cgroups=False, mode=None)


# Support bundles: manifests ----------------------------------------------------------------

PATHS = st.sampled_from(
    ["/etc/cdi", "/sys/bus/pci/devices", "/var/run/cdi", "/dev/shm", "/", "", "x"]
) | st.text(max_size=12)
NAMES = st.sampled_from(
    ["nvidia.yaml", "0000:01:00.0", "..", "../../..", "/etc", "a/../../b.json", "x\0y.yaml", ""]
) | st.text(max_size=12)
COMMAND = st.fixed_dictionaries(
    {"argv": st.lists(st.sampled_from(["nvidia-smi", "-L", "uname", "-m"]), max_size=3)},
    optional={
        "returncode": st.integers() | json_values(),
        "stdout": st.text(max_size=30) | json_values(),
        "stderr": st.text(max_size=30),
        "stdout_file": NAMES | json_values(),
        "stderr_file": NAMES,
    },
)
SIZE = st.integers() | json_values()
DISK = st.fixed_dictionaries({"total": SIZE, "free": SIZE})
MANIFEST = (
    st.fixed_dictionaries(
        {},
        optional={
            "version": st.just(1) | json_values(),
            "commands": st.lists(COMMAND | json_values(), max_size=4) | json_values(),
            "listings": st.dictionaries(PATHS, st.lists(NAMES, max_size=4) | st.none()),
            "programs": st.dictionaries(st.text(max_size=8), st.text(max_size=8) | json_values()),
            "disk": st.dictionaries(PATHS, st.none() | DISK | json_values()),
            "absent_files": json_values(),
        },
    )
    | json_values()
)


@FUZZ
@given(MANIFEST)
def test_manifest_data(data: Any) -> None:
    with contextlib.suppress(UsageError):
        parse_manifest(data, "manifest.json")


SECRET = b"SECRET-OUTSIDE-THE-BUNDLE"


def _write_bundle_dir(top: Path, manifest: Any) -> Path:
    """A bundle directory beside a file (and sysfs-like dir) it must never reach."""
    (top / "outside").mkdir()
    (top / "outside" / "secret.yaml").write_bytes(b"kind: " + SECRET)
    (top / "outside" / "vendor").write_bytes(b"0x10de " + SECRET)
    bundle = top / "bundle"
    for directory in ("root/etc/cdi", "root/sys/bus/pci/devices", "captured"):
        (bundle / directory).mkdir(parents=True)
    (bundle / "captured" / "smi.txt").write_text("No devices were found\n")
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    return bundle


@SLOW_FUZZ
@given(MANIFEST)
def test_replayed_bundles_read_nothing_outside_themselves(manifest: Any) -> None:
    """Replay, then collect again (what `doctor --from B --collect NEW` does): NEW holds no byte
    from outside B, whatever B's manifest names."""
    with tempfile.TemporaryDirectory() as scratch:
        top = Path(scratch)
        bundle = _write_bundle_dir(top, manifest)
        try:
            reader = replay_reader(bundle)
        except UsageError:
            return
        collect(reader)
        write_bundle(reader.snapshot, top / "new.tgz")
        with tarfile.open(top / "new.tgz") as tar:
            for member in tar.getmembers():
                data = tar.extractfile(member)
                assert data is None or SECRET not in data.read()
        assert sorted(p.name for p in top.iterdir()) == ["bundle", "new.tgz", "outside"]


@SLOW_FUZZ
@given(MANIFEST)
def test_doctor_from_any_bundle_directory(manifest: Any) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        bundle = _write_bundle_dir(Path(scratch), manifest)
        assert run(["doctor", "--from", str(bundle), "--json"]) in (0, 1, 2)


# Support bundles: tarballs -----------------------------------------------------------------

MEMBER_NAMES = st.sampled_from(
    ["manifest.json", "root/etc/os-release", "root", "../x", "/etc/x", "a/../../x", ".", "", "./a"]
) | st.text(max_size=12)
MEMBER = st.tuples(
    MEMBER_NAMES,
    st.sampled_from(
        [
            tarfile.REGTYPE,
            tarfile.DIRTYPE,
            tarfile.SYMTYPE,
            tarfile.LNKTYPE,
            tarfile.FIFOTYPE,
            tarfile.CHRTYPE,
            tarfile.GNUTYPE_SPARSE,
        ]
    ),
    st.binary(max_size=300),
    st.sampled_from(["", "/etc/passwd", "../../x", "root/etc"]),
    st.integers(0, 0o7777),
)


def _tarball(members: list[tuple[str, bytes, bytes, str, int]], fmt: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, kind, data, link, mode in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = link
            info.mode = mode
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buffer.getvalue()


def _flip(data: bytes, where: int, byte: int) -> bytes:
    if not data:
        return data
    where %= len(data)
    return data[:where] + bytes([byte]) + data[where + 1 :]


TARBALLS = st.builds(
    lambda members, fmt, compress, flip: (
        (gzip.compress if compress else bytes)(_flip(_tarball(members, fmt), *flip))
        if flip is not None
        else (gzip.compress if compress else bytes)(_tarball(members, fmt))
    ),
    st.lists(MEMBER, max_size=5),
    st.sampled_from([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT]),
    st.booleans(),
    st.none() | st.tuples(st.integers(0, 4000), st.integers(0, 255)),
) | st.binary(max_size=600)


def _files_under(top: Path) -> set[Path]:
    return set(top.rglob("*"))


@FUZZ
@given(TARBALLS, st.integers(100, 20_000), st.integers(1, 6))
def test_extract_any_tarball(blob: bytes, max_bytes: int, max_members: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        top = Path(scratch)
        (top / "bundle.tgz").write_bytes(blob)
        into = top / "into"
        try:
            target = extract_bundle(
                top / "bundle.tgz", into, max_bytes=max_bytes, max_members=max_members
            )
        except UsageError as error:
            assert error.exit_code == 2
            assert list(into.iterdir()) == []  # nothing left behind
        else:
            assert target.parent == into
            for path in _files_under(target):
                assert not path.is_symlink()
                assert path.is_file() or path.is_dir()
                assert path.resolve().is_relative_to(target.resolve())
        assert sorted(p.name for p in top.iterdir()) == ["bundle.tgz", "into"]


@SLOW_FUZZ
@given(TARBALLS)
def test_doctor_from_any_tarball(blob: bytes) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "b.tgz").write_bytes(blob)
        assert run(["doctor", "--from", str(Path(scratch) / "b.tgz"), "--json"]) in (0, 1, 2)
