"""A malformed support bundle is bad input: `doctor --from` exits 2 naming it, no traceback."""

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from dlenv.cli import run

UNAME = {"argv": ["uname", "-m"], "returncode": 0, "stdout": "x86_64\n"}


def bundle(tmp_path: Path, manifest: Any, *, raw: str | None = None) -> Path:
    directory = tmp_path / "bundle"
    (directory / "root").mkdir(parents=True)
    text = raw if raw is not None else json.dumps(manifest)
    (directory / "manifest.json").write_text(text)
    return directory


def doctor_from(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = run(["doctor", "--from", str(path)])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == 2, output
    assert "Traceback" not in output
    return output


def manifest(**fields: Any) -> dict[str, Any]:
    return {"version": 1, "commands": [UNAME], **fields}


def test_a_manifest_that_is_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = doctor_from(bundle(tmp_path, [1, 2, 3]), capsys)
    assert "array" in output and "not an object" in output


def test_deeply_nested_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    output = doctor_from(bundle(tmp_path, None, raw=deep), capsys)
    assert "nested too deeply" in output


def test_json_that_does_not_parse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "not JSON" in doctor_from(bundle(tmp_path, None, raw='{"version": 1,'), capsys)


def test_a_stdout_file_missing_from_the_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = {"argv": ["nvidia-smi"], "returncode": 0, "stdout_file": "captured/smi.txt"}
    output = doctor_from(bundle(tmp_path, manifest(commands=[entry])), capsys)
    assert "captured/smi.txt" in output and "not in the bundle" in output


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "a/../../secret"])
def test_a_stdout_file_outside_the_bundle(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "secret").write_text("not for the bundle")
    entry = {"argv": ["nvidia-smi"], "returncode": 0, "stderr_file": target}
    output = doctor_from(bundle(tmp_path, manifest(commands=[entry])), capsys)
    assert "inside the bundle" in output


def test_a_stdout_file_linked_outside_the_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "secret").write_text("not for the bundle")
    entry = {"argv": ["nvidia-smi"], "returncode": 0, "stdout_file": "out.txt"}
    directory = bundle(tmp_path, manifest(commands=[entry]))
    (directory / "out.txt").symlink_to(tmp_path / "secret")
    assert "leads outside the bundle" in doctor_from(directory, capsys)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"commands": {"argv": ["x"]}}, "commands"),
        ({"commands": ["nvidia-smi"]}, "commands[0]"),
        ({"commands": [{"argv": "nvidia-smi"}]}, "argv"),
        ({"commands": [{"argv": []}]}, "argv"),
        ({"commands": [{"argv": ["nvidia-smi", 3]}]}, "argv"),
        ({"commands": [{"argv": ["nvidia-smi"], "returncode": "0"}]}, "returncode"),
        ({"commands": [{"argv": ["nvidia-smi"], "returncode": True}]}, "returncode"),
        ({"commands": [{"argv": ["nvidia-smi"], "stdout": ["a"]}]}, "stdout"),
        ({"commands": [{"argv": ["nvidia-smi"], "stdout_file": 7}]}, "stdout_file"),
        ({"listings": {"/sys/bus/pci/devices": "0000:01:00.0"}}, "listings"),
        ({"listings": [["/etc/cdi"]]}, "listings"),
        ({"programs": {"nvidia-smi": 1}}, "programs"),
        ({"disk": {"/dev/shm": {"total": "8g", "free": 1}}}, "disk"),
        ({"disk": {"/dev/shm": 5}}, "disk"),
        ({"version": "1"}, "version"),
    ],
)
def test_wrong_types_are_named(
    fields: dict[str, Any], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = doctor_from(bundle(tmp_path, manifest(**fields)), capsys)
    assert named in output


def test_a_malformed_tarball_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "host.tgz"
    data = json.dumps([]).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert "not an object" in doctor_from(path, capsys)
