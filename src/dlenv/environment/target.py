"""Finding an existing environment by name, for the commands that act on one (status, down, ...)."""

from __future__ import annotations

from dataclasses import dataclass

from dlenv.context import AppContext
from dlenv.engine.base import ContainerInfo
from dlenv.engine.cli_engine import CliEngine
from dlenv.engine.detect import open_engine
from dlenv.environment.names import EnvNames
from dlenv.environment.options import EnvOptions
from dlenv.environment.resolution import load_effective_spec
from dlenv.errors import DlenvError
from dlenv.labels import EnvLabels, is_managed
from dlenv.state import EnvState


@dataclass(frozen=True)
class Target:
    name: str
    engine: CliEngine
    state: EnvState
    container: ContainerInfo | None

    @property
    def names(self) -> EnvNames:
        return EnvNames(self.name)

    @property
    def labels(self) -> EnvLabels:
        labels = self.container.labels if self.container else {}
        return EnvLabels.decode(labels, self.name)


def find_target(options: EnvOptions, ctx: AppContext) -> Target:
    spec, _ = load_effective_spec(options, ctx)
    engine, _ = open_engine(options.engine, spec.engine, ctx.runner)
    container = engine.container(EnvNames(spec.name).container)
    if container is not None and not is_managed(container.labels):
        raise DlenvError(f"the container {spec.name!r} was not made by dlenv; leaving it alone")
    return Target(spec.name, engine, EnvState.for_env(ctx.state_root, spec.name), container)


def require_running(target: Target) -> ContainerInfo:
    if target.container is None:
        raise DlenvError(f"{target.name} is not created", hint="Start it with `dlenv up`.")
    if target.container.state != "running":
        raise DlenvError(
            f"{target.name} is {target.container.state}", hint="Start it with `dlenv up`."
        )
    return target.container
