"""`CliEngine`: drives the docker or podman CLI through a Runner.

Podman's CLI is Docker-compatible for everything dlenv uses, so one class serves both; the few
differences (builder capabilities, how progress is printed) are data on `EngineKind`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dlenv.engine.argv import build_argv, build_command, build_env, run_argv
from dlenv.engine.base import BaseDigest, BuildRequest, BuildStep, ContainerInfo, RunConfig
from dlenv.engine.caps import BuilderCaps
from dlenv.engine.connection import LOCAL, EngineConnection
from dlenv.engine.failures import daemon_gone_hint, shows_daemon_down
from dlenv.engine.image_digest import base_digest
from dlenv.engine.info_memo import DOCKER_INFO, PODMAN_INFO
from dlenv.errors import BuildError, DlenvError, EngineError
from dlenv.labels import MANAGED, NAME
from dlenv.process import Command, Result, Runner

if TYPE_CHECKING:
    from dlenv.engine.host import EngineHost
    from dlenv.host.reader import HostReader

# "STEP 3/14: RUN ..." (podman/buildah), "Step 3/14 : RUN ..." (legacy docker),
# "#7 [3/14] RUN ..." (BuildKit, --progress=plain).
_STEP_PATTERNS = (
    # Multi-platform podman builds prefix each line with the platform: "[linux/arm64] STEP ...".
    re.compile(r"(?:\[[\w./-]+\] )?STEP (\d+)/(\d+): (.*)"),
    re.compile(r"Step (\d+)/(\d+) : (.*)"),
    re.compile(r"#\d+ \[(?:[\w-]+ )?(\d+)/(\d+)\] (.*)"),
)


def parse_build_step(line: str) -> BuildStep | None:
    for pattern in _STEP_PATTERNS:
        match = pattern.fullmatch(line.rstrip("\r\n"))
        if match:
            return BuildStep(int(match[1]), int(match[2]), " ".join(match[3].split()))
    return None


def _mapping(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _labels(value: object) -> dict[str, str]:
    """Labels are strings; an engine's JSON of another shape carries none dlenv could read."""
    return {k: v for k, v in _mapping(value).items() if isinstance(v, str)}


