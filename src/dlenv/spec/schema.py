"""dlenv.toml's JSON Schema, generated from the spec model, for TOML editors (Taplo, Even
Better TOML) to complete and check the file. Pydantic writes JSON Schema draft 2020-12
(https://docs.pydantic.dev/latest/concepts/json_schema/); `extra="forbid"` becomes
`additionalProperties: false`, so a misspelt key is flagged in the editor as dlenv flags it."""

from __future__ import annotations

import json
from typing import Any

from dlenv.spec.model import Spec

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def spec_json_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema()
    schema["title"] = "dlenv.toml"
    schema["description"] = (
        "The dlenv environment spec. Every key is optional; see `dlenv spec --show`."
    )
    return {"$schema": DIALECT, **schema}


def spec_json_schema_text() -> str:
    """Byte-stable: sorted keys, fixed indentation."""
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
