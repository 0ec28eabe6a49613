"""Pure argv builders for docker and podman. Both CLIs agree on everything used here."""

from __future__ import annotations

from dlenv.engine.base import BuildRequest, RunConfig
from dlenv.engine.caps import CA_SECRET_ID

# Proxy variables are predefined build arguments in both BuildKit/buildah and the legacy builder:
# they reach RUN steps but are left out of the image history (Dockerfile reference,
# "Predefined ARGs": https://docs.docker.com/reference/dockerfile/#predefined-args).
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


def build_argv(
    program: str, request: BuildRequest, *, buildkit_progress: bool = False
) -> tuple[str, ...]:
    argv = [
        program,
        "build",
        "--tag",
        request.tag,
        "--file",
        str(request.context / "Containerfile"),
    ]
    if buildkit_progress:
        argv.append("--progress=plain")
    for key, value in sorted(request.labels.items()):
        argv += ["--label", f"{key}={value}"]
    for key, value in sorted(request.build_args.items()):
        argv += ["--build-arg", f"{key}={value}"]
    if request.ca_bundle is not None:
        argv += ["--secret", f"id={CA_SECRET_ID},src={request.ca_bundle}"]
    if program == "docker":
        # The legacy builder keeps a failed step's container unless told not to.
        argv.append("--force-rm")
    if request.network is not None:
        argv += ["--network", request.network]
    if request.no_cache:
        argv.append("--no-cache")
    argv.append(str(request.context))
    return tuple(argv)


def run_argv(program: str, config: RunConfig) -> tuple[str, ...]:
    argv = [program, "run", "--detach", "--name", config.name, "--hostname", config.name]
    for host_port, container_port in sorted(config.ports.items()):
        argv += ["--publish", f"{config.bind}:{host_port}:{container_port}"]
    for mount in config.mounts:
        argv += ["--volume", mount.flag()]
    for path in config.tmpfs:
        argv += ["--tmpfs", path]
    if config.shm_size:
        argv += ["--shm-size", config.shm_size]
    for key, value in sorted(config.labels.items()):
        argv += ["--label", f"{key}={value}"]
    for key, value in sorted(config.env.items()):
        argv += ["--env", f"{key}={value}"]
    argv += list(config.gpu_flags)
    argv += list(config.extra_flags)
    argv.append(config.image)
    return tuple(argv)
