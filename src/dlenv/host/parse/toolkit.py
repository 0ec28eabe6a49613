"""NVIDIA Container Toolkit: `nvidia-ctk --version`, its config.toml, and CDI spec files."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import msgspec

# The device kind and the generate command of NVIDIA's "Support for Container Device Interface"
# (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html).
CDI_KIND = "nvidia.com/gpu"
CDI_GENERATE = "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml"
# The CDI spec directories, static then dynamic (CDI spec, "CDI JSON Specification":
# https://github.com/cncf-tags/container-device-interface/blob/main/SPEC.md); the toolkit's own
# default `spec-dirs` too (github.com/NVIDIA/nvidia-container-toolkit, internal/config/config.go).
CDI_DIRS = ("/etc/cdi", "/var/run/cdi")

_CTK_VERSION = re.compile(r"version\s+v?([0-9]+\.[0-9]+\.[0-9]+\S*)", re.IGNORECASE)


def parse_ctk_version(text: str) -> str | None:
    """ "NVIDIA Container Toolkit CLI version 1.17.8\\ncommit: ..." -> "1.17.8"."""
    match = _CTK_VERSION.search(text)
    return match[1] if match else None


class ToolkitConfig(msgspec.Struct, frozen=True):
    no_cgroups: bool
    mode: str | None  # nvidia-container-runtime.mode: "auto", "legacy", "cdi", "csv"


def parse_toolkit_config(text: str) -> ToolkitConfig | None:
    """/etc/nvidia-container-runtime/config.toml; None when it is not valid TOML."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    # Any other shape is a config the toolkit itself would reject: read it as the defaults.
    cli = _mapping(data.get("nvidia-container-cli"))
    runtime = _mapping(data.get("nvidia-container-runtime"))
    mode = runtime.get("mode")
    return ToolkitConfig(
        no_cgroups=cli.get("no-cgroups") is True, mode=mode if isinstance(mode, str) else None
    )


class CdiSpec(msgspec.Struct, frozen=True):
    path: str
    kind: str | None
    devices: tuple[str, ...]
    # Driver versions named by the driver libraries it mounts (libcuda.so.550.54.15 -> "550.54.15").
    driver_versions: tuple[str, ...]
    error: str | None = None


# Driver libraries carry the driver version (3-digit branch); others (libnvidia-egl-gbm.so.1.1.1)
# carry their own small version numbers and are skipped.
_LIB_VERSION = re.compile(r"/lib(?:cuda|nv[a-z0-9-]*)\.so\.(\d{3}\.\d+(?:\.\d+)?)$")


def parse_cdi_spec(path: str, text: str) -> CdiSpec:
    """A CDI spec (YAML or JSON, https://github.com/cncf-tags/container-device-interface)."""
    # Imported here (noqa PLC0415): PyYAML compiles its resolver's patterns on import, which
    # `dlenv doctor` paid on every host, with or without CDI specs to read.
    import yaml  # noqa: PLC0415

    try:
        data = yaml.safe_load(text)
    # A timestamp YAML cannot construct ("2001-02-30") raises ValueError; deep nesting recurses.
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        return CdiSpec(path, None, (), (), error=f"not valid YAML/JSON: {exc}")
    if not isinstance(data, dict):
        return CdiSpec(path, None, (), (), error="not a CDI spec (no mapping at the top)")
    # Only strings are read: a spec is outside input, and str() of a value built from nested YAML
    # aliases ("billion laughs") would be exponentially large.
    devices = tuple(
        d["name"] for d in _items(data.get("devices")) if isinstance(d.get("name"), str)
    )
    versions: set[str] = set()
    for edits in _all_edits(data):
        for mount in _items(edits.get("mounts")):
            host_path = mount.get("hostPath")
            match = _LIB_VERSION.search(host_path) if isinstance(host_path, str) else None
            if match:
                versions.add(match[1])
    kind = data.get("kind")
    return CdiSpec(
        path, kind if isinstance(kind, str) and kind else None, devices, tuple(sorted(versions))
    )


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: object) -> list[dict[str, Any]]:
    """The mappings in a list; anything else (a scalar, a mapping) holds none."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _all_edits(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The spec-wide containerEdits and each device's."""
    edits = [data.get("containerEdits")]
    edits += [device.get("containerEdits") for device in _items(data.get("devices"))]
    return [e for e in edits if isinstance(e, dict)]
