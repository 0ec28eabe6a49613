"""A compose file from the run configuration `dlenv up` would use: pure, deterministic.

The service gets what `dlenv up` passes to `docker run`/`podman run` (dlenv.engine.argv,
dlenv.engine.gpu), translated flag by flag into Compose keys (Compose specification, services:
https://github.com/compose-spec/compose-spec/blob/main/05-services.md):
- GPUs: Docker's nvidia runtime path (`--gpus`) becomes a device reservation,
  `deploy.resources.reservations.devices` with `capabilities: [gpu]` and `count: all` or
  `device_ids` (the two exclude each other; Docker docs, "Run Docker Compose services with GPU
  access": https://docs.docker.com/compose/how-tos/gpu-support/; docker-compose reads it since
  1.28). The CDI path (Podman, Docker with CDI) becomes `devices: [nvidia.com/gpu=...]`: Podman
  ignores device reservations (containers/podman#19338, podman-compose#919).
- the rest: `security_opt`, `cap_drop`/`cap_add`, `ulimits`, `shm_size`, `ipc`, `tmpfs`,
  `userns_mode`, `user`, published `ports` on the spec's address, `volumes`.
Secrets stay files: the authorized keys and the Jupyter token are bind-mounted read-only from
dlenv's state directory, as `dlenv up` mounts them.

Written for the Compose file format without a `version` key, which Debian 12's docker-compose
(1.29) and podman-compose (1.0) both read.
"""

from __future__ import annotations

from typing import Any

import yaml

from dlenv.engine.argv import HARDENING_FLAGS
from dlenv.render.export_source import CONTAINERFILE, ExportSource

FILE_NAME = "compose.yaml"
CONTEXT_FOLDER = "dlenv-build"
CDI_GPU = "nvidia.com/gpu="


def compose(source: ExportSource) -> dict[str, Any]:
    config = source.config
    service: dict[str, Any] = {}
    if source.image is None:
        service["build"] = {"context": f"./{CONTEXT_FOLDER}", "dockerfile": CONTAINERFILE}
    else:
        service["image"] = source.image
    service["container_name"] = config.name
    service["hostname"] = config.name
    service["ports"] = [
        f"{_host(config.bind)}:{host}:{container}"
        for host, container in sorted(config.ports.items())
    ]
    service["volumes"] = [mount.flag() for mount in config.mounts]
    service["tmpfs"] = list(config.tmpfs)
    if config.shm_size:
        service["shm_size"] = config.shm_size
    if config.env:
        service["environment"] = dict(sorted(config.env.items()))
    if config.labels:
        service["labels"] = dict(sorted(config.labels.items()))
    service.update(run_flag_keys((*HARDENING_FLAGS, *config.gpu_flags, *config.extra_flags)))
    volumes = {m.source: {"name": m.source} for m in config.mounts if m.is_volume}
    return {"services": {config.name: service}, "volumes": dict(sorted(volumes.items()))}


def run_flag_keys(flags: tuple[str, ...]) -> dict[str, Any]:
    """The Compose keys for `docker run` flags, as engine.argv and engine.gpu write them. A
    flag with no translation is an error: a new run flag must not be dropped silently."""
    keys: dict[str, Any] = {}
    words = _split(flags)
    for flag, value in words:
        if flag == "--security-opt":
            keys.setdefault("security_opt", []).append(value)
        elif flag == "--cap-drop":
            keys.setdefault("cap_drop", []).append(value)
        elif flag == "--cap-add":
            keys.setdefault("cap_add", []).append(value)
        elif flag == "--device" and value.startswith(CDI_GPU):
            keys.setdefault("devices", []).append(value)
        elif flag == "--gpus":
            keys["deploy"] = {"resources": {"reservations": {"devices": [_gpu_request(value)]}}}
        elif flag == "--ulimit":
            name, _, limit = value.partition("=")
            keys.setdefault("ulimits", {})[name] = int(limit)
        elif flag == "--ipc":
            keys["ipc"] = value
        elif flag == "--userns":
            keys["userns_mode"] = value
        elif flag == "--user":
            keys["user"] = value
        else:
            raise ValueError(f"no Compose key for the run flag {flag}={value}")
    return keys


def _split(flags: tuple[str, ...]) -> list[tuple[str, str]]:
    """`--flag=value` and `--flag value` both become (flag, value)."""
    words: list[tuple[str, str]] = []
    items = iter(flags)
    for item in items:
        flag, equals, value = item.partition("=")
        words.append((flag, value) if equals else (flag, next(items)))
    return words


def _gpu_request(value: str) -> dict[str, Any]:
    # engine.gpu writes `all` or `"device=0,2"` (quoted for Docker's CSV parsing).
    request: dict[str, Any] = {"driver": "nvidia"}
    devices = value.strip('"').removeprefix("device=")
    if devices == "all":
        request["count"] = "all"
    else:
        request["device_ids"] = devices.split(",")
    request["capabilities"] = ["gpu"]
    return request


def _host(bind: str) -> str:
    return f"[{bind}]" if ":" in bind else bind


def compose_text(source: ExportSource, *, spec_source: str) -> str:
    # The spec's path goes into a comment line: a line break in a directory name must not end it.
    shown = "".join(ch if ch.isprintable() else "?" for ch in spec_source)
    header = (
        f"# Generated by dlenv from {shown}: `dlenv export compose` rewrites it.\n"
        "# Secrets are files in dlenv's state directory, mounted read-only; none is written here.\n"
    )
    return header + yaml.safe_dump(compose(source), sort_keys=False, default_flow_style=False)
