"""`dlenv export kube`: the project's environment as Kubernetes (or `podman kube play`) manifests.

Decides what render/kube.py is given: the image by digest (what `dlenv push` or the registry
cache recorded, or `--image`), GPUs as extended resources, the secrets. Writes two files: the
manifests, and the Secret (authorized keys and Jupyter token) alone with mode 0600.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dlenv.engine.gpu import gpu_devices
from dlenv.environment.project import Project
from dlenv.errors import UsageError
from dlenv.files import write_atomic
from dlenv.render.kube import (
    NVIDIA_GPU,
    Flavor,
    HostSecrets,
    KubeInput,
    KubeNames,
    KubeSecret,
    Toleration,
    manifests_yaml,
    render_kube,
    render_secret,
)
from dlenv.spec.model import is_image_reference

# Kubernetes object-name and label grammar (full matches), from "Object Names and IDs" and
# "Labels and Selectors": https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
# and https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
DNS_SUBDOMAIN = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_LABEL_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
QUALIFIED_NAME = re.compile(rf"(?:{_DNS_LABEL}(?:\.{_DNS_LABEL})*/)?{_LABEL_NAME}")
LABEL_VALUE = re.compile(_LABEL_NAME)
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# MIG profiles as the device plugin names them under the mixed strategy: nvidia.com/mig-1g.10gb
# (NVIDIA k8s-device-plugin README, "MIG strategies"; MIG user guide, "Supported Profiles").
MIG_PROFILE = re.compile(r"[1-9][0-9]?g\.[0-9]{1,4}gb")
STORAGE = re.compile(r"[1-9][0-9]{0,5}(?:Ki|Mi|Gi|Ti)")
# NVIDIA Container Toolkit: NVIDIA_VISIBLE_DEVICES=void gives a container no GPU even on a node
# whose runtime would otherwise inject all of them ("Specialized Configurations with Docker",
# https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html;
# canonical/microk8s#2160).
NO_GPU_ENV = {"NVIDIA_VISIBLE_DEVICES": "void"}


@dataclass(frozen=True)
class KubeChoices:
    """What the command line adds to the spec for a cluster."""

    flavor: Flavor = "kubernetes"
    image: str | None = None
    gpus: int | None = None
    mig: str | None = None
    runtime_class: str | None = None
    tolerations: tuple[str, ...] = ()
    workspace_size: str = "50Gi"
    storage_class: str | None = None


@dataclass(frozen=True)
class KubeFiles:
    manifests: Path
    secret: Path | None  # the podman flavour mounts the state directory's files instead


def parse_toleration(text: str) -> Toleration:
    """KEY[=VALUE][:EFFECT], as `kubectl taint` writes a taint."""
    rest, _, effect = text.partition(":") if ":" in text else (text, "", "")
    key, equals, value = rest.partition("=")
    problem = None
    if not QUALIFIED_NAME.fullmatch(key) or len(key) > 253:
        problem = f"{key!r} is not a taint key"
    elif equals and not LABEL_VALUE.fullmatch(value):
        problem = f"{value!r} is not a taint value"
    elif effect and effect not in TAINT_EFFECTS:
        problem = f"{effect!r} is not a taint effect ({', '.join(TAINT_EFFECTS)})"
    if problem:
        raise UsageError(
            f"--toleration {text!r}: {problem}",
            hint="Give KEY[=VALUE][:EFFECT], e.g. nvidia.com/gpu:NoSchedule.",
        )
    return Toleration(key, effect or None, value if equals else None)


def _check(pattern: re.Pattern[str], value: str | None, option: str, example: str) -> None:
    if value is not None and not pattern.fullmatch(value):
        raise UsageError(f"{option} {value!r} is not valid", hint=f"Give e.g. {option} {example}.")


def image_by_digest(project: Project, given: str | None) -> str:
    if given is not None:
        if "@sha256:" not in given or not is_image_reference(given):
            raise UsageError(
                f"--image {given!r} is not an image reference by digest",
                hint="Give REPOSITORY@sha256:<64 hex>, as `dlenv push REF` prints it.",
            )
        return given
    recorded = project.state.published(project.context.digest)
    if recorded is None:
        raise UsageError(
            f"no registry holds {project.image_tag} yet: a cluster pulls its image by digest",
            hint="Run `dlenv push REGISTRY/NAME:TAG` and pass what it prints as --image, or set "
            "image.registry in dlenv.toml and run `dlenv build` (it pushes to the cache).",
        )
    return recorded


def gpu_limits(project: Project, choices: KubeChoices) -> dict[str, int]:
    spec = project.spec
    if spec.profile != "gpu":
        if choices.gpus or choices.mig:
            raise UsageError("--gpus and --mig need the GPU profile (this spec's is cpu)")
        return {}
    if choices.flavor == "podman":
        if choices.gpus or choices.mig:
            raise UsageError(
                "the podman flavour takes its GPUs from run.gpus (CDI names), not --gpus/--mig"
            )
        return {f"{NVIDIA_GPU}={device}": 1 for device in gpu_devices(spec.run.gpu_ids)}
    count = choices.gpus or (1 if spec.run.gpu_ids == "all" else len(spec.run.gpu_ids))
    if count < 1:
        raise UsageError(f"--gpus {count}: give at least 1")
    if choices.mig is not None:
        _check(MIG_PROFILE, choices.mig, "--mig", "1g.10gb")
        return {f"nvidia.com/mig-{choices.mig}": count}
    return {NVIDIA_GPU: count}


def kube_input(project: Project, choices: KubeChoices) -> KubeInput:
    spec, names = project.spec, project.names
    _check(DNS_SUBDOMAIN, choices.runtime_class, "--runtime-class", "nvidia")
    _check(DNS_SUBDOMAIN, choices.storage_class, "--storage-class", "standard")
    _check(STORAGE, choices.workspace_size, "--workspace-size", "100Gi")
    env = dict(project.resolved.runtime_env)
    if spec.profile == "cpu" and choices.flavor == "kubernetes":
        env |= NO_GPU_ENV
    return KubeInput(
        names=KubeNames(
            name=names.name,
            workspace_claim=names.workspace_volume,
            hostkeys_claim=names.hostkeys_volume,
            secret=names.access_secret,
        ),
        image=image_by_digest(project, choices.image),
        user=spec.image.user,
        gid=project.ctx.identity.container_ids[1],
        flavor=choices.flavor,
        shm_size=None if spec.run.ipc == "host" else spec.run.shm_size,
        gpu_limits=gpu_limits(project, choices),
        runtime_class=choices.runtime_class,
        tolerations=tuple(parse_toleration(t) for t in choices.tolerations),
        env=env,
        ssh_port=spec.ssh.port,
        jupyter_port=spec.jupyter.port,
        bind=spec.run.bind,
        workspace_size=choices.workspace_size,
        storage_class=choices.storage_class,
        host_secrets=HostSecrets(
            str(project.state.token_file), str(project.state.authorized_keys_file)
        )
        if choices.flavor == "podman"
        else None,
    )


def write_kube(out_dir: Path, given: KubeInput, secret: KubeSecret) -> KubeFiles:
    """Write the files atomically; the Secret's is 0600 from its first byte."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = given.names.name
    files = KubeFiles(
        out_dir / f"{name}.yaml",
        None if given.host_secrets is not None else out_dir / f"{name}-secret.yaml",
    )
    if files.secret is not None:
        write_atomic(files.secret, manifests_yaml([render_secret(given, secret)]), mode=0o600)
    write_atomic(files.manifests, manifests_yaml(render_kube(given)), mode=0o644)
    return files
