"""The one resolve path: the effective spec, this host's facts and the user's package indexes
in; a ResolvedEnv out. `up`, `build`, `render`, `push`, `lock` and `init` all call it, so a lock
written by `dlenv lock` is the lock `dlenv up` expects on the same host."""

from __future__ import annotations

from dlenv.context import AppContext
from dlenv.environment.index_config import read_index_config
from dlenv.environment.options import EnvOptions
from dlenv.host.facts import read_host_facts
from dlenv.knowledge import load_knowledge
from dlenv.process import Runner
from dlenv.resolve import ResolvedEnv, resolve
from dlenv.resolve.indexes import named_upstreams
from dlenv.spec import Spec, apply_overrides, load_spec


def load_effective_spec(options: EnvOptions, ctx: AppContext) -> tuple[Spec, str]:
    """`--spec FILE`, else ./dlenv.toml, else the embedded default; then the command line."""
    spec, source = load_spec(options.spec_path, search_dir=ctx.cwd)
    return apply_overrides(spec, options.overrides()), source


def resolve_here(spec: Spec, ctx: AppContext, host_runner: Runner | None = None) -> ResolvedEnv:
    """Resolve for this host: its GPUs and driver when nvidia-smi answers (GPU profile only),
    and the package indexes the user's uv/pip configuration names. `host_runner` runs
    nvidia-smi where the environment will run (a box), when that is not here."""
    knowledge = load_knowledge()
    host = (
        read_host_facts(host_runner or ctx.runner, knowledge) if spec.profile == "gpu" else None
    )
    indexes = read_index_config(
        ctx.runner, ctx.environ, named_upstreams(knowledge), root=ctx.host_root
    )
    return resolve(spec, host, indexes)
