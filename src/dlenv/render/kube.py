"""An environment (KubeInput: the resolved spec plus a cluster's choices) -> Kubernetes manifests.

`render_kube` returns plain dicts; `manifests_yaml` writes them with PyYAML, keys sorted, so the
same input gives the same bytes. The Secret is its own document list, so that the caller can
write it to a file of its own with mode 0600.

Two flavours:
- "kubernetes": a Deployment (1 replica, Recreate: two pods must never share the workspace PVC),
  PVCs for the workspace and the SSH host keys, a ClusterIP Service, and GPUs as extended
  resources (`nvidia.com/gpu`, or `nvidia.com/mig-<profile>` under the MIG "mixed" strategy),
  as NVIDIA's k8s-device-plugin names them:
  https://github.com/NVIDIA/k8s-device-plugin (README, MIG strategies) and
  https://docs.nvidia.com/datacenter/cloud-native/kubernetes/latest/index.html (MIG Support in
  Kubernetes).
- "podman": what `podman kube play` (4.3 and later) understands, measured on Podman 4.3.1:
  the ports as hostPorts on `run.bind` (Podman skips Services); GPUs as CDI device names in
  `resources.limits` (`nvidia.com/gpu=all: 1`; podman PR #25010, Podman 5.4+); no Secret (4.3
  writes a Secret volume's base64 `data` undecoded, into a volume on disk, and ignores
  `stringData` and `defaultMode`): the token and keys are bind-mounted read-only from the
  state directory, as `dlenv up` does (hostPath, type File); no PVC documents (4.3 refuses to
  play a PVC whose volume exists, so a second `play` would fail, while a claim of a missing
  volume creates it): the claims name the same volumes `dlenv up` uses, so the workspace is
  the same one (run one or the other).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from dlenv.engine.argv import RUN_CAPABILITIES

Flavor = Literal["kubernetes", "podman"]
FLAVORS: tuple[Flavor, ...] = ("kubernetes", "podman")

# Paths and ports the rendered image expects (render/templates: sshd_config.j2 `Port 22`,
# jupyter_server_config.py.j2 port 8888, entrypoint.sh.j2 for the rest).
SSH_PORT = 22
JUPYTER_PORT = 8888
HOSTKEYS_DIR = "/etc/dlenv/hostkeys"
SECRETS_DIR = "/etc/dlenv/secrets"  # jupyter_token, and authorized_keys (the entrypoint copies it)
AUTHORIZED_KEYS = "/etc/dlenv/authorized_keys"
SECRETS_TMPFS = "/run/dlenv"
SHM_DIR = "/dev/shm"  # noqa: S108  (the container's shared memory, not a temporary file)
SECRET_MODE = 0o400
NVIDIA_GPU = "nvidia.com/gpu"


@dataclass(frozen=True)
class Toleration:
    key: str
    effect: str | None = None  # NoSchedule, PreferNoSchedule, NoExecute; None: all
    value: str | None = None  # None: operator Exists

    def manifest(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"key": self.key}
        if self.value is None:
            entry["operator"] = "Exists"
        else:
            entry |= {"operator": "Equal", "value": self.value}
        if self.effect is not None:
            entry["effect"] = self.effect
        return entry


@dataclass(frozen=True)
class KubeNames:
    """The object names (dlenv.environment.names gives them: the volumes' names under `up`)."""

    name: str
    workspace_claim: str
    hostkeys_claim: str
    secret: str


@dataclass(frozen=True)
class KubeInput:
    names: KubeNames
    image: str  # by digest: REPOSITORY@sha256:...
    user: str
    gid: int
    flavor: Flavor = "kubernetes"
    shm_size: str | None = "8g"  # None: the host's IPC namespace (run.ipc = "host")
    # Extended resources to limit ({"nvidia.com/gpu": 1}); for the podman flavour, CDI names.
    gpu_limits: Mapping[str, int] = field(default_factory=dict)
    runtime_class: str | None = None
    tolerations: tuple[Toleration, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)  # never secrets
    ssh_port: int = 2222  # the Service's ports (kubernetes) or hostPorts (podman)
    jupyter_port: int = 8888
    bind: str = "127.0.0.1"  # hostIP of the podman flavour's hostPorts
    workspace_size: str = "50Gi"
    storage_class: str | None = None
    # The podman flavour's host files: the Jupyter token and the authorized keys.
    host_secrets: HostSecrets | None = None


@dataclass(frozen=True)
class HostSecrets:
    token_file: str
    authorized_keys_file: str


@dataclass(frozen=True)
class KubeSecret:
    authorized_keys: str
    jupyter_token: str


def quantity(size: str) -> str:
    """`run.shm_size` ("8g", "512m", "1024": Docker's 1024-based units) as a Kubernetes quantity."""
    units = {"k": "Ki", "m": "Mi", "g": "Gi"}
    suffix = size[-1].lower()
    return f"{size[:-1]}{units[suffix]}" if suffix in units else size


def _labels(given: KubeInput) -> dict[str, str]:
    return {"app.kubernetes.io/name": given.names.name, "app.kubernetes.io/managed-by": "dlenv"}


def _metadata(given: KubeInput, name: str) -> dict[str, Any]:
    return {"name": name, "labels": _labels(given)}


def _claim(given: KubeInput, name: str, size: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
    }
    if given.storage_class is not None:
        spec["storageClassName"] = given.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(given, name),
        "spec": spec,
    }


