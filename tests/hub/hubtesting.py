"""Helpers of the hub tests: a small client of the REST protocol, bidders with real keys."""

from __future__ import annotations

import asyncio
import io
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bidopen.clock import Clock
from bidopen.service.logentries import SessionEntries
from bidopen.service.publiclog import PublicLog, load_log_signer
from bidopen.service.sessions import SessionService
from bidopen.store.accounts import Principal
from bidopen.store.db import Database
from bidopen.store.eventlog import StoredEvent
from bidopen.store.organisations import add_organisation
from bidopen.verify.check import Trust
from bidopen.verify.session_log import bundle_size, check_events, events_of
from bidseal import (
    BidContext,
    BidderKeys,
    generate_keys,
    read_header,
    seal,
    sign_challenge,
    unwrap_data_key,
)
from bidseal.codec import b64u_encode
from bidseal.statements import (
    confirmation_message,
    objection_message,
    readout_sha256,
    result_objection_message,
    sign_statement,
)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass
class Bidder:
    id: str
    name: str
    keys: BidderKeys
    token: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def seal_bid(
    bidder: Bidder, tender: str, lot: str, items: Mapping[str, str], document: bytes = b"doc"
) -> bytes:
    out = io.BytesIO()
    seal(
        io.BytesIO(document),
        out,
        keys=bidder.keys,
        context=BidContext(tender, lot, bidder.id),
        summary={"items": dict(items)},
        chunk_size=1024,
    )
    return out.getvalue()


async def slow_body(sealed: bytes, hold_until: datetime) -> AsyncIterator[bytes]:
    """All but the last byte at once; the last byte when `hold_until` has passed."""
    yield sealed[:-1]
    await asyncio.sleep(max((hold_until - datetime.now(UTC)).total_seconds(), 0))
    yield sealed[-1:]


def data_key_of(bidder: Bidder, sealed: bytes, tender: str, lot: str) -> str:
    header = read_header(io.BytesIO(sealed))
    return b64u_encode(unwrap_data_key(header, bidder.keys, BidContext(tender, lot, bidder.id)))


