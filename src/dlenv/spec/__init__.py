"""The spec: dlenv.toml validated into a typed model."""

from dlenv.spec.load import apply_overrides, default_spec_text, load_spec, parse_spec
from dlenv.spec.model import OPTIONAL_GROUPS, Spec

__all__ = [
    "OPTIONAL_GROUPS",
    "Spec",
    "apply_overrides",
    "default_spec_text",
    "load_spec",
    "parse_spec",
]