def _ports(given: KubeInput) -> list[dict[str, Any]]:
    ports: list[dict[str, Any]] = [
        {"name": "ssh", "containerPort": SSH_PORT, "protocol": "TCP"},
        {"name": "jupyter", "containerPort": JUPYTER_PORT, "protocol": "TCP"},
    ]
    if given.flavor == "podman":
        ports[0] |= {"hostPort": given.ssh_port, "hostIP": given.bind}
        ports[1] |= {"hostPort": given.jupyter_port, "hostIP": given.bind}
    return ports


def _secret_volumes(given: KubeInput) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if given.host_secrets is None:
        # One Secret, mounted as a directory: subPath mounts of a Secret never see updates.
        # `optional: false` spelled out: podman 4.3's kube play dereferences it unchecked.
        secret = {"secretName": given.names.secret, "defaultMode": SECRET_MODE, "optional": False}
        return (
            [{"name": "access", "secret": secret}],
            [{"name": "access", "mountPath": SECRETS_DIR, "readOnly": True}],
        )
    files = given.host_secrets
    return (
        [
            {"name": "token", "hostPath": {"path": files.token_file, "type": "File"}},
            {"name": "keys", "hostPath": {"path": files.authorized_keys_file, "type": "File"}},
        ],
        [
            {"name": "token", "mountPath": f"{SECRETS_DIR}/jupyter_token", "readOnly": True},
            {"name": "keys", "mountPath": AUTHORIZED_KEYS, "readOnly": True},
        ],
    )


def _volumes(given: KubeInput) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    names = given.names
    home = f"/home/{given.user}"
    secret_volumes, secret_mounts = _secret_volumes(given)
    volumes: list[dict[str, Any]] = [
        {"name": "workspace", "persistentVolumeClaim": {"claimName": names.workspace_claim}},
        {"name": "hostkeys", "persistentVolumeClaim": {"claimName": names.hostkeys_claim}},
        *secret_volumes,
        {"name": "run-dlenv", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "workspace", "mountPath": f"{home}/workspace"},
        {"name": "hostkeys", "mountPath": HOSTKEYS_DIR},
        *secret_mounts,
        {"name": "run-dlenv", "mountPath": SECRETS_TMPFS},
    ]
    if given.shm_size is not None:
        # Docker's 64 MB default /dev/shm crashes DataLoader workers; Kubernetes gives a memory
        # emptyDir (its size counts against the container's memory).
        memory = {"medium": "Memory", "sizeLimit": quantity(given.shm_size)}
        volumes.append({"name": "shm", "emptyDir": memory})
        mounts.append({"name": "shm", "mountPath": SHM_DIR})
    return volumes, mounts


def _container(given: KubeInput, mounts: list[dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "env",
        "image": given.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": _ports(given),
        "volumeMounts": mounts,
        # The entrypoint starts as root to run sshd (privilege separation) and drops to the user
        # for JupyterLab and every login, as under `dlenv up`; the same capabilities and
        # no-new-privileges (dlenv.engine.argv.RUN_CAPABILITIES).
        "securityContext": {
            "runAsUser": 0,
            "runAsGroup": 0,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"], "add": list(RUN_CAPABILITIES)},
        },
        "readinessProbe": {
            "tcpSocket": {"port": "ssh"},
            "initialDelaySeconds": 2,
            "periodSeconds": 5,
        },
    }
    if given.env:
        container["env"] = [{"name": k, "value": v} for k, v in sorted(given.env.items())]
    if given.gpu_limits:
        container["resources"] = {"limits": dict(sorted(given.gpu_limits.items()))}
    return container


def _deployment(given: KubeInput) -> dict[str, Any]:
    volumes, mounts = _volumes(given)
    pod: dict[str, Any] = {
        "containers": [_container(given, mounts)],
        "volumes": volumes,
        # The user's files on the PVCs: their group is the image user's (Kubernetes makes the
        # volumes group-writable for it).
        "securityContext": {"fsGroup": given.gid},
        # A dev environment does not talk to the Kubernetes API: no token in the pod, and no
        # environment variables describing every Service in the namespace.
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostname": given.names.name,
    }
    if given.shm_size is None:
        pod["hostIPC"] = True
    if given.runtime_class is not None:
        pod["runtimeClassName"] = given.runtime_class
    if given.tolerations:
        pod["tolerations"] = [t.manifest() for t in given.tolerations]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(given, given.names.name),
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": _labels(given)},
            "template": {"metadata": {"labels": _labels(given)}, "spec": pod},
        },
    }


def _service(given: KubeInput) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(given, given.names.name),
        "spec": {
            "type": "ClusterIP",
            "selector": _labels(given),
            "ports": [
                {"name": "ssh", "port": given.ssh_port, "targetPort": "ssh", "protocol": "TCP"},
                {
                    "name": "jupyter",
                    "port": given.jupyter_port,
                    "targetPort": "jupyter",
                    "protocol": "TCP",
                },
            ],
        },
    }


def render_kube(given: KubeInput) -> list[dict[str, Any]]:
    """The environment's manifests, Secret excepted (see `render_secret`)."""
    deployment = _deployment(given)
    if given.flavor == "podman":  # no PVCs, no Service: see the module docstring
        return [deployment]
    names = given.names
    return [
        _claim(given, names.workspace_claim, given.workspace_size),
        _claim(given, names.hostkeys_claim, "16Mi"),
        deployment,
        _service(given),
    ]


def render_secret(given: KubeInput, secret: KubeSecret) -> dict[str, Any]:
    def encoded(text: str) -> str:
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(given, given.names.secret),
        "type": "Opaque",
        "data": {
            "authorized_keys": encoded(secret.authorized_keys),
            "jupyter_token": encoded(secret.jupyter_token),
        },
    }


def manifests_yaml(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=True, default_flow_style=False)
