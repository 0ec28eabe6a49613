"""devcontainer.json from the run configuration `dlenv up` would use: pure, deterministic.

Keys, as the Dev Container specification defines them (devContainer.base.schema.json in
https://github.com/devcontainers/spec, reference: https://containers.dev/implementors/json_reference/):
- `build.dockerfile`/`build.context` (relative to the file) or `image`;
- `runArgs`: extra `docker run` arguments: the same hardening, GPU, shm, tmpfs and user
  namespace flags as `dlenv up` (dlenv.engine.argv, dlenv.engine.gpu);
- `hostRequirements.gpu`: true for the GPU profile;
- `forwardPorts`/`portsAttributes`: the container's SSH and JupyterLab ports (the IDE forwards
  them; nothing is published on the host);
- `workspaceMount`/`workspaceFolder`: the spec's workspace (`--mount` syntax), opened in the IDE;
- `mounts`: the SSH host-key volume and, read-only, the authorized keys and the Jupyter token
  from dlenv's state directory: secrets stay files on the host, never values in the JSON;
- `overrideCommand: false`: the image's entrypoint runs sshd and JupyterLab (the default, true,
  would replace it with a sleep loop);
- `remoteUser`: the spec's user; `updateRemoteUserUID: false`: dlenv already gave that user the
  invoker's UID/GID, and a rewrite would build another image layer.
"""

from __future__ import annotations

import json
from typing import Any

from dlenv.engine.argv import HARDENING_FLAGS
from dlenv.render.context import JUPYTER_CONTAINER_PORT, SSH_CONTAINER_PORT
from dlenv.render.export_source import CONTAINERFILE, ExportSource

FILE_NAME = "devcontainer.json"
FOLDER = ".devcontainer"
PORT_LABELS = {SSH_CONTAINER_PORT: "SSH (dlenv)", JUPYTER_CONTAINER_PORT: "JupyterLab (dlenv)"}

# With `hostRequirements.gpu` set, the Dev Containers CLI adds `--gpus all` itself when Docker
# reports the nvidia runtime (its `--gpu-availability detect`, the same fact dlenv's engine.gpu
# reads): dlenv's own `--gpus all` would ask for the GPUs twice.
_CLI_GPU_FLAGS = ("--gpus", "all")


def devcontainer(source: ExportSource) -> dict[str, Any]:
    config = source.config
    document: dict[str, Any] = {"name": config.name}
    if source.image is None:
        document["build"] = {"dockerfile": CONTAINERFILE, "context": "."}
    else:
        document["image"] = source.image
    if source.gpu:
        document["hostRequirements"] = {"gpu": True}
    document["runArgs"] = run_args(source)
    if config.env:
        document["containerEnv"] = dict(sorted(config.env.items()))
    ports = sorted(config.ports.values())
    document["forwardPorts"] = ports
    document["portsAttributes"] = {
        str(port): {"label": PORT_LABELS.get(port, str(port)), "onAutoForward": "silent"}
        for port in ports
    }
    document["workspaceMount"] = source.workspace.mount_option()
    document["workspaceFolder"] = source.workspace_target
    document["mounts"] = [mount.mount_option() for mount in source.other_mounts]
    document["overrideCommand"] = False
    document["remoteUser"] = source.user
    document["updateRemoteUserUID"] = False
    return document


def run_args(source: ExportSource) -> list[str]:
    config = source.config
    args = ["--hostname", config.name]
    for path in config.tmpfs:
        args += ["--tmpfs", path]
    if config.shm_size:
        args += ["--shm-size", config.shm_size]
    args += HARDENING_FLAGS
    gpu = list(config.gpu_flags)
    if tuple(gpu[:2]) == _CLI_GPU_FLAGS:
        del gpu[:2]
    args += gpu
    args += config.extra_flags
    return args


def devcontainer_text(source: ExportSource) -> str:
    return json.dumps(devcontainer(source), indent=2) + "\n"
