"""Watches every answer the suite receives from a hub and checks it against the contract.

Installed for the whole run (tests/conftest.py): every `/api/` answer read through aiohttp
(`read`, `text` or `json`) and
every socket event, acknowledgement and refused connection received through
python-socketio in this process pass through here. An error must have the documented
shape (docs/schemas/answers/ErrorBody.json), a signed document anywhere in a message its
envelope's and its payload's schema, a socket `event` its envelope's, a snapshot (the
`snapshot` event, a `join` acknowledgement, `GET /api/sessions/{id}`) its envelope's and its
`view` the one declaration of its role and stage (`bidopen.wire.views.view_type`), and a
successful REST answer the status and body its route declares (`@answers`, found by method
and path template in the hub's own router). At the end of the run
the codes seen are checked against docs/protocol.md's table (1.2), so a code the suite
provokes cannot go undocumented, and every mismatch fails the run.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema_rs
import msgspec
import pytest
import socketio

from bidopen.describe import offline_app
from bidopen.http.declared import JSON, missing_answer
from bidopen.http.routetable import DeclaredRoute, declared_routes, find
from bidopen.wire.answers import SessionSnapshot
from bidopen.wire.messages import (
    PAYLOADS,
    ErrorBody,
    EventMessage,
    SignedDocument,
    SnapshotMessage,
)
from bidopen.wire.views import VIEWS, view_type

DOCS = Path(__file__).resolve().parents[1] / "docs"
PROTOCOL = DOCS / "protocol.md"
AUDIENCES = {"/host": "host", "/bidder": "bidder", "/public": "public"}
_ROW = re.compile(r"^\| (?P<codes>`[a-z_]+`(?:, `[a-z_]+`)*) \| (?P<status>\d{3}) \|")

SEEN_CODES: set[str] = set()
EVENTS_CHECKED: dict[str, int] = {}
ANSWERS_CHECKED: dict[str, int] = {"rest": 0}
MISMATCHES: list[str] = []


def documented_codes() -> dict[str, int]:
    """The codes of protocol.md's error table (section 1.2), with their HTTP status."""
    section = PROTOCOL.read_text(encoding="utf-8").split("### 1.2 Errors")[1].split("\n### ")[0]
    table: dict[str, int] = {}
    for line in section.splitlines():
        row = _ROW.match(line)
        if row:
            for code in re.findall(r"`([a-z_]+)`", row.group("codes")):
                table[code] = int(row.group("status"))
    return table


def _check(message: object, declared: type[Any], where: str) -> None:
    try:
        msgspec.convert(message, declared)
    except msgspec.ValidationError as exc:
        MISMATCHES.append(f"{where}: {declared.__name__}: {exc}: {message!r}"[:600])


def check_snapshot(message: object, declared: type[Any], where: str) -> None:
    """A snapshot's envelope, and its view against the declaration of its role and stage."""
    _check(message, declared, where)
    if not isinstance(message, dict):
        return
    role, view = message.get("role"), message.get("view")
    if isinstance(role, str) and role in VIEWS:
        _check(view, view_type(role, view), f"{where} view")


@functools.cache
def _event_validator(audience: str, kind: str) -> Any:
    path = DOCS / "schemas" / "events" / audience / f"{kind}.json"
    if not path.exists():
        return None
    return jsonschema_rs.validator_for(json.loads(path.read_text(encoding="utf-8")))


def check_event(namespace: str, message: object) -> None:
    """A socket event's envelope, and its data against the published schema of its audience."""
    _check(message, EventMessage, f"socket {namespace} event")
    audience = AUDIENCES.get(namespace)
    if audience is None or not isinstance(message, dict):
        return
    kind = str(message.get("kind"))
    EVENTS_CHECKED[audience] = EVENTS_CHECKED.get(audience, 0) + 1
    validator = _event_validator(audience, kind)
    if validator is None:
        MISMATCHES.append(f"socket {namespace}: no schema for event kind {kind!r}")
        return
    for error in validator.iter_errors(message.get("data")):
        MISMATCHES.append(f"socket {namespace} {kind}: {error}"[:600])
        break


def _signed_documents(message: object, where: str) -> None:
    """Every signed envelope inside a message, and its payload, against their declarations."""
    if isinstance(message, list):
        for item in message:
            _signed_documents(item, where)
    elif isinstance(message, dict):
        if message.get("format") == "bidseal-signed/1":
            _check(message, SignedDocument, where)
            declared = PAYLOADS.get(str(message.get("type")))
            if declared is not None and isinstance(message.get("payload"), str):
                _check(json.loads(message["payload"]), declared, f"{where} payload")
            return
        for item in message.values():
            _signed_documents(item, where)


def observe(message: object, where: str) -> None:
    """Note an error's code and check the message's parts against their declarations."""
    if isinstance(message, dict) and "error" in message:
        error = message["error"]
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            SEEN_CODES.add(error["code"])
        _check(message, ErrorBody, where)
        return
    _signed_documents(message, where)


@functools.cache
def _routes() -> tuple[DeclaredRoute, ...]:
    """The hub's routes with their declarations, from an app built (never started) for this."""
    with tempfile.TemporaryDirectory() as folder:
        return tuple(declared_routes(offline_app(Path(folder))))


def check_answer(method: str, path: str, status: int, body: object, media_type: str = JSON) -> None:
    """A successful answer against the status, media type and body its route declares."""
    where = f"{method} {path} {status}"
    ANSWERS_CHECKED["rest"] += 1
    route = find(_routes(), method, path)
    if route is None:
        MISMATCHES.append(f"{where}: no route of the hub has this path")
        return
    if not route.answers:
        MISMATCHES.append(f"{where}: {missing_answer(method, route.path)}")
        return
    answer = route.answer(status)
    if answer is None:
        declared = ", ".join(str(a.status) for a in route.answers)
        MISMATCHES.append(f"{where}: {method} {route.path} declares status {declared}")
    elif _essence(answer.media_type) != media_type:
        MISMATCHES.append(f"{where}: declared as {answer.media_type}, answered {media_type}")
    elif answer.body is SessionSnapshot:
        check_snapshot(body, SessionSnapshot, where)
    elif answer.body is not None:
        _check(body, answer.body, where)


