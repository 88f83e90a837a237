"""A lot's evaluation result over REST: signed, logged and public; by the host only, once."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from evaluation_kit import (
    LOT,
    OpenedSession,
    reach_report_stage,
    result_body,
    run_opening,
    server_key,
)
from hubtesting import HubApi, parse_iso, verified_log

from bidopen.client.base import HubClient
from bidopen.store.eventlog import StoredEvent
from bidseal import verify_document

# The `hub_process` fixture of tests/conftest.py (a HubProcess); not imported by name,
# since every test folder's conftest module is called `conftest`.
HubProcess = Any

RESULT_PATH = "/api/sessions/{tid}/results/" + LOT


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def opened(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> tuple[HubApi, OpenedSession]:
    api = HubApi(hub_client)
    session = await run_opening(api, hub_process.host_user, hub_process.host_password)
    return api, session


async def proven_log(api: HubApi, tid: str) -> list[StoredEvent]:
    return await verified_log(api, tid)


async def nothing_published(api: HubApi, tid: str, log_length: int) -> None:
    """The state a refused request must leave: no result document, no new event."""
    status, body = await api.call("GET", RESULT_PATH.format(tid=tid))
    assert (status, body["error"]["code"]) == (404, "record_not_published")
    assert len(await proven_log(api, tid)) == log_length
    assert (await api.snapshot(tid))["view"]["results"] == []


async def test_published_result_is_signed_logged_and_public(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api, session = await opened(hub_process, hub_client)
    tid = session.tender_id
    await reach_report_stage(api, session)
    body = result_body(session, publicity_days=5)
    _, before = await api.call("GET", f"/api/tenders/{tid}", expect=200)
    assert before["publicity_ends_at"] is None

    _, answer = await api.host(tid, "publish_result", body)

    # The signed document verifies with the server's key and says exactly what was asked.
    _, document = await api.call("GET", RESULT_PATH.format(tid=tid), expect=200)
    payload = verify_document(document, "evaluation-result", await server_key(api))
    assert payload["format"] == "bidopen-evaluation-result/3"
    assert payload["tender"] == {"id": tid, "code": tid, "title": "某某道路改造工程施工"}
    for field in ("lot", "outcome", "reasons", "publicity_days"):
        assert payload[field] == body[field], field
    assert payload["candidates"] == [
        {"rank": rank, **candidate} for rank, candidate in enumerate(body["candidates"], 1)
    ]
    assert payload["failure"] == ""
    assert payload["demo_publicity_seconds"] is None
    assert payload["objection_answer_days"] == 3
    # The log's event names that very document by its hash, and every event is its leaf.
    log = await proven_log(api, tid)
    event = log[-1]
    assert event.kind == "result_published"
    assert [m["seq"] for m in answer["events"]] == [event.seq]
    assert event.payload["sha256"] == hashlib.sha256(document["payload"].encode()).hexdigest()
    assert event.payload["reasons"] == body["reasons"]
    # What a tender's public page reads: no token, the result with its publicity end.
    public = (await api.snapshot(tid))["view"]
    assert public["phase"] == "result_published"
    [shown] = public["results"]
    assert (shown["outcome"], shown["candidates"], shown["reasons"]) == (
        body["outcome"],
        body["candidates"],
        body["reasons"],
    )
    published_at = parse_iso(str(payload["published_at"]))
    assert parse_iso(shown["publicity_ends_at"]) == published_at + timedelta(days=5)
    assert payload["publicity_ends_at"] == shown["publicity_ends_at"]
    _, tender = await api.call("GET", f"/api/tenders/{tid}", expect=200)
    assert tender["phase"] == "result_published"
    # The front page's list says the publicity's status from it, as the tender's page does.
    assert tender["publicity_ends_at"] == shown["publicity_ends_at"]
    _, listing = await api.call("GET", "/api/tenders?limit=200", expect=200)
    [listed] = [entry for entry in listing["tenders"] if entry["id"] == tid]
    assert listed["publicity_ends_at"] == shown["publicity_ends_at"]
    # The Python client reads it too, and says 公示中 until then, 公示结束 from then on.
    async with HubClient(hub_process.base_url) as client:
        described = await client.tender(tid)
    assert described.publicity_ends_at == parse_iso(shown["publicity_ends_at"])
    assert described.in_publicity(published_at)
    assert not described.in_publicity(published_at + timedelta(days=5))
    public_events = await api.events(tid)
    assert public_events[-1]["kind"] == "result_published"
    assert public_events[-1]["data"]["reasons"] == body["reasons"]


async def test_a_bidder_can_neither_publish_nor_change_a_result(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api, session = await opened(hub_process, hub_client)
    tid = session.tender_id
    await reach_report_stage(api, session)
    winner = session.named("乙路桥公司")
    body = result_body(session)
    path = f"/api/sessions/{tid}/host/publish_result"
    before = len(await proven_log(api, tid))

    # A bidder's token, even the would-be winner's, is the wrong role for a host command.
    status, refusal = await api.call("POST", path, headers=winner.auth, json=body)
    assert (status, refusal["error"]["code"]) == (403, "forbidden")
    status, refusal = await api.call("POST", path, json=body)
    assert (status, refusal["error"]["code"]) == (401, "unauthenticated")
    await nothing_published(api, tid, before)

    await api.host(tid, "publish_result", body)
    _, published = await api.call("GET", RESULT_PATH.format(tid=tid), expect=200)
    after = len(await proven_log(api, tid))
    assert after == before + 1

    # Changing it: a bidder is refused as before; the host too, since a result is final.
    changed = {**body, "candidates": body["candidates"][::-1]}
    status, refusal = await api.call("POST", path, headers=winner.auth, json=changed)
    assert (status, refusal["error"]["code"]) == (403, "forbidden")
    # Every lot has its result, so the session is past the phase that takes one.
    status, refusal = await api.host(tid, "publish_result", changed, expect=None)
    assert (status, refusal["error"]["code"]) == (409, "illegal_in_phase"), refusal
    assert "result_published" in refusal["error"]["message"]
    # No route rewrites or deletes a published result.
    for method in ("PUT", "DELETE", "POST"):
        status, refusal = await api.call(
            method, RESULT_PATH.format(tid=tid), headers=winner.auth, json=changed
        )
        assert (status, refusal["error"]["code"]) == (405, "method_not_allowed"), method
    _, still = await api.call("GET", RESULT_PATH.format(tid=tid), expect=200)
    assert still == published
    assert len(await proven_log(api, tid)) == after
    [shown] = (await api.snapshot(tid))["view"]["results"]
    assert shown["candidates"][0]["bidder"] == winner.id


def spoiled(fault: str, body: dict[str, Any], session: OpenedSession) -> dict[str, Any]:
    """`body` with one mistake a host could make."""
    loser = session.named("丙工程有限公司").id
    first = body["candidates"][0]
    if fault == "reason-missing":
        return {**body, "reasons": {}}
    if fault == "blank-sentence":
        reason = {**body["reasons"][loser], "text": "  "}
        return {**body, "reasons": {loser: reason}}
    if fault == "rejected-without-clause":
        reason = {**body["reasons"][loser], "clause": ""}
        return {**body, "reasons": {loser: reason}}
    if fault == "publicity-under-3-days":
        return {**body, "publicity_days": 2}
    if fault == "candidate-also-rejected":
        return {**body, "reasons": {**body["reasons"], first["bidder"]: body["reasons"][loser]}}
    if fault == "four-candidates":
        return {**body, "candidates": [first] * 4}
    if fault == "candidate-not-a-bidder":
        return {**body, "candidates": [{"bidder": "BDNOBODY"}]}
    if fault == "failed-with-candidates":
        return {**body, "outcome": "failed", "failure": "流标"}
    if fault == "failed-without-reason":
        return {**body, "outcome": "failed", "candidates": []}
    if fault == "disposition-unknown":
        reason = {**body["reasons"][loser], "disposition": "loser"}
        return {**body, "reasons": {loser: reason}}
    raise AssertionError(fault)


# (fault, HTTP status, error code, a word the message must contain). The request schema
# and the checks PublishResult makes in the hub's transaction answer with the same code.
BAD_RESULTS = [
    ("reason-missing", 422, "validation_failed", "missing"),
    ("blank-sentence", 422, "validation_failed", "reasons[...].text"),
    ("rejected-without-clause", 422, "validation_failed", "clause"),
    ("publicity-under-3-days", 422, "validation_failed", "publicity_days"),
    ("candidate-also-rejected", 422, "validation_failed", "candidate"),
    ("four-candidates", 422, "validation_failed", "candidates"),
    ("candidate-not-a-bidder", 422, "validation_failed", "not opened"),
    ("failed-with-candidates", 422, "validation_failed", "candidate"),
    ("failed-without-reason", 422, "validation_failed", "failure"),
    ("disposition-unknown", 422, "validation_failed", "disposition"),
]


async def test_a_bad_result_is_refused_clearly_and_changes_nothing(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    # Every bad body is tried on one session: each refusal must leave it as it was, so the
    # next one meets the same state, and the correct result still goes through at the end.
    api, session = await opened(hub_process, hub_client)
    tid = session.tender_id
    await reach_report_stage(api, session)
    before = len(await proven_log(api, tid))
    for fault, status, code, named in BAD_RESULTS:
        bad = spoiled(fault, result_body(session), session)
        got, refusal = await api.host(tid, "publish_result", bad, expect=None)

        assert (got, refusal["error"]["code"]) == (status, code), (fault, refusal)
        assert named in refusal["error"]["message"], (fault, refusal)
        assert refusal["error"]["message_zh"], fault
        # Whichever check refused it, the refusal names the member of the body.
        members = {"lot", "outcome", "candidates", "reasons", "failure", "publicity_days"}
        assert re.split(r"[.\[]", refusal["error"]["field"])[0] in members, (fault, refusal)
        await nothing_published(api, tid, before)
    # The refusals left the lot open: the correct result goes through.
    await api.host(tid, "publish_result", result_body(session))


async def test_no_result_before_the_report_stage(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api, session = await opened(hub_process, hub_client)
    tid = session.tender_id
    await api.host(tid, "set_evaluation_stage", {"stage": "scoring"})
    before = len(await proven_log(api, tid))
    status, refusal = await api.host(tid, "publish_result", result_body(session), expect=None)
    assert (status, refusal["error"]["code"]) == (409, "illegal_in_phase"), refusal
    await nothing_published(api, tid, before)
    assert json.dumps(refusal, ensure_ascii=False).count("report") >= 1
