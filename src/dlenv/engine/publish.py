"""Multi-platform builds (a manifest list) and pushing to a registry. Argv builders are pure.

Podman builds every platform in one `podman build --platform a,b --manifest NAME` and pushes the
list with `podman manifest push --all`; see podman-build(1) and podman-manifest-push(1). Docker's
legacy builder cannot build for other platforms, and dlenv does not drive buildx's container
driver, so multi-platform builds need Podman.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dlenv.engine.argv import build_argv, build_command
from dlenv.engine.base import BuildRequest
from dlenv.errors import BuildError, EngineError, UsageError
from dlenv.process import Command, Runner

# "latest: digest: sha256:<hex> size: 1234" (docker push's last line)
_DOCKER_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")
_REFERENCE = re.compile(r"[a-z0-9]+([._:/-][a-zA-Z0-9_.-]+)*(@sha256:[0-9a-f]{64})?")  # fullmatch


def manifest_name(image_tag: str) -> str:
    """The manifest list of a multi-platform build, beside the single-platform image tag."""
    return f"{image_tag}-multiarch"


def multiplatform_build_argv(
    program: str, request: BuildRequest, platforms: tuple[str, ...]
) -> tuple[str, ...]:
    if program != "podman":
        raise UsageError(
            "multi-platform builds need podman",
            hint="Use --engine podman, or build each platform on a native host.",
        )
    argv = list(build_argv(program, request))
    at = argv.index("--tag")
    argv[at : at + 2] = ["--manifest", manifest_name(request.tag)]
    argv[2:2] = ["--platform", ",".join(platforms)]
    return tuple(argv)


def build_multiplatform(
    runner: Runner,
    program: str,
    request: BuildRequest,
    platforms: tuple[str, ...],
    on_line: Callable[[str], None],
) -> str:
    """Build the manifest list afresh (an old list would keep stale entries). Returns its name."""
    name = manifest_name(request.tag)
    runner.run(Command((program, "manifest", "rm", name)))  # absent is fine
    command = build_command(program, Command(multiplatform_build_argv(program, request, platforms)))
    result = runner.stream(command, on_line)
    if not result.ok:
        raise BuildError(
            f"the multi-platform build failed (exit {result.returncode})",
            details="\n".join(result.stdout.splitlines()[-25:]),
        )
    return name


def check_reference(reference: str) -> str:
    if not _REFERENCE.fullmatch(reference) or "@" in reference:
        raise UsageError(
            f"{reference!r} is not an image reference to push to",
            hint="Give REGISTRY/NAME[:TAG], e.g. registry.example.com/team/dlenv:1 or "
            "127.0.0.1:5000/dlenv:latest (lower-case name, no digest).",
        )
    return reference


@dataclass(frozen=True)
class PushPlan:
    commands: tuple[Command, ...]
    digest_file: Path | None  # podman writes the pushed digest here


def push_plan(
    program: str,
    source: str,
    reference: str,
    *,
    manifest: bool,
    tls_verify: bool,
    digest_file: Path,
) -> PushPlan:
    """The commands that push `source` (an image, or a manifest list) to `reference`."""
    if program == "podman":
        verb = ("manifest", "push", "--all") if manifest else ("push",)
        tls = () if tls_verify else ("--tls-verify=false",)
        argv = (program, *verb, *tls, "--digestfile", str(digest_file), source)
        return PushPlan((Command((*argv, f"docker://{reference}")),), digest_file)
    if manifest:
        raise UsageError("pushing a multi-platform manifest list needs podman")
    # Docker trusts plain-HTTP registries only when the daemon lists them (127.0.0.0/8 is listed
    # by default): there is no per-command switch.
    return PushPlan(
        (Command((program, "tag", source, reference)), Command((program, "push", reference))),
        None,
    )


def run_push(runner: Runner, plan: PushPlan) -> str:
    """Run the push; return the pushed manifest's digest (sha256:...)."""
    output = ""
    for command in plan.commands:
        result = runner.run(command)
        if not result.ok:
            raise EngineError(
                f"`{command.display()}` failed (exit {result.returncode})",
                details=(result.stderr or result.stdout).strip()[-3000:] or None,
                hint="Log in first if the registry needs it (`podman login REGISTRY`); for a "
                "plain-HTTP registry pass --no-tls-verify.",
            )
        output = result.stdout + result.stderr
    if plan.digest_file is not None:
        return plan.digest_file.read_text(encoding="utf-8").strip()
    match = _DOCKER_DIGEST.search(output)
    if match is None:
        raise EngineError("the push succeeded but printed no digest", details=output[-2000:])
    return match[1]


def push(
    runner: Runner, program: str, source: str, reference: str, *, manifest: bool, tls_verify: bool
) -> str:
    with tempfile.TemporaryDirectory(prefix="dlenv-push-") as work:
        plan = push_plan(
            program,
            source,
            check_reference(reference),
            manifest=manifest,
            tls_verify=tls_verify,
            digest_file=Path(work) / "digest",
        )
        return run_push(runner, plan)
