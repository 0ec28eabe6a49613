"""`dlenv slurm up|run`: the environment in a Slurm job, as a generated sbatch script."""

from __future__ import annotations

from typing import Annotated

import typer

from dlenv.commands.options import RUN_PANEL, AuthorizedKeysOption, env_options
from dlenv.console import info, out, success
from dlenv.context import AppContext
from dlenv.engine.gpu import run_defaults
from dlenv.environment.cache import cache_reference
from dlenv.environment.gpu_choice import auto_count
from dlenv.environment.lifecycle import authorize_keys, ensure_image
from dlenv.environment.options import EnvOptions
from dlenv.environment.project import Project, open_project
from dlenv.errors import DlenvError, UsageError
from dlenv.process import Command
from dlenv.render.sbatch import SbatchJob, render_sbatch
from dlenv.spec.model import is_image_reference

SLURM_PANEL = "Slurm"

ScriptOption = Annotated[
    bool, typer.Option("--script", help="Print the sbatch script instead of submitting it.")
]
GpusOption = Annotated[
    int | None,
    typer.Option(
        "--gpus",
        min=0,
        help="GPUs for the job (--gres=gpu:N) \\[default: 0 for the CPU profile, else from "
        'run.gpus: "auto:N" or a list gives N, "all" 1].',
        rich_help_panel=SLURM_PANEL,
    ),
]
PartitionOption = Annotated[
    str | None, typer.Option("--partition", help="Slurm partition.", rich_help_panel=SLURM_PANEL)
]
TimeOption = Annotated[
    str | None,
    typer.Option("--time", help="Time limit, e.g. 2:00:00.", rich_help_panel=SLURM_PANEL),
]
ImageOption = Annotated[
    str | None,
    typer.Option(
        "--image",
        help="Image the job runs, e.g. one `dlenv push` published \\[default: the image built "
        "here, which only this node's engine has].",
        rich_help_panel=RUN_PANEL,
    ),
]


def register(app: typer.Typer) -> None:
    slurm = typer.Typer(
        help="Run the environment in a Slurm job (an sbatch script; --script prints it).",
        no_args_is_help=True,
    )
    slurm.command("up")(up_command)
    slurm.command("run")(run_command)
    app.add_typer(slurm, name="slurm")


@env_options("build")
def up_command(
    options: EnvOptions,
    ctx: AppContext,
    authorized_keys: AuthorizedKeysOption = None,
    gpus: GpusOption = None,
    partition: PartitionOption = None,
    time: TimeOption = None,
    image: ImageOption = None,
    script: ScriptOption = False,
) -> None:
    """An interactive job: SSH and JupyterLab in the job, the connection recipe in its output."""
    project = open_project(options, ctx)
    if not script:
        authorize_keys(project, authorized_keys or [])
    job = slurm_job(project, "up", (), image=image, gpus=gpus, partition=partition, time=time)
    _submit(project, job, script=script, wait=False)


@env_options("build")
def run_command(
    options: EnvOptions,
    ctx: AppContext,
    command: Annotated[list[str] | None, typer.Argument(help="The command, after --.")] = None,
    gpus: GpusOption = None,
    partition: PartitionOption = None,
    time: TimeOption = None,
    image: ImageOption = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the job to end; exit with its status.")
    ] = False,
    script: ScriptOption = False,
) -> None:
    """A batch job: `dlenv slurm run -- python train.py` runs the command in the environment."""
    if not command:
        raise UsageError(
            "no command to run", hint="Give it after --: dlenv slurm run -- python train.py"
        )
    project = open_project(options, ctx)
    job = slurm_job(project, "run", tuple(command), image=image, gpus=gpus, partition=partition,
               time=time)  # fmt: skip
    _submit(project, job, script=script, wait=wait)


def job_gpus(project: Project, given: int | None) -> int:
    if given is not None:
        return given
    if project.spec.profile != "gpu":
        return 0
    gpus = project.spec.run.gpu_ids
    count = auto_count(gpus)
    if count is not None:
        return count
    return 1 if gpus == "all" else len(gpus)


def slurm_job(
    project: Project,
    kind: str,
    command: tuple[str, ...],
    *,
    image: str | None,
    gpus: int | None,
    partition: str | None,
    time: str | None,
) -> SbatchJob:
    if image is not None and not is_image_reference(image):
        raise UsageError(f"--image {image!r} is not an image reference NAME[:TAG][@sha256:...]")
    if any(ch in str(project.ctx.cwd) for ch in ":,"):
        raise UsageError(
            f"the job mounts this directory, and {project.ctx.cwd} holds ':' or ',' "
            "(volume syntax)",
            hint="Submit from a directory without them.",
        )
    spec = project.spec
    defaults = run_defaults(project.engine.host(), ipc=spec.run.ipc, shm_size=spec.run.shm_size)
    shm = ("--shm-size", defaults.shm_size) if defaults.shm_size else ()
    # The registry cache (image.registry) is where every node finds the image: `_submit` makes
    # sure the content is there (pulled or built, then pushed) before the job starts.
    cached = cache_reference(project)
    chosen = image or cached or project.image_tag
    insecure = (
        ("--tls-verify=false",)
        if chosen == cached and project.engine.name == "podman" and not spec.image.registry_tls
        else ()
    )
    return SbatchJob(
        kind=kind,
        name=project.name,
        program=project.engine.name,
        image=chosen,
        user=spec.image.user,
        workspace=str(project.ctx.cwd),
        gpus=job_gpus(project, gpus),
        command=command,
        authorized_keys=str(project.state.authorized_keys_file),
        run_flags=(*shm, *insecure, *defaults.flags),
        env=tuple(sorted(project.resolved.runtime_env.items())),
        partition=partition,
        time=time,
    )


def _submit(project: Project, job: SbatchJob, *, script: bool, wait: bool) -> None:
    text = render_sbatch(job)
    if script:
        out.print(text, end="", markup=False)
        return
    if job.image == cache_reference(project):
        ensure_image(project)  # pulls it from the cache, or builds and pushes it there
    elif job.image == project.image_tag:
        ensure_image(project)
        info(f"the job runs {job.image}, which only this node's {job.program} has: on a "
             "cluster, set image.registry (or `dlenv push` it and pass --image)")  # fmt: skip
    if project.ctx.runner.which("sbatch") is None:
        raise DlenvError("sbatch is not installed here", hint="Run this on a Slurm login node.")
    argv = ("sbatch", "--parsable", *(("--wait",) if wait else ()))
    result = project.ctx.runner.run(Command(argv, stdin=text))
    job_id = result.stdout.strip().split(";")[0]
    output = f"{job.workspace}/{job.output.replace('%j', job_id)}"
    if not result.ok:
        raise DlenvError(
            f"sbatch failed (exit {result.returncode})" + (f"; job {job_id}" if job_id else ""),
            details=(result.stderr or result.stdout).strip()[-3000:] or None,
            hint=f"The job's output, if it ran: {output}" if job_id else None,
        )
    success(f"submitted job {job_id}; output: {output}")
    if job.kind == "up":
        info("the SSH and Jupyter recipe appears in the output once the job starts")
