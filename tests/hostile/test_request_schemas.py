"""Every request body is read into one declaration: hostile JSON gets a documented 4xx, never a 500.

The endpoints are attacked on a real hub process: JSON nested 100,000 deep, a number of
5,000 digits, a lone surrogate, bytes that are not UTF-8, a member no body declares, and
then a property-based fuzz (hypothesis) of every POST and PUT, and of the socket
messages, with whatever JSON it makes.
"""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
import socketio
from hubtesting import HubApi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bidopen.app import create_app
from bidopen.config import load_config
from bidopen.errors import CODES
from bidopen.service.commands import HOST_COMMANDS
from bidopen.wire import bodies
from bidopen.wire.decoding import MAX_JSON_DEPTH, nested_deeper_than
from hubprocess import HubProcess

JSON = {"Content-Type": "application/json"}
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 40_000 + b"1" + b"}" * 40_000
HUGE = b"9" * 5000

# A deadline within the hub's range (at most `max_deadline_days` ahead) whenever this runs.
SOON = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # the route as the hub declares it
    role: str | None  # whose token goes with it: "host", "bidder" or none
    body: type[msgspec.Struct] | None  # None: the raw upload


ENDPOINTS = [
    Endpoint("POST", "/api/host/login", None, bodies.HostLogin),
    Endpoint("POST", "/api/logout", None, bodies.NoBody),
    Endpoint("POST", "/api/bidders", None, bodies.RegisterBidder),
    Endpoint("POST", "/api/bidders/{bidder_id}/challenge", None, bodies.NoBody),
    Endpoint("POST", "/api/bidders/{bidder_id}/login", None, bodies.BidderLogin),
    Endpoint("POST", "/api/tenders", "host", bodies.CreateTender),
    Endpoint("PUT", "/api/tenders/{tender_id}/lots/{lot_id}/bid", "bidder", None),
    Endpoint("POST", "/api/tenders/{tender_id}/lots/{lot_id}/data-key", "bidder", bodies.DataKey),
    Endpoint("POST", "/api/bidders/me/rehearsal", "bidder", bodies.NoBody),
    Endpoint("POST", "/api/bidders/me/rehearsal/{rehearsal_id}", "bidder", bodies.RehearsalAnswer),
    Endpoint("POST", "/api/sessions/{session_id}/sign-in", "bidder", bodies.NoBody),
    *(
        Endpoint("POST", f"/api/sessions/{{session_id}}/host/{name}", "host", body)
        for name, body in bodies.HOST_COMMAND_BODIES.items()
    ),
    *(
        Endpoint("POST", f"/api/sessions/{{session_id}}/bidder/{name}", "bidder", body)
        for name, body in bodies.BIDDER_COMMAND_BODIES.items()
    ),
    Endpoint("POST", "/api/sessions/{session_id}/video/publish", "host", bodies.VideoOffer),
    Endpoint("POST", "/api/sessions/{session_id}/video/view", None, bodies.VideoOffer),
]
JSON_ENDPOINTS = [e for e in ENDPOINTS if e.body is not None]


def _declared_route(route: str) -> str:
    """Session commands share one route each for hosts and bidders: `.../host/{command}`."""
    for role in ("host", "bidder"):
        prefix = f"/api/sessions/{{session_id}}/{role}/"
        if route.startswith(prefix):
            return prefix + "{command}"
    return route


def test_every_state_changing_route_is_attacked_here(tmp_path: Path) -> None:
    """A new POST or PUT route fails this test until it has its declaration and its row above."""
    app = create_app(load_config({"BIDOPEN_DATA_DIR": str(tmp_path)}))
    declared = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method in ("POST", "PUT", "PATCH") and route.resource is not None
    }
    declared = {(m, path) for m, path in declared if not path.startswith("/socket.io")}
    assert declared == {(e.method, _declared_route(e.route)) for e in ENDPOINTS}
    assert set(bodies.HOST_COMMAND_BODIES) == set(HOST_COMMANDS)


@pytest.mark.parametrize("body", sorted({e.body for e in JSON_ENDPOINTS}, key=str))
def test_every_body_publishes_its_json_schema(body: type[msgspec.Struct]) -> None:
    schema = msgspec.json.schema(body)
    [definition] = [d for name, d in schema["$defs"].items() if name == body.__name__]
    assert definition["type"] == "object"
    if body is not bodies.PublicKeyBundle:
        assert definition["additionalProperties"] is False