def _count(value: object) -> int:
    """A non-negative count from engine JSON; anything else reads as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


# `container inspect` as dlenv asks it, of one container or of many (`_inspected` reads both).
_INSPECT_CONTAINERS = ("container", "inspect", "--format", "{{json .}}")


def _container_info(name: str, data: dict[str, object]) -> ContainerInfo:
    state = _mapping(data.get("State"))
    config = _mapping(data.get("Config"))
    return ContainerInfo(
        name=name,
        state=str(state.get("Status", "unknown")).lower(),
        image=str(config.get("Image", "")),
        labels=_labels(config.get("Labels")),
        restart_count=_count(data.get("RestartCount")),
    )


@dataclass(frozen=True)
class EngineKind:
    program: str  # "podman" or "docker"
    caps: BuilderCaps
    buildkit: bool = False


class CliEngine:
    def __init__(
        self,
        kind: EngineKind,
        runner: Runner,
        cdi_root: Path = Path("/"),
        connection: EngineConnection = LOCAL,
        box_reader: HostReader | None = None,
        forward_to_box: Callable[[int], int] | None = None,
    ):
        """`connection`: where the engine runs (dlenv.engine.connection); for an engine on a box,
        `box_reader` reads the box's files (its CDI specs) and `forward_to_box` makes a port here
        reachable on the box's loopback, returning the box's port."""
        self.kind = kind
        self.runner = runner
        self.connection = connection
        self._cdi_root = cdi_root
        self._box_reader = box_reader
        self._forward_to_box = forward_to_box
        self._host: EngineHost | None = None
        self._host_reading: Future[EngineHost] | None = None

    def host(self) -> EngineHost:
        """The engine's facts that decide the run flags (rootless, GPU runtime, CDI), read once."""
        if self._host is None:
            reading, self._host_reading = self._host_reading, None
            self._host = reading.result() if reading is not None else self._read_host()
        return self._host

    def start_reading_host(self) -> None:
        """Start `host()`'s read in the background, for a caller that will need it after other
        work: `podman info` takes 0.3-0.5 s (it asks the package manager about its helpers)."""
        if self._host is None and self._host_reading is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dlenv-engine-info")
            self._host_reading = pool.submit(self._read_host)
            pool.shutdown(wait=False)  # the thread ends with the read; host() collects it

    def _read_host(self) -> EngineHost:
        # Imported here (noqa PLC0415): the host parsers are for the commands that run a
        # container; `build`, `lock` and `render` never read the engine's host facts.
        from dlenv.engine.host import engine_host, read_cdi_specs  # noqa: PLC0415
        from dlenv.host.probe import cdi_specs  # noqa: PLC0415

        # The argv doctor's probe runs too; podman's is answered from memory (info_memo).
        info = DOCKER_INFO if self.name == "docker" else PODMAN_INFO
        result = self._run(*info[1:], check=False)
        specs = (
            cdi_specs(self._box_reader)
            if self._box_reader is not None
            else read_cdi_specs(self._cdi_root)
        )
        return engine_host(self.name, result.stdout, specs)

    @property
    def name(self) -> str:
        return self.kind.program

    @property
    def caps(self) -> BuilderCaps:
        return self.kind.caps

    def command(self, argv: tuple[str, ...], env: dict[str, str] | None = None) -> Command:
        """An engine command line (argv[0] is the program), aimed at where the engine runs."""
        return self.connection.apply(Command(argv, env or {}))

    def _cmd(self, *args: str) -> Command:
        # DOCKER_BUILDKIT picks the builder ("BuildKit", https://docs.docker.com/build/buildkit/).
        env = {"DOCKER_BUILDKIT": "1"} if self.kind.buildkit else {}
        return self.command((self.kind.program, *args), env)

    def _run(self, *args: str, check: bool = True) -> Result:
        result = self.runner.run(self._cmd(*args))
        if not result.ok and shows_daemon_down(result.stderr):
            # Whatever was asked, check or not: an answer from no daemon is no answer.
            raise EngineError(
                f"the {self.name.capitalize()} daemon is not answering ({self.name} {args[0]})",
                details=result.stderr.strip()[-3000:] or None,
                hint=daemon_gone_hint(self.name),
            )
        if check and not result.ok:
            raise EngineError(
                f"{self.name} {args[0]} failed (exit {result.returncode})",
                details=(result.stderr or result.stdout).strip()[-3000:] or None,
            )
        return result

    def responds(self) -> bool:
        """Whether the engine answers at all (`version`: cheap, and it needs the daemon)."""
        try:
            return self.runner.run(self._cmd("version"), timeout=15).ok
        except DlenvError:
            return False

    def _json(self, result: Result, what: str) -> object:
        """The JSON an engine printed; output that is not JSON is the engine's failure."""
        try:
            return json.loads(result.stdout.strip() or "null")
        # ValueError covers JSONDecodeError and an integer too long to convert.
        except (ValueError, RecursionError):
            raise EngineError(
                f"{self.name} {what} printed something that is not JSON",
                details=result.stdout.strip()[-3000:] or None,
            ) from None

    # Images -------------------------------------------------------------------------------
    def image_exists(self, ref: str) -> bool:
        return self._run("image", "inspect", "--format", "{{.Id}}", ref, check=False).ok

    def image_labels(self, ref: str) -> dict[str, str]:
        result = self._run(
            "image", "inspect", "--format", "{{json .Config.Labels}}", ref, check=False
        )
        if not result.ok:
            return {}
        return _labels(self._json(result, "image inspect"))

    def base_digest(self, ref: str) -> BaseDigest:
        """The digest that pins base image `ref`, pulled first when the engine lacks it (the
        build would pull it anyway; the digest must be known before). A pull that fails raises
        EngineError with the engine's message, which names the cause."""
        result = self._run("image", "inspect", "--format", "{{json .}}", ref, check=False)
        if not result.ok:
            self._run("pull", ref)
            result = self._run("image", "inspect", "--format", "{{json .}}", ref)
        found = base_digest(self._json(result, "image inspect"), ref)
        if found is None:
            raise EngineError(
                f"{self.name} image inspect shows no digest or ID for {ref}",
                details=result.stdout.strip()[-3000:] or None,
            )
        return found

    def build(self, request: BuildRequest, on_line: Callable[[str], None]) -> None:
        if request.ca_bundle is not None and not self.caps.secret_mounts:
            # No build secrets: the CA stays on the host and a loopback relay fetches for the
            # build (see dlenv.engine.relay). `--network host` lets the build reach 127.0.0.1.
            # Imported here: its HTTP client and server modules are 0.03 s of the start of
            # every command that opens an engine, and only this kind of build needs them.
            from dlenv.engine.relay import serve_relay  # noqa: PLC0415

            with serve_relay(request.ca_bundle, request.index_hosts) as served:
                relay = served
                if self.connection.remote:
                    # The build runs on the box: it reaches the relay through a port on the
                    # box's loopback that the SSH connection forwards here (ssh -R).
                    if self._forward_to_box is None:
                        raise BuildError(
                            "--ca-bundle with a remote legacy builder needs a connection to "
                            "forward the package relay through"
                        )
                    relay = replace(relay, port=self._forward_to_box(relay.port))
                self._build(
                    replace(
                        request,
                        ca_bundle=None,
                        build_args={**request.build_args, **relay.build_args()},
                        network="host",
                    ),
                    on_line,
                )
            return
        self._build(request, on_line)

    def _build(self, request: BuildRequest, on_line: Callable[[str], None]) -> None:
        argv = build_argv(self.kind.program, request, buildkit_progress=self.kind.buildkit)
        env = build_env(request) | (
            {"DOCKER_BUILDKIT": "1" if self.kind.buildkit else "0"} if self.name == "docker" else {}
        )
        command = build_command(self.name, self.command(argv, env), remote=self.connection.remote)
        result = self.runner.stream(command, on_line)
        if not result.ok:
            raise BuildError(
                f"the image build failed (exit {result.returncode})",
                details="\n".join(result.stdout.splitlines()[-25:]),
            )

    def pull(self, ref: str, *, tls_verify: bool = True) -> Result:
        """Pull `ref`; the caller reads the outcome (a missing tag is not always an error).
        Docker has no per-pull TLS switch: its daemon's `insecure-registries` decides."""
        tls = ("--tls-verify=false",) if self.name == "podman" and not tls_verify else ()
        return self._run("pull", *tls, ref, check=False)

    def tag(self, source: str, target: str) -> None:
        self._run("tag", source, target)

    def repo_digests(self, ref: str) -> list[str]:
        """The registry references (`NAME@sha256:...`) an image was pushed to or pulled from."""
        result = self._run(
            "image", "inspect", "--format", "{{json .RepoDigests}}", ref, check=False
        )
        if not result.ok:
            return []
        data = self._json(result, "image inspect")
        return [d for d in data if isinstance(d, str)] if isinstance(data, list) else []

    def images(self, repository: str) -> list[str]:
        """The tags of one repository ("localhost/dlenv/NAME"), as full references."""
        result = self._run("images", "--format", "{{.Repository}}:{{.Tag}}", check=False)
        return sorted(ref for ref in result.stdout.split() if ref.rsplit(":", 1)[0] == repository)

    def remove_image(self, ref: str) -> None:
        self._run("image", "rm", ref, check=False)

    # Containers ---------------------------------------------------------------------------
    def run(self, config: RunConfig) -> str:
        result = self.runner.run(self.command(run_argv(self.kind.program, config)))
        if not result.ok:
            raise EngineError(
                f"{self.name} could not start the container {config.name}",
                details=(result.stderr or result.stdout).strip()[-3000:] or None,
            )
        return result.stdout.strip()

    def container(self, name: str) -> ContainerInfo | None:
        result = self._run(*_INSPECT_CONTAINERS, name, check=False)
        if not result.ok:
            return None
        found = self._inspected(result)
        if not found:
            return None
        if not isinstance(found[0], dict):
            raise EngineError(
                f"{self.name} container inspect printed no container for {name}",
                details=result.stdout.strip()[-3000:] or None,
            )
        return _container_info(name, found[0])

    def _inspected(self, result: Result) -> list[object]:
        """What `container inspect --format {{json .}}` printed, one item per container asked
        about: podman 4 prints one JSON array of them all (indented, over many lines), docker
        one JSON object per line (both captured in tests/fixtures/captured)."""
        text = result.stdout.strip()
        lines = text.splitlines()
        if text.startswith("[") or len(lines) <= 1:
            data = self._json(result, "container inspect")
            if data is None:
                return []
            return data if isinstance(data, list) else [data]
        return [self._json(replace(result, stdout=line), "container inspect") for line in lines]

    def managed_containers(self) -> list[str]:
        result = self._run(
            "ps", "--all", "--filter", f"label={MANAGED}=true", "--format", "{{.Names}}"
        )
        return sorted(line.strip() for line in result.stdout.splitlines() if line.strip())

    def environments(self) -> list[ContainerInfo]:
        """Every dlenv-made container on this engine, running or not: one `ps`, then one
        `container inspect` of them all (a lab's server holds dozens; each engine call is
        0.05-0.1 s)."""
        names = self.managed_containers()
        if not names:
            return []
        result = self._run(*_INSPECT_CONTAINERS, *names, check=False)
        found = self._inspected(result) if result.ok else []
        readable = [data for data in found if isinstance(data, dict)]
        if len(readable) == len(found) == len(names):
            # Printed in the order asked; docker prefixes `Name` with "/", so the asked name.
            return [_container_info(n, data) for n, data in zip(names, readable, strict=True)]
        # One went away between the two calls (removed elsewhere): ask one at a time.
        return [c for name in names if (c := self.container(name))]

    def restart(self, name: str, timeout: int = 10) -> None:
        self._run("restart", "--time", str(timeout), name)

    def stop(self, name: str, timeout: int = 10) -> None:
        self._run("stop", "--time", str(timeout), name, check=False)

    def remove_container(self, name: str) -> None:
        self._run("rm", "--force", name, check=False)

    def logs(self, name: str, *, tail: int | None = None) -> str:
        args = ["logs"] + (["--tail", str(tail)] if tail else []) + [name]
        result = self._run(*args, check=False)
        return result.stdout + result.stderr

    def logs_command(self, name: str, *, follow: bool, tail: int | None) -> Command:
        args = [self.kind.program, "logs"]
        if follow:
            args.append("--follow")
        if tail is not None:
            args += ["--tail", str(tail)]
        return self.command((*args, name))

    def exec_command(
        self, name: str, command: tuple[str, ...], *, user: str, stdin: bool, tty: bool
    ) -> Command:
        # `dlenv shell` attaches stdin always (so `echo cmd | dlenv shell` works) and a TTY only
        # for terminals; captured runs attach neither.
        flags = (["--interactive"] if stdin else []) + (["--tty"] if tty else [])
        return self.command((self.kind.program, "exec", *flags, "--user", user, name, *command))

    def exec(
        self, name: str, command: tuple[str, ...], *, user: str, stdin: str | None = None
    ) -> Result:
        """Run a command in the container and capture its output; `stdin` is fed to it."""
        cmd = self.exec_command(name, command, user=user, stdin=stdin is not None, tty=False)
        return self.runner.run(replace(cmd, stdin=stdin))

    # Volumes ------------------------------------------------------------------------------
    def volume_exists(self, name: str) -> bool:
        return self._run("volume", "inspect", name, check=False).ok

    def missing_volumes(self, names: Iterable[str]) -> list[str]:
        """Those of `names` that do not exist yet, in their order, with one engine call (`up`
        asks about the host keys, the workspace and every cache before each start)."""
        listed = self._run("volume", "ls", "--format", "{{.Name}}")
        existing = {line.strip() for line in listed.stdout.splitlines()}
        return [name for name in names if name not in existing]

    def create_volume(self, name: str, labels: dict[str, str]) -> None:
        args = ["volume", "create"]
        for key, value in sorted(labels.items()):
            args += ["--label", f"{key}={value}"]
        self._run(*args, name)

    def remove_volume(self, name: str) -> None:
        self._run("volume", "rm", name, check=False)

    def volumes(self, env_name: str) -> list[str]:
        """The volumes dlenv made for one environment (labelled at creation)."""
        result = self._run(
            "volume", "ls", "--filter", f"label={NAME}={env_name}",
            "--format", "{{.Name}}",
        )  # fmt: skip
        return sorted(line.strip() for line in result.stdout.splitlines() if line.strip())

    def managed_volumes(self) -> dict[str, dict[str, str]]:
        """Every volume dlenv made on this engine (workspace, host keys, caches), with its
        labels."""
        result = self._run(
            "volume", "ls", "--filter", f"label={MANAGED}=true", "--format", "{{.Name}}",
        )  # fmt: skip
        volumes: dict[str, dict[str, str]] = {}
        for name in sorted({line.strip() for line in result.stdout.splitlines() if line.strip()}):
            labels = self._run(
                "volume", "inspect", "--format", "{{json .Labels}}", name, check=False
            )
            volumes[name] = _labels(self._json(labels, "volume inspect")) if labels.ok else {}
        return volumes
