"""The AsyncAPI 3.0 description of the socket namespaces, built from the registered handlers.

Each namespace's `on_<event>` handlers with a `@reads` declaration are what a client may
send (none on a read-only namespace), `on_connect`'s declaration is the `auth`, and the
namespace's `sends` is what the hub emits. docs/asyncapi.json is the document checked in.
"""

from __future__ import annotations

from typing import Any

import socketio

from bidopen.http.declared import reads_of
from bidopen.wire.messages import ErrorBody
from bidopen.wire.schemas import COMPONENT_REF, components, json_text

_REF = COMPONENT_REF
_NOT_MESSAGES = ("on_connect", "on_disconnect")


def _message(name: str, schema: type[Any], summary: str) -> dict[str, Any]:
    return {
        "name": name,
        "summary": summary,
        "payload": {"$ref": _REF.format(name=schema.__name__)},
    }


def asyncapi(sio: socketio.AsyncServer) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    declared: set[type[Any]] = {ErrorBody}
    for address, handler in sorted(sio.namespace_handlers.items()):
        key = address.strip("/") or "root"
        messages: dict[str, Any] = {}
        auth = reads_of(getattr(handler, "on_connect", None))
        if auth is not None and auth.json is not None:
            declared.add(auth.json)
        messages["connect_error"] = _message(
            "connect_error", ErrorBody, "A refused connection: the error as data."
        )
        operations[f"{key}_connect_error"] = _operation("receive", key, "connect_error")
        for event, schema in sorted(getattr(handler, "sends", {}).items()):
            declared.add(schema)
            messages[event] = _message(event, schema, f"Sent by the hub on {address}.")
            operations[f"{key}_{event}"] = _operation("receive", key, event)
        for attribute in sorted(dir(handler)):
            if not attribute.startswith("on_") or attribute in _NOT_MESSAGES:
                continue
            reads = reads_of(getattr(handler, attribute))
            if reads is None or reads.json is None or getattr(handler, "read_only", False):
                continue
            event = attribute.removeprefix("on_")
            declared.add(reads.json)
            messages[event] = _message(
                event, reads.json, "Sent by the client, acknowledged with an answer or an error."
            )
            operations[f"{key}_{event}"] = {
                **_operation("send", key, event),
                "reply": {"messages": [{"$ref": "#/components/messages/error"}]},
            }
        channels[key] = {
            "address": address,
            "messages": messages,
            "bindings": {
                "socketio": {
                    "auth": (
                        {"$ref": _REF.format(name=auth.json.__name__)}
                        if auth is not None and auth.json is not None
                        else None
                    ),
                    "readOnly": bool(getattr(handler, "read_only", False)),
                }
            },
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "bidopen hub sockets",
            "version": "1",
            "description": "Socket.IO namespaces of the hub; docs/protocol.md section 6.",
        },
        "channels": channels,
        "operations": dict(sorted(operations.items())),
        "components": {
            "schemas": components(declared),
            "messages": {"error": _message("error", ErrorBody, "A refusal (acknowledgement).")},
        },
    }


def _operation(action: str, channel: str, event: str) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{event}"}],
    }


def document_text(sio: socketio.AsyncServer) -> str:
    return json_text(asyncapi(sio))