@dataclass
class Scene:
    """A hub with a host, a tender in its bidding phase and a signed-in bidder."""

    hub: HubProcess
    ids: dict[str, str]
    tokens: dict[str | None, str]

    def path(self, endpoint: Endpoint, **ids: str) -> str:
        return endpoint.route.format(**{**self.ids, **ids})

    def headers(self, endpoint: Endpoint, content_type: str = "application/json") -> dict[str, str]:
        headers = {"Content-Type": content_type}
        token = self.tokens.get(endpoint.role)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers


async def _prepare(hub: HubProcess) -> Scene:
    async with aiohttp.ClientSession(base_url=hub.base_url) as http:
        api = HubApi(http)
        await api.login_host(hub.host_user, hub.host_password)
        tender = await api.create_tender()
        bidder = await api.register("甲建设集团")
        _, rehearsal = await api.call(
            "POST", "/api/bidders/me/rehearsal", headers=bidder.auth, expect=201
        )
    ids = {
        "tender_id": tender["id"],
        "session_id": tender["id"],
        "lot_id": "1",
        "bidder_id": bidder.id,
        "rehearsal_id": rehearsal["rehearsal_id"],
    }
    return Scene(hub, ids, {"host": api.host_token, "bidder": bidder.token})


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    """One hub for the module: the fuzz sends thousands of requests, not thousands of hubs."""
    root = tmp_path_factory.mktemp("schemas")
    data_dir = root / "data"
    data_dir.mkdir()
    hub = HubProcess(data_dir, f"sqlite+aiosqlite:///{data_dir / 'bidopen.db'}", root / "hub.log")
    hub.start()
    try:
        yield asyncio.run(_prepare(hub))
    finally:
        hub.stop()


@pytest.fixture
async def api(scene: Scene) -> AsyncIterator[HubApi]:
    async with aiohttp.ClientSession(base_url=scene.hub.base_url) as http:
        client = HubApi(http)
        client.host_token = scene.tokens["host"] or ""
        yield client


def assert_refusal(status: int, body: Any, codes: set[str]) -> None:
    assert 400 <= status < 500, (status, body)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) - {"field"} == {"code", "message", "message_zh"}, error
    assert error["code"] in codes and error["code"] in CODES, error
    assert CODES[error["code"]].status == status, error


# Codes a hostile body may meet before its content is looked at: the caller's role, the
# rate of video offers.
BEFORE_THE_BODY = {"unauthenticated", "forbidden", "rate_limited"}


async def test_hostile_json_gets_a_documented_code_from_every_endpoint(
    scene: Scene, api: HubApi
) -> None:
    # A tender of its own, so that "nothing moved" is about these requests only.
    tender = (await api.create_tender())["id"]
    for endpoint in JSON_ENDPOINTS:
        assert endpoint.body is not None
        fields = msgspec.structs.fields(endpoint.body)
        # A member the body declares, so that its value is what the hub has to read.
        member = json.dumps(fields[0].encode_name if fields else "x").encode()
        # A body without members refuses the member itself, before its value.
        unknown = set() if fields else {"validation_failed"}
        cases = [
            # (A video offer is limited to 64 KiB, so the deep texts are too large there.)
            (DEEP, {"nesting_too_deep", "message_too_large"}),
            (DEEP_OBJECT, {"nesting_too_deep", "message_too_large"}),
            (b'"\\ud800"', {"bad_request"}),
            # Broken text in a member that is not text is refused for its type first.
            (b"{" + member + b': "\\ud800"}', {"bad_request", "validation_failed"}),
            (b"{" + member + b': "\\udc00\\ud800"}', {"bad_request", "validation_failed"}),
            (b"{" + member + b': "\xff\xfe"}', {"bad_request", "validation_failed"}),
            (b"{" + member + b": " + HUGE + b"}", {"validation_failed"}),
            (b"{" + member + b": 1e400}", {"validation_failed"}),
            (b"[" + HUGE + b"]", {"validation_failed"}),
            (b'"just text"', {"validation_failed"}),
        ]
        for raw, codes in cases:
            status, body = await api.call(
                endpoint.method,
                scene.path(endpoint, tender_id=tender, session_id=tender),
                headers=scene.headers(endpoint),
                data=raw,
            )
            assert_refusal(status, body, codes | BEFORE_THE_BODY | unknown)
            # Nothing but the value was wrong: the refusal is about it, whoever checks first.
            if body["error"]["code"] == "validation_failed" and raw.startswith(b"{"):
                assert body["error"]["field"] == json.loads(member), (endpoint, body)
    # Nothing moved and the hub still answers.
    events = await api.events(tender, auth=api.host_auth)
    assert [e["kind"] for e in events] == ["session_scheduled"]


