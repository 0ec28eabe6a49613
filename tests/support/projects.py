"""A Project opened in-process against captured engine facts: `<engine> info` replayed by a fake
runner, the CDI spec and an RTX 4070's PCI device files (tests/fixtures/hosts) in a temp tree."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from dlenv.engine.caps import BUILDAH_CAPS, LEGACY_CAPS
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import Project, open_project
from tests.support.context import make_context
from tests.support.fakes import FakeRunner
from tests.support.index_config import uv_answers

# An RTX 4070's PCI device files, from the captured Ubuntu host (tests/fixtures/hosts).
RTX4070_PCI = (
    Path(__file__).parents[1]
    / "fixtures/hosts/ubuntu-rtx4070-docker-nvidia-runtime/root/sys/bus/pci/devices"
)


def captured_project(
    tmp_path: Path,
    program: str,
    info: Path,
    spec: str,
    cdi: Path | None = None,
    *,
    gpu: bool = True,
) -> Project:
    (tmp_path / "dlenv.toml").write_text(spec)
    runner = FakeRunner(
        responses={
            ("docker", "buildx", "version"): (1, "", "docker: 'buildx' is not a docker command."),
            (program, "info"): (0, info.read_text(), ""),
            **uv_answers(),
        },
        programs={program: f"/usr/bin/{program}"},
    )
    root = tmp_path / "root"
    root.mkdir()
    if gpu:
        shutil.copytree(RTX4070_PCI, root / "sys/bus/pci/devices")
    if cdi is not None:
        (root / "etc/cdi").mkdir(parents=True)
        (root / "etc/cdi" / cdi.name).write_text(cdi.read_text())
    opened = open_project(
        EnvOptions(spec_path=tmp_path / "dlenv.toml", engine=program),
        make_context(tmp_path, runner, host_root=root),
    )
    caps = LEGACY_CAPS if program == "docker" else BUILDAH_CAPS
    return dataclasses.replace(opened, engine=CliEngine(EngineKind(program, caps), runner, root))