def _essence(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


def _answered(response: aiohttp.ClientResponse, raw: bytes) -> None:
    """An `/api/` answer the test read: errors and documents in it, and a 2xx as declared."""
    method, path, status = response.method, response.url.path, response.status
    media_type = _essence(response.headers.get("Content-Type", ""))
    body: object = None
    if media_type == JSON:
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            MISMATCHES.append(f"{method} {path} {status}: declared JSON, not JSON: {raw[:200]!r}")
            return
        observe(body, f"{method} {path} {status}")
    if 200 <= status < 300 and method != "HEAD":
        check_answer(method, path, status, body, media_type)


def _watch_rest() -> None:
    original = aiohttp.ClientResponse.read

    @functools.wraps(original)
    async def read(self: aiohttp.ClientResponse) -> bytes:
        first = self._body is None  # `text` and `json` read through here, once
        raw = await original(self)
        if first and self.url.path.startswith("/api/"):
            _answered(self, raw)
        return raw

    aiohttp.ClientResponse.read = read  # type: ignore[method-assign]


def _check_refusal(arg: object, namespace: str) -> None:
    """A `connect_error` argument: what the hub sent, if it sent anything."""
    if not isinstance(arg, dict):
        return  # the client could not reach the hub (a text of its own, no answer to check)
    if "error" in arg:
        observe(arg, f"socket {namespace} Engine.IO handshake refusal")  # the 401's JSON body
        return
    # Socket.IO's CONNECT_ERROR is {"message", "data"}; the hub's data is the error.
    data = arg.get("data")
    _check(data, ErrorBody, f"socket {namespace} connect_error data")
    observe(data, f"socket {namespace} connect_error")


def _watch_sockets() -> None:
    trigger = socketio.AsyncClient._trigger_event
    call = socketio.AsyncClient.call

    @functools.wraps(trigger)
    async def _trigger_event(
        self: socketio.AsyncClient, event: str, namespace: str, *args: Any
    ) -> Any:
        for arg in args:
            if event == "connect_error":
                _check_refusal(arg, namespace)
                continue
            observe(arg, f"socket {namespace} {event}")
            if event == "event":
                check_event(namespace, arg)
            if event == "snapshot":
                check_snapshot(arg, SnapshotMessage, f"socket {namespace} snapshot")
        return await trigger(self, event, namespace, *args)

    @functools.wraps(call)
    async def call_(self: socketio.AsyncClient, event: str, *args: Any, **kwargs: Any) -> Any:
        answer = await call(self, event, *args, **kwargs)
        observe(answer, f"socket ack of {event}")
        if event == "join" and isinstance(answer, dict) and "snapshot" in answer:
            check_snapshot(answer["snapshot"], SnapshotMessage, f"socket ack of {event}")
        return answer

    socketio.AsyncClient._trigger_event = _trigger_event  # type: ignore[method-assign]
    socketio.AsyncClient.call = call_  # type: ignore[method-assign]


_FOLDER = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    _watch_rest()
    _watch_sockets()
    if not hasattr(config, "workerinput"):
        config.stash[_FOLDER] = Path(tempfile.mkdtemp(prefix="contract-watch-"))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: each worker reports what it saw into the controller's folder."""
    node.workerinput["contract_watch_folder"] = str(node.config.stash[_FOLDER])


def _merge_workers(config: pytest.Config) -> None:
    folder = config.stash.get(_FOLDER, None)
    if folder is None:
        return
    for path in sorted(folder.glob("*.json")):
        seen = json.loads(path.read_text(encoding="utf-8"))
        SEEN_CODES.update(seen["codes"])
        MISMATCHES.extend(seen["mismatches"])
        for audience, n in seen["events"].items():
            EVENTS_CHECKED[audience] = EVENTS_CHECKED.get(audience, 0) + n
        ANSWERS_CHECKED["rest"] += seen["answers"]
    shutil.rmtree(folder, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if ANSWERS_CHECKED["rest"]:
        terminalreporter.write_line(f"contract: REST answers checked: {ANSWERS_CHECKED['rest']}")
    if EVENTS_CHECKED:
        counts = ", ".join(f"{n} {audience}" for audience, n in sorted(EVENTS_CHECKED.items()))
        terminalreporter.write_line(f"contract: socket events checked: {counts}")
    if SEEN_CODES:
        codes = ", ".join(sorted(SEEN_CODES))
        terminalreporter.write_line(f"contract: error codes seen and checked: {codes}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    worker = getattr(session.config, "workerinput", None)
    if worker is not None:
        seen = {
            "codes": sorted(SEEN_CODES),
            "mismatches": MISMATCHES,
            "events": EVENTS_CHECKED,
            "answers": ANSWERS_CHECKED["rest"],
        }
        target = Path(worker["contract_watch_folder"]) / f"{worker['workerid']}.json"
        target.write_text(json.dumps(seen), encoding="utf-8")
        return
    _merge_workers(session.config)
    undocumented = sorted(SEEN_CODES - set(documented_codes()))
    problems = [f"error code {code!r} is not in docs/protocol.md 1.2" for code in undocumented]
    problems += [f"a message does not match its schema: {m}" for m in MISMATCHES]
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for problem in problems:
            if reporter is not None:
                reporter.write_line(f"CONTRACT: {problem}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