async def test_a_refusal_names_the_field(scene: Scene, api: HubApi) -> None:
    """Wrong type, out of range, unknown member, missing member: one code, the field named."""
    host = scene.headers(ENDPOINTS[5])
    login = "/api/host/login"
    cases: list[tuple[str, dict[str, str], bytes, str]] = [
        (login, JSON, b'{"username": ' + HUGE + b', "password": "x"}', "username"),
        (login, JSON, b'{"username": "host1", "password": "x", "admin": true}', "admin"),
        (login, JSON, b'{"username": "host1"}', "password"),
        (login, JSON, json.dumps({"username": "host\u0000", "password": "x"}).encode(), "username"),
        (
            "/api/tenders",
            host,
            json.dumps(
                {
                    "title": "某某道路改造工程施工",
                    "lots": [{"id": "1", "name": "标段1"}, {"id": " 2", "name": "标段2"}],
                    "deadline": SOON,
                }
            ).encode(),
            "lots[1].id",
        ),
        (
            "/api/tenders",
            host,
            b'{"title": "t", "lots": [{"id": "1", "name": "n"}],'
            b' "deadline": "' + SOON.encode() + b'", "decryption_seconds": ' + HUGE + b"}",
            "decryption_seconds",
        ),
        (
            "/api/tenders",
            host,
            b'{"title": "t", "lots": [{"id": "1", "name": "n"}], "deadline": "2099-01-01"}',
            "deadline",
        ),
        # Domain rules after the schema answer with the same code and name their field.
        (
            "/api/tenders",
            host,
            b'{"title": "t", "lots": [{"id": "1", "name": "n"}],'
            b' "deadline": "2001-01-01T00:00:00Z"}',
            "deadline",
        ),
        (
            "/api/tenders",
            host,
            b'{"title": "t", "lots": [{"id": "1", "name": "n"}, {"id": "1", "name": "m"}],'
            b' "deadline": "' + SOON.encode() + b'"}',
            "lots",
        ),
    ]
    for path, headers, raw, field in cases:
        status, body = await api.call("POST", path, headers=headers, data=raw)
        assert_refusal(status, body, {"validation_failed"})
        assert body["error"]["field"] == field, body
        assert field in body["error"]["message"] and field in body["error"]["message_zh"]
    # A lone surrogate where text is expected: the body is not valid JSON text.
    for raw in (b'{"username": "host1", "password": "\\ud800"}', b'{"username": "\\udfff"}'):
        status, body = await api.call("POST", login, headers=JSON, data=raw)
        assert_refusal(status, body, {"bad_request"})
    status, body = await api.call("GET", "/api/tenders?limit=" + "9" * 30)
    assert_refusal(status, body, {"validation_failed"})
    assert body["error"]["field"] == "limit"


def _json_values() -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(10**30), max_value=10**30)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=30)
        | st.sampled_from(["", " ", "1", "BD0000000000", "2026-12-01T09:30:00+08:00", "v=0"])
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=12,
    )


def _bodies(endpoint: Endpoint) -> st.SearchStrategy[Any]:
    """Anything JSON, and objects made of the declared member names with any values."""
    assert endpoint.body is not None
    names = [f.encode_name for f in msgspec.structs.fields(endpoint.body)] or ["x"]
    return _json_values() | st.dictionaries(st.sampled_from(names), _json_values(), max_size=6)


