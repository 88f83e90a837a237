"""The quick start's demo: `bidopen serve --demo` runs a whole opening a newcomer can watch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bidopen.client.documents import ServerKeyInfo, verify_signed
from hubprocess import free_port

# At speed 12 the demo's countdown is ten seconds and its windows five (the minimum): the
# same round a newcomer watches, at a pace nobody could follow.
_SPEED = 12
_WHOLE_OPENING_S = 180


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _serve(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    """`bidopen serve --demo` on the data folder of `tmp_path`, its output appended to serve.log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIDOPEN_")}
    with (tmp_path / "serve.log").open("ab") as log:
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "bidopen", "serve", "--demo"),
                *("--data-dir", str(tmp_path / "data"), "--port", str(port)),
            ],
            env={**env, "PYTHONUNBUFFERED": "1", "BIDOPEN_DEMO_SPEED": str(_SPEED)},
            stdout=log,
            stderr=log,
        )


def _stop(serve: subprocess.Popen[bytes]) -> None:
    serve.send_signal(signal.SIGINT)
    try:
        serve.wait(30)
    except subprocess.TimeoutExpired:
        serve.kill()


def _demo_tenders(base: str) -> list[dict[str, Any]]:
    try:
        return list(_get(f"{base}/api/tenders")["tenders"])
    except (urllib.error.URLError, OSError):
        return []


@pytest.mark.slow
def test_the_demo_runs_an_opening_to_its_published_result(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    serve = _serve(tmp_path, port)
    try:
        record: Any = None
        give_up = time.monotonic() + _WHOLE_OPENING_S
        while record is None and time.monotonic() < give_up:
            assert serve.poll() is None, log_path.read_text(errors="replace")[-3000:]
            time.sleep(2)
            try:
                tenders = _get(f"{base}/api/tenders")
            except (urllib.error.URLError, OSError):
                continue
            for tender in tenders.get("tenders", []):
                try:
                    record = _get(f"{base}/api/sessions/{tender['id']}/record")
                except urllib.error.HTTPError:
                    continue
        assert record is not None, log_path.read_text(errors="replace")[-3000:]

        document = verify_signed(
            record, "opening-record", ServerKeyInfo.from_json(_get(f"{base}/api/server-key"))
        )
        payload = document.payload
        statuses = sorted(bid["status"] for bid in payload["bids"])
        assert statuses == ["opened", "opened", "opened", "opened", "revoked"]
        (objection,) = payload["objections"]
        assert objection["answer"]
        names = {bid["bidder_name"] for bid in payload["bids"]}
        assert "江南路桥工程有限公司" in names
        assert "demo" not in payload["tender"]["title"]
        pace = _get(f"{base}/api/demo")
        assert pace["demo"] is True and pace["speed"] == _SPEED

        # Then the evaluation: its stages, the test pattern, a result with its reasons.
        tender_id = payload["tender"]["id"]
        view: Any = {}
        while time.monotonic() < give_up and view.get("phase") != "result_published":
            assert serve.poll() is None, log_path.read_text(errors="replace")[-3000:]
            time.sleep(1)
            view = _get(f"{base}/api/sessions/{tender_id}")["view"]
        assert view.get("phase") == "result_published", view.get("phase")
        assert view["evaluation_stage"] == "report"
        result = verify_signed(
            _get(f"{base}/api/sessions/{tender_id}/results/1"),
            "evaluation-result",
            ServerKeyInfo.from_json(_get(f"{base}/api/server-key")),
        ).payload
        # Three candidates with their prices, the dearest opened bid rejected under a clause.
        assert result["outcome"] == "candidates"
        assert [c["rank"] for c in result["candidates"]] == [1, 2, 3]
        assert all(c["price"] for c in result["candidates"])
        [(_, rejected)] = result["reasons"].items()
        assert rejected["disposition"] == "rejected" and rejected["clause"]
        assert set(result["bidder_names"].values()) <= {name for name in names}
        # The demo's publicity is shortened, and says so; a real tender's stays three days.
        assert result["demo_publicity_seconds"] == pace["publicity_seconds"]
        assert result["publicity_days"] == pace["publicity_days"] == 3
    finally:
        _stop(serve)
    output = log_path.read_text(errors="replace")
    assert "Traceback" not in output
    # The terminal keeps the banner: no access log unless asked for.
    assert "GET /api/" not in output, output[-2000:]
    banner = tmp_path / "data" / "banner.txt"
    assert "demo host login" in banner.read_text()
    assert banner.stat().st_mode & 0o777 == 0o600  # it holds the demo password


@pytest.mark.slow
def test_a_restart_mid_round_ends_that_round_visibly_and_numbering_goes_on(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    serve = _serve(tmp_path, port)
    try:
        give_up = time.monotonic() + 60
        while not _demo_tenders(base) and time.monotonic() < give_up:
            assert serve.poll() is None, log_path.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        (first,) = _demo_tenders(base)
        assert first["title"].startswith("演示项目第1期"), first["title"]
    finally:
        _stop(serve)  # mid-round: the countdown of round 1 is running
    serve = _serve(tmp_path, port)
    try:
        give_up = time.monotonic() + 60
        titles: list[str] = []
        while time.monotonic() < give_up:
            assert serve.poll() is None, log_path.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
            tenders = _demo_tenders(base)
            titles = [tender["title"] for tender in tenders]
            if any(title.startswith("演示项目第2期") for title in titles):
                break
        assert sorted(title[:7] for title in titles) == ["演示项目第1期", "演示项目第2期"], titles
        view = _get(f"{base}/api/sessions/{first['id']}")["view"]
        assert view["phase"] == "aborted"
        assert "重启" in view["aborted"]["reason"]
    finally:
        _stop(serve)
    assert "Traceback" not in log_path.read_text(errors="replace")
