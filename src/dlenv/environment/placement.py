"""Where `up` puts an environment on a shared host: its host ports and its GPUs.

The default ports (2222 for SSH, 8888 for Jupyter) move to the next free loopback port when
taken, by another program or by another dlenv environment (running or stopped: it gets its
ports back on restart); a port you chose (any other value) is used as is, or refused by
`check_ports_free`. The ports end up in the container's labels, which `status`, `ls` and
`ssh-config` read. `run.gpus = "auto:N"` becomes N leased GPU indices (gpu_choice).
"""

from __future__ import annotations

from collections.abc import Sequence

from dlenv.console import info, warn
from dlenv.engine.base import ContainerInfo
from dlenv.environment.gpu_choice import LeaseRequest, acquire, auto_count
from dlenv.environment.project import Placement, Project
from dlenv.errors import DlenvError
from dlenv.labels import EnvLabels
from dlenv.ports import port_is_free, suggest_free_port
from dlenv.spec.model import JupyterSpec, SshSpec

DEFAULT_SSH_PORT: int = SshSpec().port
DEFAULT_JUPYTER_PORT: int = JupyterSpec().port


def choose_port(
    bind: str,
    wanted: int,
    *,
    default: int,
    recorded: int | None,
    taken: set[int],
    local: bool = True,
) -> int:
    """`recorded`: the port this environment's container already has (kept across `up`s);
    `taken`: ports other dlenv environments hold. `local` False: the ports are on a box (`--host`),
    whose other listeners this machine cannot probe; its engine names a busy one."""
    if wanted != default:
        return wanted
    if recorded is not None:
        return recorded
    if not local:
        return next(port for port in range(wanted, 65536) if port not in taken)
    if wanted not in taken and port_is_free(bind, wanted):
        return wanted
    return suggest_free_port(bind, wanted, taken) or wanted


def ports_of_others(containers: Sequence[ContainerInfo], name: str) -> set[int]:
    taken: set[int] = set()
    for container in containers:
        labels = EnvLabels.decode(container.labels, container.name)
        if labels.name != name:
            taken |= {p for p in (labels.ssh_port, labels.jupyter_port) if p is not None}
    return taken


def place(
    project: Project, existing: ContainerInfo | None, containers: Sequence[ContainerInfo]
) -> Placement:
    """`existing`: this environment's container; `containers`: every dlenv container on the
    engine (`CliEngine.environments`), whose ports and GPUs are taken."""
    spec = project.spec
    recorded = EnvLabels.decode(existing.labels, existing.name) if existing else None
    taken = ports_of_others(containers, project.name)
    local = project.box is None
    ssh = choose_port(
        spec.run.bind, spec.ssh.port, default=DEFAULT_SSH_PORT,
        recorded=recorded.ssh_port if recorded else None, taken=taken, local=local,
    )  # fmt: skip
    jupyter = choose_port(
        spec.run.bind, spec.jupyter.port, default=DEFAULT_JUPYTER_PORT,
        recorded=recorded.jupyter_port if recorded else None, taken=taken | {ssh}, local=local,
    )  # fmt: skip
    before = (recorded.ssh_port, recorded.jupyter_port) if recorded else (None, None)
    for what, chosen, wanted, had in (
        ("SSH", ssh, spec.ssh.port, before[0]),
        ("Jupyter", jupyter, spec.jupyter.port, before[1]),
    ):
        if chosen not in (wanted, had):
            info(f"port {wanted} is taken: {what} gets port {chosen}")
    count = auto_count(spec.run.gpu_ids)
    if count is None:
        return Placement(ssh, jupyter, project.default_placement().gpus)
    if project.box is not None:
        # The leases live on the host that runs the engine; with --host that is the box.
        raise DlenvError(
            f'run.gpus = "{spec.run.gpus}" cannot lease GPUs on {project.box.address} from here',
            hint="Name the GPUs (run.gpus = [0, 1]) for an environment on a box, or run "
            "`dlenv up` on the box itself.",
        )
    identity = project.ctx.identity
    gpus = acquire(
        project.ctx,
        LeaseRequest(
            project.name, project.engine.name, count, identity.user or f"uid{identity.uid}"
        ),
        containers,
    )
    info(f"GPUs {', '.join(gpus)} leased for {project.name}")
    if spec.profile != "gpu":
        warn("the CPU profile hands no GPU to the container: the leased GPUs are only reserved")
    return Placement(ssh, jupyter, gpus)
