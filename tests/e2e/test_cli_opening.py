"""An opening driven from a shell: `bidopen keygen|seal`, then `bidopen bidder` and `host`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bidseal import load_public_bundle
from bidseal.statements import (
    confirmation_message,
    objection_message,
    readout_sha256,
    verify_statement,
)
from hubprocess import HubProcess

pytestmark = pytest.mark.slow

LEAD_S = 15
STEP_TIMEOUT_S = 90
OBJECTION = "唱标金额与投标函不一致"
ANSWER = "已核对投标函，唱标无误"


class Terminal:
    """Runs `python -m bidopen` like a person at a shell, in one working folder."""

    def __init__(self, hub: HubProcess, folder: Path) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "BIDOPEN_URL": hub.base_url,
            "BIDOPEN_HOST_PASSWORD": hub.host_password,
        }
        self.user = hub.host_user

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "bidopen", *args]

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.command(*args),
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_S,
        )
        assert done.returncode == expect, f"{args}: {done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args).stdout)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def host(self, action: str, *args: str) -> Any:
        return self.json("host", action, "--user", self.user, *args)

    def wait_for_view(self, tender: str, ready: Callable[[dict[str, Any]], bool]) -> None:
        give_up = time.monotonic() + STEP_TIMEOUT_S
        while time.monotonic() < give_up:
            if ready(self.host("status", tender)["view"]):
                return
            time.sleep(0.5)
        raise AssertionError(f"the session of {tender} never reached the expected state")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_opening_from_the_command_line(hub_process: HubProcess, tmp_path: Path) -> None:
    shell = Terminal(hub_process, tmp_path)
    names = ["alpha", "beta", "gamma"]
    bidder_ids = {}
    for name in names:
        (tmp_path / f"{name}.pass").write_text(f"passphrase of {name}\n", encoding="utf-8")
        shell.run(
            "keygen", "--out", name, "--passphrase-file", f"{name}.pass", "--iterations", "1000"
        )
        answer = shell.json(
            "bidder",
            "register",
            "--key-dir",
            name,
            "--org",
            f"{name} 公司",
            "--contact",
            f"{name}@example.cn",
        )
        bidder_ids[name] = answer["bidder_id"]

    tender = shell.host(
        "create-tender",
        "--title",
        "命令行开标 CLI opening",
        "--lot",
        "1:标段一",
        "--in-seconds",
        str(LEAD_S),
        "--decryption-window",
        "5m",
        "--confirmation-window",
        "90s",
    )["id"]
    created = time.monotonic()
    bid_hashes = {}
    for number, name in enumerate(names, start=1):
        (tmp_path / f"{name}.json").write_text(
            json.dumps({"items": {"price": f"{number}00000.00", "duration_days": "90"}}),
            encoding="utf-8",
        )
        (tmp_path / f"{name}.pdf").write_bytes(b"%PDF-1.4 bid of " + name.encode())
        sealed = shell.run(
            "seal",
            f"{name}.pdf",
            "--key-dir",
            name,
            "--passphrase-file",
            f"{name}.pass",
            "--context",
            f"{tender}/1/{bidder_ids[name]}",
            "--summary",
            f"{name}.json",
            "--out",
            f"{name}.sealed",
        )
        found = re.search(r"bid_sha256: ([0-9a-f]{64})", sealed.stdout)
        assert found is not None, sealed.stdout
        bid_hashes[name] = found.group(1)
        receipt = shell.json(
            "bidder",
            "submit",
            f"{name}.sealed",
            "--key-dir",
            name,
            "--passphrase-file",
            f"{name}.pass",
            "--receipt-out",
            f"{name}.receipt.json",
        )
        assert receipt["bid_sha256"] == bid_hashes[name]
        assert receipt["bidder"] == bidder_ids[name]

    joins = {
        name: shell.start(
            "bidder",
            "join",
            f"{name}.sealed",
            "--key-dir",
            name,
            "--passphrase-file",
            f"{name}.pass",
            *(["--object", OBJECTION, "--confirm-after-answer"] if name == "beta" else []),
        )
        for name in names
    }
    time.sleep(max(0.0, LEAD_S + 2 - (time.monotonic() - created)))
    shell.wait_for_view(tender, lambda view: view["phase"] == "opening")

    # A bid after the deadline is refused, and the refusal changes nothing.
    late = shell.run(
        "bidder",
        "submit",
        "alpha.sealed",
        "--key-dir",
        "alpha",
        "--passphrase-file",
        "alpha.pass",
        expect=1,
    )
    assert "deadline_passed" in late.stderr

    shell.host("start", tender)
    shell.wait_for_view(tender, lambda view: all(bid["decrypted_at"] for bid in view["bids"]))
    closed = shell.host("close", tender)
    assert [event["kind"] for event in closed["events"]] == [
        "decryption_closed",
        "read_out",
        "confirmation_started",
    ]
    shell.wait_for_view(tender, lambda view: len(view["objections"]) == 1)
    objection = shell.host("status", tender)["view"]["objections"][0]
    assert objection["text"] == OBJECTION
    shell.host("answer", tender, "--objection", objection["id"], "--text", ANSWER)
    shell.wait_for_view(tender, lambda view: len(view["confirmed"]) == 3)
    shell.host("close-confirmation", tender)
    published = shell.host("publish", tender)

    for name, process in joins.items():
        out, err = process.communicate(timeout=STEP_TIMEOUT_S)
        assert process.returncode == 0, err
        seen = json.loads(out)
        assert seen["bidder"] == bidder_ids[name]
        assert seen["record_sha256"] == published["sha256"]
        assert seen["record_matches_read_out"] is True
        assert seen["read_out"] == published["record"]["readout"]
        if name == "beta":
            assert (seen["objection"], seen["answer"]) == (objection["id"], ANSWER)
        assert "唱标 read-out received" in err
        # After the deadline each kept receipt is proven in the public log and the proof kept.
        assert len(seen["receipts_in_log"]) == 1 and seen["receipt_faults"] == []
        kept = shell.folder / name / "proofs" / f"{seen['receipts_in_log'][0]}.tlog-proof"
        assert kept.read_text(encoding="utf-8").startswith("c2sp.org/tlog-proof@v1")
        assert "is entry" in err

    # Each bidder's confirmation (and beta's objection) is signed by its own key.
    record = published["record"]
    keys = {
        bidder_ids[name]: load_public_bundle(shell.folder / name / "bidder-public.json")
        for name in names
    }
    digest = readout_sha256(record["readout"])
    assert record["readout_sha256"] == digest
    assert {line["bidder"] for line in record["confirmed"]} == set(keys)
    for line in record["confirmed"]:
        message = confirmation_message(tender, line["bidder"], digest)
        assert verify_statement(keys[line["bidder"]].signing_key, message, line["signature"])
    raised = record["objections"][0]
    message = objection_message(tender, raised["bidder"], raised["lot"], raised["nonce"], OBJECTION)
    assert verify_statement(keys[raised["bidder"]].signing_key, message, raised["signature"])
    # And `bidopen verify` checks them in the opening's bundle.
    bundle = shell.folder / "opening.bundle.json"
    with urllib.request.urlopen(f"{shell.env['BIDOPEN_URL']}/api/sessions/{tender}/bundle") as got:
        bundle.write_bytes(got.read())
    checked = shell.run("verify", str(bundle))
    assert "signed by their bidders' own keys" in checked.stdout
    assert checked.stdout.strip().endswith("VERIFIED")

    anyone = shell.json("host", "record", tender)
    assert anyone["signature_valid"] is True
    assert anyone["sha256"] == published["sha256"]
    recorded = {bid["bidder"]: bid["bid_sha256"] for bid in anyone["record"]["bids"]}
    assert recorded == {bidder_ids[name]: bid_hashes[name] for name in names}
    log = shell.host("log", tender)
    assert [entry["seq"] for entry in log] == list(range(1, len(log) + 1))
    assert log[-1]["kind"] == "record_published"
