"""Finding an existing environment by name, for the commands that act on one (status, down, ...)."""

from __future__ import annotations

from dataclasses import dataclass

from dlenv.engine.base import MANAGED_LABEL, ContainerInfo
from dlenv.engine.cli_engine import CliEngine
from dlenv.engine.detect import open_engine
from dlenv.errors import DlenvError
from dlenv.process import Runner
from dlenv.project import EnvOptions, load_effective_spec
from dlenv.state import EnvState


@dataclass(frozen=True)
class Target:
    name: str
    engine: CliEngine
    state: EnvState
    container: ContainerInfo | None


def find_target(options: EnvOptions, runner: Runner) -> Target:
    spec, _ = load_effective_spec(options)
    engine, _ = open_engine(options.engine, spec.engine, runner)
    container = engine.container(spec.name)
    if container is not None and container.labels.get(MANAGED_LABEL) != "true":
        raise DlenvError(f"the container {spec.name!r} was not made by dlenv; leaving it alone")
    return Target(spec.name, engine, EnvState.for_env(spec.name), container)


def require_running(target: Target) -> ContainerInfo:
    if target.container is None:
        raise DlenvError(f"{target.name} is not created", hint="Start it with `dlenv up`.")
    if target.container.state != "running":
        raise DlenvError(
            f"{target.name} is {target.container.state}", hint="Start it with `dlenv up`."
        )
    return target.container
