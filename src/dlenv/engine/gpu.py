"""GPU run flags per engine: pure functions of the engine and the spec's GPU selection."""

from __future__ import annotations

# NVIDIA's recommended limits for its framework containers: unlimited locked memory (pinned host
# buffers for fast copies) and a 64 MiB stack. See the NGC "Running containers" guide.
GPU_ULIMITS = ("--ulimit", "memlock=-1", "--ulimit", "stack=67108864")


def gpu_flags(engine: str, gpus: str | list[str]) -> tuple[str, ...]:
    """Flags that give the container the selected GPUs.

    Podman uses CDI device names (`nvidia.com/gpu=all`, `=0`, `=<UUID>`); Docker's `--gpus`
    goes through the nvidia runtime.
    """
    selected = ["all"] if gpus == "all" else list(gpus)
    if engine == "podman":
        flags: list[str] = []
        for device in selected:
            flags += ["--device", f"nvidia.com/gpu={device}"]
        return (*flags, *GPU_ULIMITS)
    value = "all" if gpus == "all" else '"device=' + ",".join(selected) + '"'
    return ("--gpus", value, *GPU_ULIMITS)
