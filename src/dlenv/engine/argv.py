"""Pure argv builders for docker and podman. Both CLIs agree on everything used here."""

from __future__ import annotations

from dataclasses import replace

from dlenv.engine.base import BuildRequest, RunConfig
from dlenv.engine.caps import CA_SECRET_ID
from dlenv.process import Command

# Proxy variables are predefined build arguments in both BuildKit/buildah and the legacy builder:
# they reach RUN steps but are left out of the image history (Dockerfile reference,
# "Predefined ARGs": https://docs.docker.com/reference/dockerfile/#predefined-args).
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")

# What the container may do after start. The entrypoint starts as root: it chowns the token copy
# to the user (CHOWN), reads the token file the host user mounted 0600 (DAC_READ_SEARCH, in
# rootful engines and under podman's keep-id alike), runs sshd, and signals its children on
# stop (KILL: Jupyter and sessions run as the user). sshd binds port 22 (NET_BIND_SERVICE),
# chroots its pre-auth child into /run/sshd and drops to the user (SYS_CHROOT, SETUID, SETGID:
# privilege separation, sshd(8)), hands a session's pty to the user and sets its mode
# (CHOWN, FOWNER), and writes login records through PAM (AUDIT_WRITE). Everything else in the
# engines' default set (MKNOD, NET_RAW, SETFCAP, SETPCAP, FSETID, DAC_OVERRIDE) goes:
# capabilities(7). `no-new-privileges` keeps a setuid binary from giving any of them back.
RUN_CAPABILITIES = (
    "AUDIT_WRITE", "CHOWN", "DAC_READ_SEARCH", "FOWNER", "KILL", "NET_BIND_SERVICE",
    "SETGID", "SETUID", "SYS_CHROOT",
)  # fmt: skip
# The engine starts the container again when it exits non-zero (sshd or JupyterLab died, the
# container's init was killed) and leaves it down after a clean exit 0 (a deliberate stop, see
# the entrypoint's exit contract). Docker: "on-failure: Restart only when the container exit code
# is non-zero", with a doubling delay between restarts (Engine API, RestartPolicy:
# https://docs.docker.com/reference/api/engine/version/v1.47/#tag/Container/operation/ContainerCreate);
# neither restarts a container stopped with `stop`/`kill` (Podman 4.4 `--restart`:
# https://docs.podman.io/en/v4.4/markdown/options/restart.html). Podman applies it through
# conmon and `podman container cleanup`, with no systemd needed.
RESTART_POLICY = "--restart=on-failure"
HARDENING_FLAGS = (
    "--security-opt=no-new-privileges",
    "--cap-drop=ALL",
    *(f"--cap-add={cap}" for cap in RUN_CAPABILITIES),
)


def build_command(program: str, command: Command, *, remote: bool = False) -> Command:
    """How a build runs. A local `podman build` runs in a session of its own, so that the
    terminal's Ctrl-C reaches dlenv only, which then ends the running step's container, and
    podman removes its working containers itself (dlenv.process:
    `ends_its_containers_on_interrupt`). Docker's builder runs in its daemon, and podman over a
    connection on the box, out of reach: those keep the default."""
    if program != "podman" or remote:
        return command
    return replace(command, own_session=True, ends_its_containers_on_interrupt=True)


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
    # By name only: the engine reads each value from its environment (build_env), so a proxy
    # password never shows in `ps` (Docker's `docker build --build-arg`: "If you specify the
    # build argument without a value, the value is taken from the local environment"; buildah
    # reads it the same way).
    for key in sorted(request.build_args):
        argv += ["--build-arg", key]
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


def build_env(request: BuildRequest) -> dict[str, str]:
    """The build arguments' values, for the engine's environment rather than its argv."""
    return dict(request.build_args)


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
    argv.append(RESTART_POLICY)
    argv += HARDENING_FLAGS
    argv += list(config.gpu_flags)
    argv += list(config.extra_flags)
    argv.append(config.image)
    return tuple(argv)
