"""The published JSON Schemas (docs/schemas/), each derived from its one declaration.

`python -m bidopen.wire.schemas DIR` writes them; a test regenerates them and fails when
the checked-in files differ, so the documents cannot drift from what the hub checks and sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from bidopen.wire import bodies, messages

# Requests: what the hub reads (REST bodies, socket auth and messages).
REQUESTS: dict[str, type[Any]] = {
    name: cls
    for name, cls in vars(bodies).items()
    if isinstance(cls, type)
    and issubclass(cls, msgspec.Struct)
    and cls.__module__ == bodies.__name__
    and cls is not bodies.Body
}
# Answers: what the hub sends (errors, signed documents and their payloads, socket events).
ANSWERS: dict[str, type[Any]] = {
    "ErrorBody": messages.ErrorBody,
    "SignedDocument": messages.SignedDocument,
    "EventMessage": messages.EventMessage,
    "SnapshotMessage": messages.SnapshotMessage,
    **{cls.__name__: cls for cls in messages.PAYLOADS.values()},
}


COMPONENT_REF = "#/components/schemas/{name}"


def components(declared: Iterable[type[Any]]) -> dict[str, Any]:
    """The schemas of `declared` and of what they refer to, for an OpenAPI or AsyncAPI."""
    _, found = msgspec.json.schema_components(
        sorted(declared, key=lambda cls: cls.__name__), ref_template=COMPONENT_REF
    )
    return dict(sorted(found.items()))


def json_text(document: Mapping[str, Any]) -> str:
    """The checked-in form of a description: indented, keys sorted."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def schema_files() -> dict[str, str]:
    """File name → the schema's JSON text, as checked in."""
    files: dict[str, str] = {}
    for folder, declared in (("requests", REQUESTS), ("answers", ANSWERS)):
        for name, cls in sorted(declared.items()):
            schema = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                **msgspec.json.schema(cls),
            }
            files[f"{folder}/{name}.json"] = json_text(schema)
    return files


def write(directory: Path) -> None:
    for name, text in schema_files().items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
