// The bidder room's key-release rule (static/js/bidder/release.js), the same cases as the
// Python client's (tests of bidopen.client.release): what the room holds decides, never the hub.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  CLOCK_MARGIN_MS,
  ReleaseRefused,
  bidDocument,
  checkTime,
  chosenBid,
  deadlineStatement,
  planRelease,
  postponement,
} from "../static/js/bidder/release.js";

const KEY = "server-key-b64u";
const OTHER_KEY = "another-key-b64u";
const DEADLINE = "2026-12-07T10:00:00.000000Z";
const LATER = "2026-12-08T10:00:00.000000Z";
const EARLIER = "2026-12-07T09:00:00.000000Z";
const ms = (iso) => Date.parse(iso);

function receipt(sha, at, { tender = "T1", lot = "1", deadline = DEADLINE, version = 2 } = {}) {
  return bidDocument(
    "receipt",
    {
      version,
      tender,
      tender_code: "ZB-2026-000001",
      tender_title: "今日开标的项目",
      lot,
      lot_name: "标段一",
      bidder: "B1",
      deadline: version >= 2 ? deadline : undefined,
      bid_sha256: sha,
      received_at: at,
    },
    KEY,
  );
}

function withdrawal(sha, at) {
  return bidDocument(
    "withdrawal",
    { version: 2, tender: "T1", lot: "1", bidder: "B1", deadline: DEADLINE, bid_sha256: sha, withdrawn_at: at },
    KEY,
  );
}

const notice = (deadline, { tender = "T1", key = KEY } = {}) =>
  postponement({ tender, previous_deadline: DEADLINE, deadline }, key);
const statement = (deadline, postponements, nonce = "nonce-0123456789abcdef", key = KEY) =>
  deadlineStatement({ tender: "T1", deadline, postponements, nonce, at: DEADLINE }, key);

function refused(code, run) {
  assert.throws(run, (error) => error instanceof ReleaseRefused && error.code === code, `expected ${code}`);
}

const OLD = "a".repeat(64);
const NEW = "b".repeat(64);
const kept = [receipt(OLD, "2026-12-07T08:00:00.000000Z"), receipt(NEW, "2026-12-07T08:30:00.000000Z")];
const pick = (documents, sha, where = {}) => chosenBid(documents, { tender: "T1", lot: "1", bidder: "B1", sealedSha256: sha, ...where });

describe("the bid the room may open", () => {
  test("is the bid of the latest receipt, in whatever order receipts were kept", () => {
    assert.equal(pick(kept, NEW).bidSha256, NEW);
    assert.equal(pick([...kept].reverse(), NEW).bidSha256, NEW);
  });
  test("a replaced bid is refused", () => refused("bid_replaced", () => pick(kept, OLD)));
  test("a file that no receipt names is refused", () => refused("not_this_bid", () => pick(kept, "c".repeat(64))));
  test("without a kept receipt for this tender and lot nothing opens", () => {
    refused("no_receipt", () => pick(kept, NEW, { tender: "T2" }));
    refused("no_receipt", () => pick(kept, NEW, { lot: "2" }));
    refused("no_receipt", () => pick(kept, NEW, { bidder: "B2" }));
  });
  test("a withdrawn bid is refused", () => {
    refused("bid_withdrawn", () => pick([...kept, withdrawal(NEW, "2026-12-07T09:00:00.000000Z")], NEW));
  });
  test("a withdrawal of an earlier bid does not end a later one", () => {
    const documents = [receipt(NEW, "2026-12-07T08:00:00.000000Z"), withdrawal(NEW, "2026-12-07T08:10:00.000000Z"), receipt(NEW, "2026-12-07T08:20:00.000000Z")];
    assert.equal(pick(documents, NEW).bidSha256, NEW);
  });
  test("a version-1 receipt signs no deadline and opens nothing", () => {
    refused("receipt_without_deadline", () => pick([receipt(NEW, "2026-12-07T08:00:00.000000Z", { version: 1 })], NEW));
  });
  test("a malformed document is refused", () => {
    refused("document_invalid", () => bidDocument("receipt", { tender: "T1" }, KEY));
    refused("document_invalid", () => bidDocument("receipt", { ...kept[0], received_at: "yesterday" }, KEY));
  });
});

describe("the deadline the room waits for", () => {
  const mine = kept[1];
  const nonce = "nonce-0123456789abcdef";

  test("is the receipt's, plus the margin on the room's own clock", () => {
    const plan = planRelease(mine, [], { statement: statement(DEADLINE, 0), nonce });
    assert.equal(plan.deadline, ms(DEADLINE));
    assert.equal(plan.opensAt, ms(DEADLINE) + CLOCK_MARGIN_MS);
    refused("before_deadline", () => checkTime(plan, ms(DEADLINE) + CLOCK_MARGIN_MS - 1));
    checkTime(plan, ms(DEADLINE) + CLOCK_MARGIN_MS);
  });
  test("moves later with a signed notice", () => {
    const plan = planRelease(mine, [notice(LATER)], { statement: statement(LATER, 1), nonce });
    assert.equal(plan.deadline, ms(LATER));
    refused("before_deadline", () => checkTime(plan, ms(LATER)));
  });
  test("a notice moving it earlier is refused, even signed with the receipt's key", () => {
    refused("deadline_earlier", () => planRelease(mine, [notice(EARLIER)]));
  });
  test("a notice of another tender or key is refused", () => {
    refused("notice_invalid", () => planRelease(mine, [notice(LATER, { tender: "T2" })]));
    refused("notice_invalid", () => planRelease(mine, [notice(LATER, { key: OTHER_KEY })]));
  });
  test("a statement counting a postponement whose notice is hidden is refused", () => {
    refused("notice_missing", () => planRelease(mine, [], { statement: statement(DEADLINE, 1), nonce }));
    refused("notice_missing", () => planRelease(mine, [], { statement: statement(LATER, 1), nonce }));
  });
  test("a statement naming an earlier deadline, another nonce or key is refused", () => {
    refused("deadline_earlier", () => planRelease(mine, [], { statement: statement(EARLIER, 0), nonce }));
    refused("notice_invalid", () => planRelease(mine, [], { statement: statement(DEADLINE, 0, "a-replayed-nonce-xyz"), nonce }));
    refused("notice_invalid", () => planRelease(mine, [], { statement: statement(DEADLINE, 0, nonce, OTHER_KEY), nonce }));
  });
  test("a later deadline the hub only states is waited for, an earlier one changes nothing", () => {
    const later = planRelease(mine, [], { stated: [LATER], statement: statement(DEADLINE, 0), nonce });
    assert.equal(later.deadline, ms(LATER));
    assert.equal(later.signed, ms(DEADLINE));
    assert.ok(later.unsignedLater);
    const earlierSaid = planRelease(mine, [], { stated: [EARLIER, "not a time"], statement: statement(DEADLINE, 0), nonce });
    assert.equal(earlierSaid.deadline, ms(DEADLINE));
    assert.ok(!earlierSaid.unsignedLater);
  });
  test("the refusal says which deadline and which clock", () => {
    const plan = planRelease(mine, [], { stated: [LATER] });
    try {
      checkTime(plan, ms(DEADLINE) + 60_000);
      assert.fail("opened early");
    } catch (error) {
      assert.equal(error.code, "before_deadline");
      assert.equal(error.facts.deadline, LATER);
      assert.equal(error.facts.signed, DEADLINE);
      assert.ok(error.facts.unsignedLater);
    }
  });
});
