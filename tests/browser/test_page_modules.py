"""The pure parts of the page modules, run in chromium: ordering by seq, folding, times, speech."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browsing import Browsers
from playwright.async_api import Page, Route

pytestmark = pytest.mark.browser


async def module_page(browsers: Browsers) -> Page:
    page = await browsers.page("modules")
    # A blank document of the site's origin: the modules load as the pages load them.
    await page.goto("/static/img/favicon.svg")
    return page


async def run(page: Page, module: str, body: str, arg: Any = None) -> Any:
    """Evaluate `body`, an async function of the imported module `m` and of `arg`, in the page."""
    return await page.evaluate(
        f"(arg) => import('{module}').then(async (m) => ({body})(m, arg))", arg
    )


def at(minute: int) -> str:
    return f"2026-01-01T01:{minute:02d}:00.000000Z"


async def test_sequencer_delivers_once_in_order_and_reports_gaps(module_browser: Browsers) -> None:
    page = await module_page(module_browser)
    result = await run(
        page,
        "/static/js/sequencer.js",
        """async (m) => {
          const s = new m.EventSequencer(0);
          const seqs = (r) => ({ ready: r.ready.map((e) => e.seq), gap: r.gap });
          const steps = [];
          steps.push(seqs(s.offer([{ seq: 1 }, { seq: 2 }])));
          steps.push(seqs(s.offer([{ seq: 4 }])));
          steps.push(seqs(s.offer([{ seq: 2 }, { seq: 3 }])));
          steps.push(seqs(s.offer([{ seq: 6 }, { seq: 5 }, { seq: "x" }, {}])));
          s.resetTo(10);
          steps.push(seqs(s.offer([{ seq: 9 }, { seq: 11 }])));
          return steps;
        }""",
    )
    assert result == [
        {"ready": [1, 2], "gap": False},
        {"ready": [], "gap": True},
        {"ready": [3, 4], "gap": False},
        {"ready": [5, 6], "gap": False},
        {"ready": [11], "gap": False},
    ]


async def test_view_folding_of_a_pause_freezes_the_countdown(module_browser: Browsers) -> None:
    page = await module_page(module_browser)
    scheduled = {
        "at": at(0),
        "tender_id": "T",
        "code": "T",
        "title": "t",
        "readout_items": [],
        "lots": [{"id": "1", "name": "一"}],
        "deadline": at(1),
        "signin_opens_at": at(0),
    }
    events = [
        {"seq": 1, "kind": "session_scheduled", "data": scheduled},
        {
            "seq": 2,
            "kind": "deadline_passed",
            "data": {"at": at(1), "deadline": at(1), "counts": {"1": 3}, "quorum_warnings": []},
        },
        {"seq": 3, "kind": "decryption_started", "data": {"at": at(2), "ends_at": at(32)}},
        {"seq": 4, "kind": "bid_decrypted", "data": {"at": at(3), "lot": "1"}},
        {"seq": 5, "kind": "session_paused", "data": {"at": at(22), "reason": "断网"}},
        {"seq": 6, "kind": "some_future_kind", "data": {}},
    ]
    result = await run(
        page,
        "/static/js/session-view.js",
        """async (m, events) => {
          const opening = m.applyEvents(m.emptyView(), events.slice(0, 2)).phase;
          const paused = m.applyEvents(m.emptyView(), events.slice(0, 5));
          const v = m.applyEvent(paused, events[5]);
          return { opening, phase: v.phase, seq: v.seq, progress: m.progress(v),
                   countdown: m.countdownTarget(v), unchanged: paused.seq === 5 };
        }""",
        events,
    )
    assert result == {
        "opening": "opening",
        "phase": "decryption",
        "seq": 6,
        "progress": {"signedIn": 0, "bids": 3, "decrypted": 1},
        # Ten minutes were left when the host paused; the screen shows them, frozen.
        "countdown": {"kind": "decryption", "at": None, "frozenMs": 600_000},
        "unchanged": True,
    }


async def test_beijing_time_and_countdown_text(module_browser: Browsers) -> None:
    page = await module_page(module_browser)
    form = await run(
        page,
        "/static/js/host/tender-form.js",
        """async (m) => [
          m.beijingInstant("2026-12-01T09:30"),
          m.beijingInstant("2026-12-01T09:30:15"),
          m.beijingLocalValue("2026-12-01T01:30:15.000Z"),
          m.beijingInstant(""),
        ]""",
    )
    assert form == [
        "2026-12-01T01:30:00.000Z",
        "2026-12-01T01:30:15.000Z",
        "2026-12-01T09:30:15",
        None,
    ]
    texts = await run(
        page,
        "/static/js/i18n.js",
        """async (m) => [m.formatCountdown(59_000), m.formatCountdown(3_723_000),
                         m.formatCountdown(2 * 86_400_000 + 5_000), m.formatCountdown(-5),
                         m.formatDateTime("2026-12-01T01:30:15.000Z")]""",
    )
    assert texts == ["00:59", "1:02:03", "2天 00:00:05", "00:00", "2026-12-01 09:30:15 北京时间"]


async def test_read_out_is_spoken_with_units_after_values(module_browser: Browsers) -> None:
    page = await module_page(module_browser)
    lines = await run(
        page,
        "/static/js/readout-table.js",
        """async (m) => m.spokenReadout({
          lots: [{ id: "1", name: "第一标段" }],
          readout_items: [{ key: "price", label_zh: "投标报价（元）", label_en: "Price" },
                          { key: "duration_days", label_zh: "工期（日历天）", label_en: "Days" }],
          bidder_names: { B1: "甲公司" },
          readout: [{ lot: "1", lines: [
            { bidder: "B1", status: "opened", items: { price: "100.50", duration_days: "90" } },
            { bidder: "B2", status: "revoked", items: null }] }],
        }).lines""",
    )
    assert lines == [
        "第一标段。",
        "投标人甲公司，投标报价 100.50 元，工期 90 日历天。",
        "投标人B2，视为撤销。",
    ]


async def test_clock_offset_comes_from_the_fastest_sample(module_browser: Browsers) -> None:
    page = await module_page(module_browser)
    result = await run(
        page,
        "/static/js/clock.js",
        """async (m) => [
          m.offsetFromSamples([
            { sentAt: 1000, receivedAt: 1400, serverTime: 9000 },
            { sentAt: 2000, receivedAt: 2020, serverTime: 7010 },
            { sentAt: 3000, receivedAt: 3100, serverTime: 5000 },
          ]),
          m.instantMs("2026-11-27T01:02:03.123456Z") - Date.UTC(2026, 10, 27, 1, 2, 3),
          m.instantMs("2026-11-27T09:02:03+08:00") - Date.UTC(2026, 10, 27, 1, 2, 3),
        ]""",
    )
    # The 20 ms round trip wins: the server's instant sits 10 ms after the request left.
    assert result[0] == {"offset": 5000, "uncertainty": 10}
    assert result[1] == pytest.approx(123.456)
    assert result[2] == 0


async def test_clock_syncs_with_api_time_and_keeps_the_shortest_round_trip(
    module_browser: Browsers,
) -> None:
    """The hub (played by the route) runs 5.000 s ahead of this PC; one answer is held back
    for 2 s after reading the clock, which would put the estimate a second off."""
    page = await module_page(module_browser)
    asked: list[str] = []

    async def hub_time(route: Route) -> None:
        asked.append(route.request.url)
        now = datetime.now(UTC) + timedelta(seconds=5)
        if len(asked) == 1:
            await asyncio.sleep(2)
        body = {"now": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        await route.fulfill(json=body, headers={"Cache-Control": "no-store"})

    await page.route("**/api/*", hub_time)
    clock = await run(
        page,
        "/static/js/clock.js",
        """async (m) => {
          const clock = await new m.ServerClock().sync();
          return { offset: clock.offset, uncertainty: clock.uncertainty, synced: clock.synced };
        }""",
    )
    assert [url.split("/", 3)[3] for url in asked] == ["api/time"] * 5
    assert clock["synced"] is True
    # The held-back answer has a round trip of 2 s or more: had it won, the bound would be 1 s.
    assert clock["uncertainty"] < 1000
    # Half the round trip bounds the error (plus a millisecond of Date.now's rounding).
    assert abs(clock["offset"] - 5000) <= clock["uncertainty"] + 1


async def test_result_form_offers_the_lots_still_awaiting_a_result(
    module_browser: Browsers,
) -> None:
    page = await module_page(module_browser)
    opened = {"status": "opened", "items": {"price": "1"}}
    view = {
        "phase": "evaluation",
        "evaluation_stage": "report",
        "lots": [{"id": lot, "name": lot} for lot in ("1", "2", "3", "4")],
        "lot_progress": [
            {"lot": "3", "bids": 1, "decrypted": 1, "quorum": {"choice": "stop"}},
        ],
        "readout": [
            {
                "lot": "1",
                "lines": [{"bidder": "A", **opened}, {"bidder": "B", "status": "revoked"}],
            },
            {"lot": "2", "lines": [{"bidder": "C", **opened}]},
            {"lot": "3", "lines": [{"bidder": "D", **opened}]},
            {"lot": "4", "lines": [{"bidder": "E", "status": "withdrawn"}]},
        ],
        "results": [{"lot": "2"}],
    }
    due = await run(
        page,
        "/static/js/host/result-form.js",
        """async (m, view) => [m.lotsDue(view),
                              m.lotsDue({ ...view, evaluation_stage: "scoring" })]""",
        view,
    )
    # Lot 2 has its result, lot 3 was stopped; lot 1 ranks A, lot 4 has nothing opened (流标).
    assert due == [
        [
            {
                "lot": "1",
                "lines": [{"bidder": "A", **opened}],
                "unopened": [{"bidder": "B", "status": "revoked"}],
            },
            {"lot": "4", "lines": [], "unopened": [{"bidder": "E", "status": "withdrawn"}]},
        ],
        [],
    ]


async def test_result_form_refuses_inconsistent_input(module_browser: Browsers) -> None:
    page = await module_page(module_browser)
    answers = await run(
        page,
        "/static/js/host/result-form.js",
        """async (m) => {
          const row = (bidder, rank, disposition = "", clause = "", text = "") =>
            ({ bidder, name: bidder, rank, disposition, price: "", score: "", clause, text });
          const rejected = (bidder) => row(bidder, null, "rejected", "3.1", "未交保证金");
          const cases = {
            ok: [row("A", 1), row("B", 2), rejected("C")],
            both: [{ ...row("A", 1), disposition: "rejected" }, row("B", 2)],
            neither: [row("A", 1), row("B", null)],
            gap: [row("A", 1), row("B", 3)],
            tie: [row("A", 1), row("B", 1)],
            no_clause: [row("A", 1), row("B", null, "rejected", "", "未交保证金")],
            failed_no_reason: [rejected("A"), rejected("B")],
          };
          const out = {};
          for (const [name, entries] of Object.entries(cases)) {
            out[name] = m.resultBody("1", entries, "", "3");
          }
          out.failed = m.resultBody("1", cases.failed_no_reason, "全部投标被否决", "3").body;
          out.days = m.resultBody("1", cases.ok, "", "2").field;
          return out;
        }""",
    )
    assert answers["ok"]["body"] == {
        "lot": "1",
        "outcome": "candidates",
        "candidates": [{"bidder": "A"}, {"bidder": "B"}],
        "reasons": {"C": {"disposition": "rejected", "clause": "3.1", "text": "未交保证金"}},
        "publicity_days": 3,
    }
    for name, field in (("both", "A"), ("neither", "B"), ("no_clause", "B")):
        assert answers[name]["field"] == field, name
        assert answers[name]["error"], name
    for name in ("gap", "tie", "failed_no_reason"):
        assert answers[name]["error"], name
    assert answers["failed"]["outcome"] == "failed"
    assert answers["failed"]["failure"] == "全部投标被否决"
    assert answers["days"] == "publicity_days"


async def test_the_vault_marks_sealed_files_whose_bid_was_replaced_or_withdrawn(
    module_browser: Browsers,
) -> None:
    page = await module_page(module_browser)
    ended = await run(
        page,
        "/static/js/vault.js",
        """async (m) => {
          const blob = new Blob(["sealed"]);
          const files = [
            ["old", "T", "1"], ["new", "T", "1"], ["gone", "T", "2"], ["other", "U", "1"],
          ];
          for (const [bidSha256, tender, lot] of files) {
            await m.saveSealedBid({ bidSha256, tender, lot, bidder: "B", blob });
          }
          const documents = [
            ["receipt", "1", "old"], ["receipt", "1", "new"],
            ["receipt", "2", "gone"], ["withdrawal", "2", "gone"],
          ];
          for (const [i, [type, lot, bidSha256]] of documents.entries()) {
            const at = `2026-01-01T01:0${i}:00.000000Z`;
            const document = { type, tender: "T", lot, bidder: "B", bidSha256, at };
            await m.keepBidDocument({ ...document, envelope: "{}" });
          }
          const kept = await m.listBidDocuments("T", null, "B");
          const states = {};
          for (const [sha] of files) states[sha] = (await m.loadSealedBid(sha)).ended;
          return { states, kept: kept.length };
        }""",
    )
    # The replaced and the withdrawn file are marked; the current one and another tender's not.
    assert ended == {
        "states": {"old": "replaced", "new": None, "gone": "withdrawn", "other": None},
        "kept": 4,
    }


async def test_host_texts_say_what_is_true(module_browser: Browsers) -> None:
    page = await module_page(module_browser)
    # 添加标段 suggests the number after the highest one.
    numbers = await run(
        page,
        "/static/js/host/tender-form.js",
        """async (m) => [m.nextLotNumber(["1"]), m.nextLotNumber(["1", "3", "A"]),
                         m.nextLotNumber(["east"])]""",
    )
    assert numbers == [2, 4, 1]
    # The host names read-out items by their labels; keys are made from the English label.
    keys = await run(
        page,
        "/static/js/host/tender-form.js",
        """async (m) => [m.itemKey("Warranty (months)", new Set(), 3),
                         m.itemKey("Warranty (months)", new Set(["warranty_months"]), 4),
                         m.itemKey("99 % 合格率", new Set(), 5), m.itemKey("", new Set(), 6)]""",
    )
    assert keys == ["warranty_months", "warranty_months_2", "item_5", "item_6"]
    # A closing where everyone confirmed does not say "deemed to accept: —".
    lines = await run(
        page,
        "/static/js/event-text.js",
        """async (m) => [
          m.describeEvent({kind: "confirmation_closed", data: {deemed_accepted: []}}, {}),
          m.describeEvent({kind: "confirmation_closed", data: {deemed_accepted: ["b-1"]}},
                          {bidder_names: {"b-1": "甲公司"}}),
        ]""",
    )
    # Names are isolated inside the sentence (FSI … PDI, see isolate in dom.js).
    assert lines == ["确认结束；全部投标人均已确认", "确认结束；视为认可：\u2068甲公司\u2069"]
