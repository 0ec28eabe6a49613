"""dlenv.toml's JSON Schema, generated from the spec model, for TOML editors (Taplo, Even
Better TOML) to complete and check the file; `forbid_unknown_fields` becomes
`additionalProperties: false`, so a misspelt key is flagged in the editor as dlenv flags it.

Declared as draft-07: Taplo validates with the `jsonschema` crate 0.16 built without its
2019-09/2020-12 features (taplo-common's Cargo.toml), and the model's schema uses only draft-07
keywords (`$defs` is only the target of `$ref` JSON pointers, which every draft resolves)."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from dlenv.spec.model import Spec

DIALECT = "http://json-schema.org/draft-07/schema#"


def spec_json_schema() -> dict[str, Any]:
    # The Spec table is the document itself; the other tables are definitions it refers to.
    _, tables = msgspec.json.schema_components([Spec], ref_template="#/$defs/{name}")
    schema = dict(tables.pop("Spec"))
    schema["title"] = "dlenv.toml"
    schema["description"] = (
        "The dlenv environment spec. Every key is optional; see `dlenv spec --show`."
    )
    return {"$schema": DIALECT, **schema, "$defs": tables}


def spec_json_schema_text() -> str:
    """Byte-stable: sorted keys, fixed indentation."""
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
