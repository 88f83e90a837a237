"""The published JSON Schemas (docs/schemas/), each derived from its one declaration.

`python -m bidopen.wire.schemas DIR` writes them; a test regenerates them and fails when
the checked-in files differ, so the documents cannot drift from what the hub checks and sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

from bidopen.service.views import BIDDER, HOST, NAMED_AFTER_READ_OUT, NUMBERED, PUBLIC, REDACTED
from bidopen.session.events import EVENT_TYPES
from bidopen.wire import answers, bodies, messages, views


def _declared_in(module: ModuleType, *, base: type[Any]) -> dict[str, type[Any]]:
    """The Structs a module declares (not those it imports), its base left out."""
    return {
        name: cls
        for name, cls in vars(module).items()
        if isinstance(cls, type)
        and issubclass(cls, msgspec.Struct)
        and cls.__module__ == module.__name__
        and cls is not base
        and not name.startswith("_")
    }


# Requests: what the hub reads (REST bodies, socket auth and messages).
REQUESTS: dict[str, type[Any]] = _declared_in(bodies, base=bodies.Body)
# Answers: what the hub sends (errors, signed documents and their payloads, socket events,
# the successful REST answers).
ANSWERS: dict[str, type[Any]] = {
    "ErrorBody": messages.ErrorBody,
    "SignedDocument": messages.SignedDocument,
    "EventMessage": messages.EventMessage,
    "SnapshotMessage": messages.SnapshotMessage,
    **{cls.__name__: cls for cls in messages.PAYLOADS.values()},
    **_declared_in(answers, base=messages.Message),
    # The snapshot's views and what they hold (the nine views are the union of `view`).
    **_declared_in(views, base=messages.Message),
}


COMPONENT_REF = "#/components/schemas/{name}"
_DEFS_REF = "#/$defs/{name}"
# Whose `view` is one of the nine views. msgspec decodes no union of untagged Structs, so
# the declaration keeps an object and the schema names the views (`_with_views`).
_VIEW_HOLDERS = (messages.SnapshotMessage, answers.SessionSnapshot)


def _schema_components(
    declared: Iterable[type[Any]], ref_template: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`msgspec.json.schema_components`, with a snapshot's `view` as exactly one view."""
    declared = list(declared)
    holders = [cls for cls in declared if cls in _VIEW_HOLDERS]
    extra = [view for view in views.ALL_VIEWS if holders and view not in declared]
    schemas, found = msgspec.json.schema_components([*declared, *extra], ref_template=ref_template)
    for holder in holders:
        view = found[holder.__name__]["properties"]["view"]
        view.pop("type", None)
        view["oneOf"] = [
            {"$ref": ref_template.format(name=one.__name__)} for one in views.ALL_VIEWS
        ]
    return list(schemas[: len(declared)]), found


def json_schema(declared: type[Any]) -> dict[str, Any]:
    """`msgspec.json.schema`, with a snapshot's `view` as exactly one view."""
    (top,), found = _schema_components([declared], _DEFS_REF)
    return {**top, "$defs": found} if found else top


def components(declared: Iterable[type[Any]]) -> dict[str, Any]:
    """The schemas of `declared` and of what they refer to, for an OpenAPI or AsyncAPI."""
    _, found = _schema_components(
        sorted(declared, key=lambda cls: cls.__name__), ref_template=COMPONENT_REF
    )
    return dict(sorted(found.items()))


def json_text(document: Mapping[str, Any]) -> str:
    """The checked-in form of a description: indented, keys sorted."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """Objects refuse members they do not declare (the session codec refuses them too)."""
    for definition in schema.get("$defs", {}).values():
        if "properties" in definition:
            definition.setdefault("additionalProperties", False)
    return schema


_ROW_NUMBER: dict[str, Any] = {"type": "integer", "minimum": 1}
# The opening hall's rows an event changes (absent: none known, or every row).
_HALL_ROWS: dict[str, dict[str, Any]] = {
    "number": _ROW_NUMBER,
    "bids": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"lot": {"type": "string"}, "number": _ROW_NUMBER},
            "required": ["lot", "number"],
            "additionalProperties": False,
        },
    },
}


def event_schemas() -> dict[str, dict[str, Any]]:
    """`{audience}/{kind}` → the schema of that event's `data` as the audience receives it.

    Hosts receive each payload whole; bidders and the public receive the members that
    `bidopen.service.views.REDACTED` lists for a kind (and, after the read-out, those of
    `NAMED_AFTER_READ_OUT`, and the hall rows of `NUMBERED`), the other kinds whole.
    """
    found: dict[str, dict[str, Any]] = {}
    for kind, event_type in sorted(EVENT_TYPES.items()):
        whole = _closed(msgspec.json.schema(event_type))
        found[f"{HOST}/{kind}"] = whole
        keep = REDACTED.get(kind)
        for audience in (BIDDER, PUBLIC):
            if keep is None:
                found[f"{audience}/{kind}"] = whole
                continue
            redacted = json.loads(json.dumps(whole))
            top = redacted["$defs"][event_type.__name__]
            allowed = set(keep) | set(NAMED_AFTER_READ_OUT.get(kind, ()))
            top["properties"] = {k: v for k, v in top["properties"].items() if k in allowed}
            top["required"] = [k for k in top.get("required", []) if k in keep]
            if kind in NUMBERED:
                top["properties"][NUMBERED[kind]] = _HALL_ROWS[NUMBERED[kind]]
            found[f"{audience}/{kind}"] = redacted
    return found


def schema_files() -> dict[str, str]:
    """File name → the schema's JSON text, as checked in."""
    files: dict[str, str] = {}
    for name, schema in event_schemas().items():
        document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
        files[f"events/{name}.json"] = json_text(document)
    for folder, declared in (("requests", REQUESTS), ("answers", ANSWERS)):
        for name, cls in sorted(declared.items()):
            schema = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                **json_schema(cls),
            }
            files[f"{folder}/{name}.json"] = json_text(schema)
    return files


def write(directory: Path) -> None:
    for name, text in schema_files().items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