class Wire:
    """A keep-alive HTTP/1.1 connection to the hub, usable from hypothesis's synchronous tests."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=raw, headers=headers)
                response = self.connection.getresponse()
                text = response.read()
                return response.status, json.loads(text) if text[:1] in b"{[" else text
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


@pytest.fixture
def wire(scene: Scene) -> Iterator[Wire]:
    opened = Wire(scene.hub.port)
    try:
        yield opened
    finally:
        opened.connection.close()


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS, ids=lambda e: f"{e.method} {e.route}")
def test_fuzzed_bodies_never_get_a_5xx(scene: Scene, wire: Wire, endpoint: Endpoint) -> None:
    path, headers = scene.path(endpoint), scene.headers(endpoint)

    @FUZZ
    @given(body=_bodies(endpoint))
    def send(body: Any) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode()
        status, answer = wire.send(endpoint.method, path, headers, raw)
        assert status < 500, (raw[:200], answer)
        if status >= 400:
            assert_refusal(status, answer, set(CODES))

    send()


def test_fuzzed_uploads_and_content_types_never_get_a_5xx(scene: Scene, wire: Wire) -> None:
    upload = next(e for e in ENDPOINTS if e.body is None)
    types = st.sampled_from(
        ["application/octet-stream", "text/plain", "application/json", "multipart/form-data", ""]
    )

    @FUZZ
    @given(raw=st.binary(max_size=2048), content_type=types)
    def send(raw: bytes, content_type: str) -> None:
        status, answer = wire.send(
            upload.method, scene.path(upload), scene.headers(upload, content_type), raw
        )
        assert 400 <= status < 500, answer
        assert_refusal(status, answer, set(CODES))

    send()


async def test_a_large_body_arriving_in_pieces_is_read_whole(scene: Scene, api: HubApi) -> None:
    """200 lots with 200-character names: about 120 KB, sent in small chunks."""
    lots = [{"id": str(n), "name": "标" * 200} for n in range(1, 201)]
    body = {"title": "大型项目", "lots": lots, "deadline": SOON}
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(raw) > 100_000

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 4096):
            yield raw[start : start + 4096]
            await asyncio.sleep(0)

    status, created = await api.call(
        "POST", "/api/tenders", headers={**api.host_auth, **JSON}, data=pieces()
    )
    assert status == 201, created
    assert len(created["lots"]) == 200


class HostSocket:
    """A `/host` socket driven from hypothesis's synchronous tests on a loop of its own."""

    def __init__(self, url: str, token: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = socketio.AsyncClient(reconnection=False)
        self.loop.run_until_complete(
            self.client.connect(
                url, namespaces=["/host"], auth={"token": token}, transports=["websocket"]
            )
        )

    def call(self, event: str, data: Any) -> Any:
        return self.loop.run_until_complete(
            self.client.call(event, data, namespace="/host", timeout=30)
        )

    def close(self) -> None:
        self.loop.run_until_complete(self.client.disconnect())
        self.loop.close()


@pytest.fixture
def host_socket(scene: Scene) -> Iterator[HostSocket]:
    opened = HostSocket(scene.hub.base_url, scene.tokens["host"] or "")
    try:
        yield opened
    finally:
        opened.close()


def test_fuzzed_socket_messages_are_answered_with_documented_codes(
    scene: Scene, host_socket: HostSocket
) -> None:
    """Socket message data is read into its declaration too: every answer is a view or a refusal."""
    session = scene.ids["session_id"]
    known = st.fixed_dictionaries(
        {"session_id": st.sampled_from([session, "ZB-1999-000001", ""]) | _json_values()},
        optional={"after": _json_values() | st.integers(), "x": _json_values()},
    )

    @FUZZ
    @given(event=st.sampled_from(["join", "catch_up", "leave"]), data=known | _json_values())
    def send(event: str, data: Any) -> None:
        answer = host_socket.call(event, data)
        assert isinstance(answer, dict), answer
        if "error" in answer:
            error = answer["error"]
            assert error["code"] in CODES and CODES[error["code"]].status < 500, answer
            assert set(error) - {"field"} == {"code", "message", "message_zh"}, answer
        else:
            assert set(answer) & {"snapshot", "events", "left"}, answer

    send()
    # The socket is still there and still answers.
    assert "snapshot" in host_socket.call("join", {"session_id": session})


@pytest.mark.parametrize(
    ("raw", "deeper"),
    [
        (b"[" * 32 + b"]" * 32, False),
        (b"[" * 33 + b"]" * 33, True),
        (b'{"a":' * 33 + b"1" + b"}" * 33, True),
        (b'[{"a":' * 17 + b"1" + b"}]" * 17, True),  # 34 levels of both kinds
        (b"[[]" * 32 + b"]" * 32, True),  # 33 levels, never 33 openers in a row
        (b"[[]" * 31 + b"]" * 31, False),
        (b"[" + b"[]," * 80_000 + b"[" * 20 + b"[[]" * 20 + b"]" * 41, True),  # deep at the end
        (b'["' + b"[" * 100 + b'"]', False),  # brackets in a string are text
        (b'["\\"' + b"[" * 100 + b'"]', False),  # also after an escaped quote
        (b"[" * 100, True),  # opened and never closed: as deep all the same
        (b"[" * 20, False),  # not JSON, but shallow: the decoder says what is wrong
    ],
)
def test_the_depth_limit_counts_levels_exactly(raw: bytes, deeper: bool) -> None:
    assert nested_deeper_than(raw, MAX_JSON_DEPTH) is deeper
