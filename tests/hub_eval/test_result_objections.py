"""Objections to a published result (异议) over REST: from a bidder of the lot during its
publicity, signed by it, answered once by the host, both in the log and public; each refusal
its code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from evaluation_kit import LOT, reach_report_stage, result_body, run_opening
from hubtesting import HubApi, parse_iso, signed_result_objection

from bidseal.statements import result_objection_message, verify_statement

# The `hub_process` fixture of tests/conftest.py (a HubProcess).
HubProcess = Any


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


def _object(api: HubApi, tid: str, auth: dict[str, str], body: Any) -> Any:
    return api.call("POST", f"/api/sessions/{tid}/bidder/object_to_result", headers=auth, json=body)


async def test_a_bidder_objects_to_the_result_and_the_hosts_answer_is_public(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    session = await run_opening(api, hub_process.host_user, hub_process.host_password)
    tid = session.tender_id
    rejected = session.named("丙工程有限公司")
    stranger = await api.register("丁未投标公司")

    # Before the result there is nothing to object to.
    await reach_report_stage(api, session)
    body = signed_result_objection(tid, rejected, LOT, "异议")
    status, refusal = await _object(api, tid, rejected.auth, body)
    assert (status, refusal["error"]["code"]) == (409, "result_not_published"), refusal

    await api.host(tid, "publish_result", result_body(session))
    before = len(await api.events(tid))
    refusals = [
        (stranger.auth, signed_result_objection(tid, stranger, LOT, "异议"), 403, "not_permitted"),
        (
            rejected.auth,
            signed_result_objection(tid, rejected, LOT, "   "),
            422,
            "validation_failed",
        ),
        (
            rejected.auth,
            signed_result_objection(tid, rejected, "9", "异议"),
            409,
            "result_not_published",
        ),
        ({}, signed_result_objection(tid, rejected, LOT, "异议"), 401, "unauthenticated"),
        (api.host_auth, signed_result_objection(tid, rejected, LOT, "异议"), 403, "forbidden"),
    ]
    for auth, body, want_status, code in refusals:
        status, refusal = await _object(api, tid, auth, body)
        assert (status, refusal["error"]["code"]) == (want_status, code), (body, refusal)
        assert refusal["error"]["message_zh"]
    assert len(await api.events(tid)) == before  # no refusal changed anything

    text = "丙公司已按要求提交投标保证金（银行回单附后），否决理由不成立。"
    _, raised = await _object(
        api, tid, rejected.auth, signed_result_objection(tid, rejected, LOT, text)
    )
    [event] = raised["events"]
    assert event["kind"] == "result_objection_raised"
    assert event["data"]["objection_id"] == "R1"
    due = parse_iso(event["data"]["answer_due_at"])
    assert due - parse_iso(event["data"]["at"]) == timedelta(days=3)

    # The host sees it in its view, with the date the answer is due.
    host_view = (await api.snapshot(tid, api.host_auth))["view"]
    [pending] = host_view["result_objections"]
    assert (pending["id"], pending["bidder"], pending["answer"]) == ("R1", rejected.id, None)
    assert pending["bidder_name"] == "丙工程有限公司"

    path = f"/api/sessions/{tid}/host/answer_result_objection"
    status, refusal = await api.call(
        "POST", path, headers=rejected.auth, json={"objection_id": "R1", "text": "自答"}
    )
    assert (status, refusal["error"]["code"]) == (403, "forbidden")
    status, refusal = await api.host(
        tid, "answer_result_objection", {"objection_id": "R7", "text": "答复"}, expect=None
    )
    assert (status, refusal["error"]["code"]) == (404, "objection_unknown")

    answer = "经复核保证金到账记录，维持否决：保证金未在截止时间前到账。"
    await api.host(tid, "answer_result_objection", {"objection_id": "R1", "text": answer})
    status, refusal = await api.host(
        tid, "answer_result_objection", {"objection_id": "R1", "text": "再答"}, expect=None
    )
    assert (status, refusal["error"]["code"]) == (409, "objection_already_answered")

    # Both are events of the public log and the public view shows the answer.
    public_events = await api.events(tid)
    kinds = [e["kind"] for e in public_events[-2:]]
    assert kinds == ["result_objection_raised", "result_objection_answered"]
    assert public_events[-2]["data"]["text"] == text
    assert public_events[-1]["data"] == {
        "at": public_events[-1]["data"]["at"],
        "objection_id": "R1",
        "text": answer,
        "late": False,
    }
    [shown] = (await api.snapshot(tid))["view"]["result_objections"]
    assert (shown["text"], shown["answer"], shown["late"]) == (text, answer, False)
    assert parse_iso(shown["answered_at"]) <= datetime.now(UTC)


def _refused(status: int, body: Any) -> None:
    assert status == 401, body
    assert (body["error"]["code"], body["error"]["field"]) == ("signature_invalid", "signature")


async def test_an_objection_to_a_result_is_signed_by_its_bidder_and_verified(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    session = await run_opening(api, hub_process.host_user, hub_process.host_password)
    tid = session.tender_id
    rejected, other = session.named("丙工程有限公司"), session.named("甲建设集团")
    await reach_report_stage(api, session)
    await api.host(tid, "publish_result", result_body(session))
    before = len(await api.events(tid))

    # Unsigned, signed by another bidder of the lot, its text or lot changed after signing.
    text = "否决理由不成立。"
    _refused(
        *await _object(
            api,
            tid,
            rejected.auth,
            {**signed_result_objection(tid, rejected, LOT, text), "signature": ""},
        )
    )
    _refused(
        *await _object(api, tid, rejected.auth, signed_result_objection(tid, other, LOT, text))
    )
    changed = {**signed_result_objection(tid, rejected, LOT, text), "text": "撤回异议"}
    _refused(*await _object(api, tid, rejected.auth, changed))
    other_lot = {**signed_result_objection(tid, rejected, "2", text), "lot": LOT}
    _refused(*await _object(api, tid, rejected.auth, other_lot))
    assert len(await api.events(tid)) == before  # nothing logged

    # A signed one is taken once: the same nonce again is a replay.
    good = signed_result_objection(tid, rejected, LOT, text)
    _, raised = await _object(api, tid, rejected.auth, good)
    status, refusal = await _object(api, tid, rejected.auth, good)
    assert (status, refusal["error"]["code"]) == (409, "objection_repeated"), refusal
    [event] = raised["events"]
    assert (event["data"]["nonce"], event["data"]["signature"]) == (
        good["nonce"],
        good["signature"],
    )
    message = result_objection_message(tid, rejected.id, LOT, good["nonce"], text)
    assert verify_statement(rejected.keys.public.signing_key, message, good["signature"])


async def test_only_a_demo_hub_takes_a_shortened_publicity(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    await api.login_host(hub_process.host_user, hub_process.host_password)
    deadline = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    status, refusal = await api.call(
        "POST",
        "/api/tenders",
        headers=api.host_auth,
        json={
            "title": "演示设置",
            "lots": [{"id": "1", "name": "标段1"}],
            "deadline": deadline,
            "demo_publicity_seconds": 60,
        },
    )
    assert (status, refusal["error"]["code"]) == (422, "demo_only"), refusal
    assert refusal["error"]["field"] == "demo_publicity_seconds"
