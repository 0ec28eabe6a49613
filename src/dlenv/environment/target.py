"""Finding an existing environment by name, for the commands that act on one (status, down, ...)."""

from __future__ import annotations

from dataclasses import dataclass

from dlenv.context import AppContext
from dlenv.engine.base import ContainerInfo
from dlenv.engine.cli_engine import CliEngine
from dlenv.engine.detect import open_engine
from dlenv.environment.access import Access, access_from_container
from dlenv.environment.box import Box, open_box
from dlenv.environment.names import EnvNames
from dlenv.environment.options import EnvOptions
from dlenv.environment.resolution import load_effective_spec
from dlenv.errors import DlenvError
from dlenv.labels import EnvLabels, is_managed
from dlenv.readiness import Endpoints
from dlenv.state import EnvState


@dataclass(frozen=True)
class Target:
    name: str
    engine: CliEngine
    state: EnvState
    container: ContainerInfo | None
    box: Box | None = None  # the machine the engine runs on, when it is not this one

    @property
    def names(self) -> EnvNames:
        return EnvNames(self.name)

    @property
    def labels(self) -> EnvLabels:
        labels = self.container.labels if self.container else {}
        return EnvLabels.decode(labels, self.name)


def find_target(options: EnvOptions, ctx: AppContext) -> Target:
    spec, _ = load_effective_spec(options, ctx)
    box = open_box(spec.host, ctx)
    engine, _ = open_engine(options.engine, spec.engine, ctx.runner, box.link() if box else None)
    container = engine.container(EnvNames(spec.name).container)
    if container is not None and not is_managed(container.labels):
        raise DlenvError(f"the container {spec.name!r} was not made by dlenv; leaving it alone")
    state = EnvState.for_env(ctx.state_root, spec.name)
    return Target(spec.name, engine, state, container, box)


def access_of(target: Target, container: ContainerInfo) -> Access:
    """How to reach the target's container (through its box, when it runs on one)."""
    via = target.box.address if target.box is not None else None
    return access_from_container(container, target.state.read_token(), via=via)


def endpoints_of(target: Target, access: Access) -> Endpoints:
    """Where readiness is probed from here: the published ports, or forwards to the box's."""
    if access.ssh_port is None or access.jupyter_port is None:
        raise DlenvError(
            f"{target.name}'s container does not record its ports",
            hint="Recreate it with `dlenv down && dlenv up`.",
        )
    token = access.token or ""
    if target.box is not None:
        return target.box.endpoints(access.ssh_port, access.jupyter_port, token)
    return Endpoints(access.host, access.ssh_port, access.jupyter_port, token)


def require_running(target: Target) -> ContainerInfo:
    if target.container is None:
        raise DlenvError(f"{target.name} is not created", hint="Start it with `dlenv up`.")
    if target.container.state != "running":
        raise DlenvError(
            f"{target.name} is {target.container.state}", hint="Start it with `dlenv up`."
        )
    return target.container
