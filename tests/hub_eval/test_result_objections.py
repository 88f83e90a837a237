"""Objections to a published result (异议) over REST: from a bidder of the lot during its
publicity, answered once by the host, both in the log and public; each refusal its code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from evaluation_kit import LOT, reach_report_stage, result_body, run_opening
from hubtesting import HubApi, parse_iso

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
    status, refusal = await _object(api, tid, rejected.auth, {"lot": LOT, "text": "异议"})
    assert (status, refusal["error"]["code"]) == (409, "result_not_published"), refusal

    await api.host(tid, "publish_result", result_body(session))
    before = len(await api.events(tid))
    refusals = [
        (stranger.auth, {"lot": LOT, "text": "异议"}, 403, "not_permitted"),
        (rejected.auth, {"lot": LOT, "text": "   "}, 422, "validation_failed"),
        (rejected.auth, {"lot": "9", "text": "异议"}, 409, "result_not_published"),
        ({}, {"lot": LOT, "text": "异议"}, 401, "unauthenticated"),
        (api.host_auth, {"lot": LOT, "text": "异议"}, 403, "forbidden"),
    ]
    for auth, body, want_status, code in refusals:
        status, refusal = await _object(api, tid, auth, body)
        assert (status, refusal["error"]["code"]) == (want_status, code), (body, refusal)
        assert refusal["error"]["message_zh"]
    assert len(await api.events(tid)) == before  # no refusal changed anything

    text = "丙公司已按要求提交投标保证金（银行回单附后），否决理由不成立。"
    _, raised = await _object(api, tid, rejected.auth, {"lot": LOT, "text": text})
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
