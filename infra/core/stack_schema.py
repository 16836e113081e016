"""The JSON Schema of a whole `Pulumi.<stack>.yaml`, generated from the settings models.

Shipped as `stack-settings.schema.json` beside this module, so editors with the YAML
language server validate and complete the stack files (their first line names it).
`python -m infra schema --write` regenerates it; a unit test fails when it is stale.
The schema checks what one field can say; rules across fields stay with `plan_builder`,
which `python -m infra check` runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from infra.core.problems import NAMESPACE
from infra.core.stack_files import PROVIDER_NAMESPACE
from infra.core.stack_settings import StackSettings

SCHEMA_FILE = Path(__file__).with_name("stack-settings.schema.json")
REGENERATE = "python -m infra schema --write"  # writes this file and the README's table
_SECURE = "SecureValue"
_PROVIDER_SETTINGS = {
    "applicationKeyId": "The deployer's B2 application key id (or B2_APPLICATION_KEY_ID); "
    "store it with `pulumi config set --secret`.",
    "applicationKey": "The deployer's B2 application key (or B2_APPLICATION_KEY); store it "
    "with `pulumi config set --secret`.",
}


class _UntitledFields(GenerateJsonSchema):
    """No `title` per field: an editor would show 'Randomsuffix' beside the description."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _secret_or_text(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "anyOf": [{"type": "string"}, {"$ref": f"#/$defs/{_SECURE}"}],
    }


def stack_file_schema() -> dict[str, Any]:
    """The schema of a stack file: `config:` with every `pixeltable-b2:<section>` key."""
    namespace = StackSettings.model_json_schema(
        by_alias=True, mode="validation", schema_generator=_UntitledFields
    )
    definitions = namespace.pop("$defs", {})
    sections = {f"{NAMESPACE}:{name}": s for name, s in namespace["properties"].items()}
    provider = {
        f"{PROVIDER_NAMESPACE}:{name}": _secret_or_text(text)
        for name, text in _PROVIDER_SETTINGS.items()
    }
    config = {
        "type": "object",
        "description": f"Stack settings by namespace: {NAMESPACE}: for this project (no "
        "secrets there), other namespaces (b2:, github:, gitlab:, ...) for providers.",
        "properties": {**sections, **provider},
        "required": [f"{NAMESPACE}:{name}" for name in namespace.get("required", [])],
        # Any other namespace is the providers' business; in ours, only the known sections.
        "propertyNames": {
            "anyOf": [{"enum": list(sections)}, {"not": {"pattern": f"^{NAMESPACE}:"}}]
        },
    }
    definitions[_SECURE] = {
        "type": "object",
        "description": "A value stored with `pulumi config set --secret` (Pulumi ciphertext).",
        "properties": {"secure": {"type": "string"}},
        "required": ["secure"],
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Pulumi.<stack>.yaml of the {NAMESPACE} project",
        "description": f"Generated from infra/core/stack_settings.py by `{REGENERATE}`; "
        "`python -m infra check --stack <stack>` applies every rule.",
        "type": "object",
        "properties": {"config": config},
        "required": ["config"],
        "$defs": dict(sorted(definitions.items())),
    }


def schema_text() -> str:
    """The shipped file's exact text."""
    return json.dumps(stack_file_schema(), indent=2, ensure_ascii=False) + "\n"
