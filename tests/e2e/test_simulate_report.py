"""`bidopen simulate` as a newcomer runs it: its own hub process, a small crowd, one report."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bidopen.simulate.options import SimulationOptions

pytestmark = pytest.mark.slow

# One failing bidder keeps the decryption window open until it runs out.
RUN_TIMEOUT_S = 180


def _simulate(*args: str, data_dir: Path) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "bidopen", "simulate", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, report, done.stderr


def test_small_simulation_reports_every_field(tmp_path: Path) -> None:
    code, report, stderr = _simulate(
        "--bidders", "5", "--viewers", "20", "--fail", "1", "--object", "1", data_dir=tmp_path
    )
    assert code == 0, stderr
    assert report["ok"] is True
    assert report["problems"] == []
    assert report["bidders"] == 5
    assert report["viewers"] == 20
    assert report["fail"] == 1
    assert report["object"] == 1
    assert report["server"] == "spawned"
    assert re.fullmatch(r"ZB-\d{4}-\d{6}", report["tender"])
    assert report["bids"] == {"received": 5, "opened": 4, "revoked": 1, "withdrawn": 0}
    assert report["objections"] == {"raised": 1, "answered": 1}
    # The objector confirms once answered, so nobody is left to be deemed to accept.
    assert report["confirmations"] == {"confirmed": 5, "deemed_accepted": 0}
    record = report["record"]
    assert re.fullmatch(r"[0-9a-f]{64}", record["sha256"])
    assert record["signature_valid"] is True
    assert record["matches_readout"] is True
    assert record["matches_log"] is True
    assert report["viewers_joined"] == 20
    assert report["viewers_with_readout"] == 20
    assert report["viewers_with_record"] == 20
    assert report["readout_variants"] == 1

    timings = report["timings_ms"]
    # The failing bidder's bid stays sealed until the window runs out.
    window_s = SimulationOptions(bidders=5, viewers=20).window_seconds
    assert timings["deadline_to_readout"] >= window_s * 1000
    spread = [
        timings["readout_to_viewer_p50"],
        timings["readout_to_viewer_p99"],
        timings["readout_to_last_viewer"],
    ]
    assert all(isinstance(t, float) and t >= 0 for t in spread)
    assert spread == sorted(spread)
    for phase in ("hub_started", "bidders_registered", "bids_uploaded", "viewers_seated"):
        assert timings[phase] > 0
    assert timings["total"] > timings["deadline_to_readout"]

    memory = report["rss_mib"]
    assert set(memory) == {"server", "viewer_workers", "driver"}
    assert all(isinstance(mib, float) and mib > 0 for mib in memory.values())
    assert report["peak_rss_mib"] == pytest.approx(sum(memory.values()), abs=0.2)
    cpu = report["cpu_s"]
    assert set(cpu) == {"server", "viewer_workers", "driver"}
    assert all(isinstance(seconds, float) and seconds > 0 for seconds in cpu.values())
    assert report["machine"]["cpus"] >= 1

    # The hub's data stays where it was asked to be: the record is in its database.
    assert (tmp_path / "bidopen.db").is_file()
    assert "record published" in stderr


def test_impossible_options_are_refused_before_anything_starts(tmp_path: Path) -> None:
    code, report, stderr = _simulate(
        "--bidders", "3", "--viewers", "0", "--fail", "4", data_dir=tmp_path / "never"
    )
    assert code == 2
    assert report == {}
    assert "--fail" in stderr
    assert not (tmp_path / "never").exists()
