"""The CLI never sends a data key that a dishonest operator could read a bid early with.

An honest hub sits behind `OperatorProxy`, which rewrites what the hub says (phases, the
clock, tender bodies, postponement notices) and records every data key a client sends. The
real `bidopen bidder join` runs against the proxy. Every attack ends with no data key sent
and a message that says why; the honest path through the same proxy still opens the bid.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hosting import honest_at_first, host_command, hub_behind_proxy, open_decryption
from operator_proxy import OperatorProxy, replace_answer, replace_tender, replace_view

from bidopen.client.bidder import BidderClient, seal_in_memory
from bidopen.client.receipts import ReceiptBook
from bidopen.clock import iso
from bidseal import ServerKey, load_private_key_file, sign_document
from hubprocess import HubProcess

pytestmark = pytest.mark.slow

LEAD_S = 12  # tender A's deadline after its creation: time enough to seal and submit
STEP_S = 60
WAIT_S = 3  # how long a join that says it waits is watched further before it is stopped
WAITING = "waiting for the deadline"


@dataclass
class World:
    """One bidder with bids in tender A (deadline passed, window open) and B (tomorrow)."""

    hub: HubProcess
    proxy: OperatorProxy
    folder: Path
    bidder: str = ""
    a: str = ""
    b: str = ""
    hashes: dict[str, str] = field(default_factory=dict)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "bidopen", *args]

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "BIDOPEN_URL": self.proxy.origin,
            "BIDOPEN_HOST_PASSWORD": self.hub.host_password,
            "BIDOPEN_PASSPHRASE": "passphrase of the bidder",
        }

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.command(*args),
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=STEP_S,
        )
        assert done.returncode == expect, f"{args}: {done.stdout} {done.stderr}"
        return done

    def host(self, *args: str) -> Any:
        return host_command(self.hub, self.folder, *args)

    def seal(self, name: str, tender: str, lot: str, price: str) -> None:
        (self.folder / f"{name}.json").write_text(
            json.dumps({"items": {"price": price, "duration_days": "90"}}), encoding="utf-8"
        )
        (self.folder / f"{name}.pdf").write_bytes(b"%PDF-1.4 bid " + name.encode())
        self.run(
            "seal",
            f"{name}.pdf",
            "--key-dir",
            "keys",
            "--passphrase-file",
            "pass.txt",
            "--context",
            f"{tender}/{lot}/{self.bidder}",
            "--summary",
            f"{name}.json",
            "--out",
            f"{name}.sealed",
        )

    def submit(self, name: str) -> dict[str, Any]:
        receipt: dict[str, Any] = json.loads(
            self.run("bidder", "submit", f"{name}.sealed", "--key-dir", "keys").stdout
        )
        self.hashes[name] = receipt["bid_sha256"]
        return receipt

    def join(self, name: str, *extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command("bidder", "join", f"{name}.sealed", "--key-dir", "keys", *extra),
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def server_key(self) -> ServerKey:
        """What the operator holds: the hub's own signing key from its data folder."""
        return ServerKey.load(self.hub.data_dir / "server-key.pem")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("operator")
    with hub_behind_proxy(root) as (hub, proxy):
        folder = root / "bidder"
        folder.mkdir()
        yield _prepare(World(hub, proxy, folder))


def _prepare(w: World) -> World:
    (w.folder / "pass.txt").write_text("passphrase of the bidder\n", encoding="utf-8")
    w.run("keygen", "--out", "keys", "--iterations", "1000", "--passphrase-file", "pass.txt")
    w.bidder = json.loads(
        w.run(
            "bidder", "register", "--key-dir", "keys", "--org", "甲公司", "--contact", "a@x.cn"
        ).stdout
    )["bidder_id"]
    lots = ("--lot", "1:标段一", "--lot", "2:标段二")
    w.b = w.host("create-tender", "--title", "明日开标的项目", *lots, "--in-seconds", "86400")["id"]
    w.seal("b1", w.b, "1", "770000.00")
    w.submit("b1")
    w.a = w.host("create-tender", "--title", "今日开标的项目", *lots, "--in-seconds", str(LEAD_S))[
        "id"
    ]
    created = time.monotonic()
    # Against the clock: sealed, sent and withdrawn in this process, through the library the
    # CLI runs and into the same receipt book (KEYDIR/receipts.jsonl) that `join` reads.
    asyncio.run(_bid_in_a(w))
    # B's deadline moves later: an honest postponement with its signed notice.
    later = datetime.now(UTC) + timedelta(days=2)
    w.host("reschedule", w.b, "--deadline", iso(later), "--reason", "答疑延期")
    time.sleep(max(0.0, LEAD_S + 1 - (time.monotonic() - created)))
    open_decryption(w.host, w.a)
    return w


async def _bid_in_a(w: World) -> None:
    keys = load_private_key_file(w.folder / "keys", "passphrase of the bidder")
    book = ReceiptBook.in_key_dir(w.folder / "keys")
    async with BidderClient(w.proxy.origin, keys, w.bidder, book=book) as client:
        await client.login()
        for name, lot, price in (
            ("a1_old", "1", "1000000.00"),
            ("a1", "1", "990000.00"),
            ("a2", "2", "500000.00"),
        ):
            sealed, result = seal_in_memory(
                keys, client.context(w.a, lot), b"%PDF-1.4 " + name.encode(), {"price": price}
            )
            (w.folder / f"{name}.sealed").write_bytes(sealed)
            await client.submit(w.a, lot, sealed)
            w.hashes[name] = result.bid_sha256
        await client.withdraw(w.a, "2")


@pytest.fixture
def proxy(world: World) -> Iterator[OperatorProxy]:
    """The world's proxy with no rewrites and no recorded keys at the start of a test."""
    with honest_at_first(world.proxy) as proxy:
        yield proxy