class HubApi:
    """Calls the hub the way a client following docs/protocol.md does."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.host_token = ""

    @property
    def host_auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.host_token}"}

    async def call(
        self, method: str, path: str, *, expect: int | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        if method == "POST" and "json" not in kwargs and "data" not in kwargs:
            kwargs["json"] = {}  # every POST is JSON (docs/protocol.md 1.3)
        async with self.http.request(method, path, **kwargs) as response:
            text = await response.text()
            body = json.loads(text) if text and text[0] in "{[" else text
            if expect is not None:
                assert response.status == expect, (response.status, body)
            return response.status, body

    async def login_host(self, username: str, password: str) -> str:
        _, body = await self.call(
            "POST",
            "/api/host/login",
            json={"username": username, "password": password},
            expect=200,
        )
        self.host_token = body["token"]
        return self.host_token

    async def create_tender(
        self,
        *,
        deadline_in: float = 3600,
        lots: tuple[str, ...] = ("1",),
        decryption_seconds: int = 30 * 60,
        confirmation_seconds: int = 15 * 60,
    ) -> dict[str, Any]:
        deadline = datetime.now(UTC) + timedelta(seconds=deadline_in)
        _, body = await self.call(
            "POST",
            "/api/tenders",
            headers=self.host_auth,
            expect=201,
            json={
                "title": "某某道路改造工程施工",
                "lots": [{"id": lot, "name": f"标段{lot}"} for lot in lots],
                "deadline": iso(deadline),
                "decryption_seconds": decryption_seconds,
                "confirmation_seconds": confirmation_seconds,
            },
        )
        return dict(body)

    async def register(self, name: str, *, login: bool = True) -> Bidder:
        keys = generate_keys()
        _, body = await self.call(
            "POST",
            "/api/bidders",
            expect=201,
            json={
                "org_name": name,
                "contact": "张三 010-12345678",
                "public_bundle": json.loads(keys.public.to_json()),
            },
        )
        bidder = Bidder(body["bidder_id"], name, keys)
        if login:
            await self.login_bidder(bidder)
        return bidder

    async def login_bidder(self, bidder: Bidder) -> None:
        _, challenge = await self.call("POST", f"/api/bidders/{bidder.id}/challenge", expect=200)
        signature = sign_challenge(bidder.keys, challenge["challenge"], challenge["audience"])
        _, body = await self.call(
            "POST",
            f"/api/bidders/{bidder.id}/login",
            expect=200,
            json={"challenge": challenge["challenge"], "signature": signature},
        )
        bidder.token = body["token"]

    async def upload(self, bidder: Bidder, tender: str, lot: str, sealed: bytes) -> tuple[int, Any]:
        return await self.call(
            "PUT", f"/api/tenders/{tender}/lots/{lot}/bid", headers=bidder.auth, data=sealed
        )

    async def host(
        self,
        session: str,
        command: str,
        body: dict[str, Any] | None = None,
        *,
        expect: int | None = 200,
    ) -> tuple[int, Any]:
        return await self.call(
            "POST",
            f"/api/sessions/{session}/host/{command}",
            headers=self.host_auth,
            json=body or {},
            expect=expect,
        )

    async def confirm(
        self, session: str, bidder: Bidder, *, expect: int | None = 200
    ) -> tuple[int, Any]:
        """The bidder confirms the read-out of its own view, signed as the clients sign."""
        view = (await self.snapshot(session, bidder.auth))["view"]
        message = confirmation_message(session, bidder.id, readout_sha256(view.get("readout")))
        body = {"signature": sign_statement(bidder.keys, message)}
        path = f"/api/sessions/{session}/bidder/confirm"
        return await self.call("POST", path, headers=bidder.auth, json=body, expect=expect)

    async def object(
        self,
        session: str,
        bidder: Bidder,
        text: str,
        lot: str | None = None,
        *,
        expect: int | None = 200,
    ) -> tuple[int, Any]:
        """The bidder raises a signed objection (a fresh nonce each time)."""
        body = signed_objection(session, bidder, text, lot)
        path = f"/api/sessions/{session}/bidder/object"
        return await self.call("POST", path, headers=bidder.auth, json=body, expect=expect)

    async def snapshot(self, session: str, auth: dict[str, str] | None = None) -> dict[str, Any]:
        _, body = await self.call("GET", f"/api/sessions/{session}", headers=auth or {}, expect=200)
        return dict(body)

    async def events(
        self, session: str, after: int = 0, auth: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        _, body = await self.call(
            "GET",
            f"/api/sessions/{session}/events?after={after}",
            headers=auth or {},
            expect=200,
        )
        return list(body["events"])


def signed_objection(
    session: str, bidder: Bidder, text: str, lot: str | None = None
) -> dict[str, Any]:
    nonce = b64u_encode(secrets.token_bytes(16))
    message = objection_message(session, bidder.id, lot, nonce, text)
    signature = sign_statement(bidder.keys, message)
    return {"lot": lot, "text": text, "nonce": nonce, "signature": signature}


def signed_result_objection(session: str, bidder: Bidder, lot: str, text: str) -> dict[str, Any]:
    """The body of `object_to_result`, signed by `bidder` as its clients sign it."""
    nonce = b64u_encode(secrets.token_bytes(16))
    message = result_objection_message(session, bidder.id, lot, nonce, text)
    signature = sign_statement(bidder.keys, message)
    return {"lot": lot, "text": text, "nonce": nonce, "signature": signature}


async def wait_for_phase(
    api: HubApi, session: str, phase: str, *, within: float = 20
) -> dict[str, Any]:
    """The host's snapshot once the session is in `phase` (the scheduler moves it on)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while True:
        snap = await api.snapshot(session, api.host_auth)
        if snap["view"]["phase"] == phase:
            return snap
        assert loop.time() < end, f"phase stayed {snap['view']['phase']}, wanted {phase}"
        await asyncio.sleep(0.2)


async def a_host_of_an_organisation(db: Database) -> Principal:
    """For tests that drive the services directly: a host and its organisation, stored."""
    async with db.write() as conn:
        await add_organisation(conn, "org-1", "某市公共资源交易中心", datetime.now(UTC))
    return Principal("host", "host-1", "org-1")


async def verified_log(api: HubApi, tid: str) -> list[StoredEvent]:
    """The session's whole log, every event held to its leaf proven in the session's bundle
    (once a checkpoint covers the newest leaf, within a second)."""
    _, body = await api.call("GET", f"/api/sessions/{tid}/log", headers=api.host_auth, expect=200)
    events = events_of(tid, body)
    newest = max((e.leaf or 0) for e in events)
    for _ in range(40):
        _, bundle = await api.call("GET", f"/api/sessions/{tid}/bundle", expect=200)
        if bundle_size(bundle) > newest:
            break
        await asyncio.sleep(0.25)
    check_events(events, bundle, Trust())
    return events


def session_service(db: Database, clock: Clock, data_dir: Path) -> SessionService:
    """A session service whose events go to a public log of its own (the hub's wiring)."""
    signer = load_log_signer(data_dir / "log-key.pem", "test.example/log")
    return SessionService(db, clock, SessionEntries(PublicLog(db, clock, signer)))