def _refused(process: subprocess.Popen[str], code: str) -> str:
    out, err = process.communicate(timeout=STEP_S)
    assert process.returncode != 0, out
    assert code in err, err
    return err


def _still_waiting(process: subprocess.Popen[str]) -> str:
    """A join that must wait: watched until it says it waits (and WAIT_S more), then stopped."""
    assert process.stderr is not None
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(process.stderr or ()), daemon=True)
    reader.start()
    give_up = time.monotonic() + STEP_S
    while not any(WAITING in line for line in said) and time.monotonic() < give_up:
        assert process.poll() is None, f"the join ended instead of waiting: {''.join(said)}"
        time.sleep(0.1)
    time.sleep(WAIT_S)
    assert process.poll() is None, f"the join ended instead of waiting: {''.join(said)}"
    process.kill()
    process.wait()
    reader.join(5)
    return "".join(said)


def test_a_tender_said_to_be_in_decryption_before_its_deadline_is_not_opened(
    world: World, proxy: OperatorProxy
) -> None:
    # B's deadline is days away; the operator says B is being decrypted and lies about time.
    proxy.rewrite_json(replace_view(world.b, phase="decryption", paused=False))
    future = iso(datetime.now(UTC) + timedelta(days=3))
    proxy.rewrite_json(replace_answer("/api/time", {"now": future, "server_time": future}))
    said = _still_waiting(world.join("b1"))
    assert "waiting for the deadline" in said
    assert proxy.data_keys == []


def test_a_replaced_bid_is_never_opened(world: World, proxy: OperatorProxy) -> None:
    said = _refused(world.join("a1_old"), "bid_replaced")
    assert world.hashes["a1_old"][:16] in said
    assert proxy.data_keys == []


def test_a_withdrawn_bid_is_never_opened(world: World, proxy: OperatorProxy) -> None:
    _refused(world.join("a2"), "bid_withdrawn")
    assert proxy.data_keys == []


def test_a_forged_postponement_notice_is_refused(world: World, proxy: OperatorProxy) -> None:
    other = ServerKey.generate()
    notice = sign_document(
        "postponement",
        {
            "version": 1,
            "tender": world.b,
            "previous_deadline": iso(datetime.now(UTC) + timedelta(days=2)),
            "deadline": iso(datetime.now(UTC) + timedelta(days=3)),
            "reason": "x",
            "at": iso(datetime.now(UTC)),
        },
        other,
    )
    proxy.rewrite_json(
        replace_answer(f"/api/tenders/{world.b}/postponements", {"notices": [notice]})
    )
    _refused(world.join("b1"), "notice_invalid")
    assert proxy.data_keys == []


def test_a_notice_moving_the_deadline_earlier_is_refused_even_signed_with_the_hub_key(
    world: World, proxy: OperatorProxy
) -> None:
    # The operator holds the hub's key: it signs a notice that moves B's deadline to the past.
    earlier = sign_document(
        "postponement",
        {
            "version": 1,
            "tender": world.b,
            "previous_deadline": iso(datetime.now(UTC) + timedelta(days=2)),
            "deadline": iso(datetime.now(UTC) - timedelta(hours=1)),
            "reason": "提前开标",
            "at": iso(datetime.now(UTC)),
        },
        world.server_key(),
    )
    proxy.rewrite_json(
        replace_tender(world.b, deadline=iso(datetime.now(UTC) - timedelta(hours=1)))
    )
    proxy.rewrite_json(replace_view(world.b, phase="decryption"))
    proxy.rewrite_json(
        replace_answer(f"/api/tenders/{world.b}/postponements", {"notices": [earlier]})
    )
    _refused(world.join("b1"), "deadline_earlier")
    assert proxy.data_keys == []


def test_a_hidden_postponement_notice_is_refused(world: World, proxy: OperatorProxy) -> None:
    # B was postponed; the operator hides the notice and states the receipt's deadline.
    proxy.rewrite_json(replace_answer(f"/api/tenders/{world.b}/postponements", {"notices": []}))
    _refused(world.join("b1"), "notice_missing")
    assert proxy.data_keys == []


def test_a_later_deadline_stated_without_a_notice_is_waited_for(
    world: World, proxy: OperatorProxy
) -> None:
    # During A's real window the hub's tender body names a later deadline nobody signed.
    proxy.rewrite_json(replace_tender(world.a, deadline=iso(datetime.now(UTC) + timedelta(days=1))))
    said = _still_waiting(world.join("a1", "--stay-silent"))
    assert "waiting for the deadline" in said
    assert proxy.data_keys == []


def test_the_real_window_opens_the_real_bid_through_the_same_proxy(
    world: World, proxy: OperatorProxy
) -> None:
    join = world.join("a1", "--stay-silent")
    give_up = time.monotonic() + STEP_S
    try:
        while not proxy.data_keys:
            assert join.poll() is None, join.communicate()
            assert time.monotonic() < give_up, "no data key was sent in the real window"
            time.sleep(0.2)
        assert f"/api/tenders/{world.a}/lots/1/data-key" == proxy.data_keys[0].path
        bids = world.host("status", world.a)["view"]["bids"]
        opened = [b for b in bids if b["bid_sha256"] == world.hashes["a1"]]
        deadline = time.monotonic() + 10
        while not opened[0]["decrypted_at"] and time.monotonic() < deadline:
            time.sleep(0.2)
            bids = world.host("status", world.a)["view"]["bids"]
            opened = [b for b in bids if b["bid_sha256"] == world.hashes["a1"]]
        assert opened[0]["decrypted_at"]
    finally:
        join.kill()
        _, err = join.communicate()
    assert "about to open" in err and "今日开标的项目" in err
