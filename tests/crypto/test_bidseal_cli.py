"""The command line through ``python -m bidseal``: round trip, refusals, no partial output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bidseal.codec import b64u_decode
from bidseal.format import SIGNATURE_LEN
from bidseal.keys import BidderKeys, write_key_dir

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bidseal", *map(str, args)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    (root / "pass").write_text("口令 passphrase\n", encoding="utf-8")
    (root / "summary.json").write_text(
        json.dumps({"items": {"price": "1234567.89", "duration_days": "180"}}), encoding="utf-8"
    )
    (root / "投标文件.pdf").write_bytes(os.urandom(300_000))
    made = run("keygen", "--out", root / "keys", "--passphrase-file", root / "pass",
               "--iterations", "1000")  # fmt: skip
    assert made.returncode == 0, made.stderr
    sealed = run(
        "seal", root / "投标文件.pdf", "--key-dir", root / "keys",
        "--context", "ZB-2026-0001/1/BD0A1B2C3D4E", "--summary", root / "summary.json",
        "--out", root / "bid.sealed", "--passphrase-file", root / "pass",
        "--chunk-size", "65536",
    )  # fmt: skip
    assert sealed.returncode == 0, sealed.stderr
    return root


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_round_trip(workspace: Path, tmp_path: Path) -> None:
    opened = run(
        "open", workspace / "bid.sealed", "--key-dir", workspace / "keys",
        "--out", tmp_path / "out.pdf", "--summary-out", tmp_path / "summary.json",
        "--passphrase-file", workspace / "pass",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert (tmp_path / "out.pdf").read_bytes() == (workspace / "投标文件.pdf").read_bytes()
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary == {
        "items": {"price": "1234567.89", "duration_days": "180"},
        "document": {"name": "投标文件.pdf"},
    }
    assert "bid_sha256" in opened.stdout


def test_inspect_json(workspace: Path) -> None:
    inspected = run("inspect", workspace / "bid.sealed", "--json")
    assert inspected.returncode == 0, inspected.stderr
    described = json.loads(inspected.stdout)
    public = json.loads((workspace / "keys" / "bidder-public.json").read_text())
    assert described["tender"] == "ZB-2026-0001"
    assert described["bidder"] == "BD0A1B2C3D4E"
    assert described["size"] == 300_000
    assert described["chunk_count"] == 5
    assert described["file_size"] == (workspace / "bid.sealed").stat().st_size
    assert len(described["bid_sha256"]) == 64
    assert public["format"] == "bidseal-public-key/1"


def test_inspect_text_and_invalid_file(workspace: Path, tmp_path: Path) -> None:
    assert "signature verified" in run("inspect", workspace / "bid.sealed").stdout
    damaged = tmp_path / "damaged.sealed"
    data = bytearray((workspace / "bid.sealed").read_bytes())
    data[100] ^= 1
    damaged.write_bytes(bytes(data))
    result = run("inspect", damaged)
    assert result.returncode == 1
    assert "invalid sealed bid" in result.stderr
    assert result.stdout == ""


def test_tampered_last_chunk_leaves_no_output(workspace: Path, tmp_path: Path) -> None:
    # Tampering the last chunk is only noticed at the very end, after earlier chunks were written.
    data = bytearray((workspace / "bid.sealed").read_bytes())
    data[-SIGNATURE_LEN - 1] ^= 1
    tampered = tmp_path / "tampered.sealed"
    tampered.write_bytes(bytes(data))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = run(
        "open", tampered, "--key-dir", workspace / "keys", "--out", out_dir / "doc.pdf",
        "--summary-out", out_dir / "summary.json", "--passphrase-file", workspace / "pass",
    )  # fmt: skip
    assert result.returncode == 1
    assert "invalid sealed bid" in result.stderr
    assert files_in(out_dir) == set()


def test_wrong_passphrase(workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "wrong").write_text("nope\n")
    result = run(
        "open", workspace / "bid.sealed", "--key-dir", workspace / "keys",
        "--out", tmp_path / "doc", "--passphrase-file", tmp_path / "wrong",
    )  # fmt: skip
    assert result.returncode == 1
    assert "wrong passphrase or damaged key file" in result.stderr
    assert not (tmp_path / "doc").exists()


OPAQUE = "error: invalid sealed bid\n"


def test_every_failure_to_open_is_the_one_opaque_error(workspace: Path, tmp_path: Path) -> None:
    # Format section 3: a wrong key, another context, a damaged or a foreign file all
    # read the same, as in the browser (InvalidSealedBidError, "invalid sealed bid").
    made = run("keygen", "--out", tmp_path / "other", "--passphrase-file", workspace / "pass",
               "--iterations", "1000")  # fmt: skip
    assert made.returncode == 0
    damaged = tmp_path / "damaged.sealed"
    data = bytearray((workspace / "bid.sealed").read_bytes())
    data[-SIGNATURE_LEN - 1] ^= 1
    damaged.write_bytes(bytes(data))
    foreign = tmp_path / "foreign.sealed"
    foreign.write_bytes(b"%PDF-1.7 not a sealed bid")
    own = ["--key-dir", workspace / "keys", "--passphrase-file", workspace / "pass"]
    attempts: list[list[str | Path]] = [
        [workspace / "bid.sealed", "--key-dir", tmp_path / "other",
         "--passphrase-file", workspace / "pass"],
        [workspace / "bid.sealed", *own, "--expect-context", "ZB-2026-0001", "2", "BD0A1B2C3D4E"],
        [damaged, *own],
        [foreign, *own],
    ]  # fmt: skip
    for attempt in attempts:
        result = run("open", *attempt, "--out", tmp_path / "doc")
        assert (result.returncode, result.stderr, result.stdout) == (1, OPAQUE, ""), attempt
        assert not (tmp_path / "doc").exists()


def test_another_key_or_context_is_refused_before_the_passphrase(
    workspace: Path, tmp_path: Path
) -> None:
    # No passphrase file and no terminal: the refusal comes first, without a PBKDF2 run.
    result = run(
        "open", workspace / "bid.sealed", "--key-dir", workspace / "keys",
        "--out", tmp_path / "doc", "--expect-context", "ZB-2026-0001", "1", "另一家公司",
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (1, OPAQUE)


def test_open_with_the_expected_context(workspace: Path, tmp_path: Path) -> None:
    result = run(
        "open", workspace / "bid.sealed", "--key-dir", workspace / "keys",
        "--passphrase-file", workspace / "pass", "--out", tmp_path / "doc",
        "--expect-context", "ZB-2026-0001", "1", "BD0A1B2C3D4E",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "doc").read_bytes() == (workspace / "投标文件.pdf").read_bytes()
    empty = run(
        "open", workspace / "bid.sealed", "--key-dir", workspace / "keys",
        "--passphrase-file", workspace / "pass", "--out", tmp_path / "doc2",
        "--expect-context", "ZB-2026-0001", "", "BD0A1B2C3D4E",
    )  # fmt: skip
    assert empty.returncode == 1
    assert "--expect-context: lot must have 1 to 128 characters" in empty.stderr


def test_an_expected_id_may_hold_a_slash(workspace: Path, tmp_path: Path) -> None:
    # The format allows any 1..128 code points in an id; three arguments need no separator.
    vectors = json.loads((VECTORS / "sealed-bid-v1.json").read_text(encoding="utf-8"))
    vector = next(v for v in vectors["vectors"] if v["name"] == "non-ascii-context")
    assert "/" in vector["context"]["tender"]
    keys = vectors["keys"]
    write_key_dir(
        tmp_path / "keys",
        BidderKeys.from_scalars(
            bytes.fromhex(keys["encryption_private"]), bytes.fromhex(keys["signing_private"])
        ),
        "口令 passphrase",
        iterations=1000,
    )
    (tmp_path / "bid.sealed").write_bytes(b64u_decode(vector["sealed"]))
    context = vector["context"]
    result = run(
        "open", tmp_path / "bid.sealed", "--key-dir", tmp_path / "keys",
        "--passphrase-file", workspace / "pass", "--out", tmp_path / "doc",
        "--expect-context", context["tender"], context["lot"], context["bidder"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "doc").read_bytes().hex() == vector["document"]


def test_inspect_reads_standard_input(workspace: Path) -> None:
    piped = subprocess.run(
        [sys.executable, "-m", "bidseal", "inspect", "-", "--json"],
        input=(workspace / "bid.sealed").read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["bidder"] == "BD0A1B2C3D4E"


def test_inspect_of_a_pipe_stops_at_a_wrong_first_byte() -> None:
    # The writer keeps the pipe open: only the first byte can end the reading.
    with subprocess.Popen(
        [sys.executable, "-m", "bidseal", "inspect", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdin is not None and process.stderr is not None
        process.stdin.write(b"%")
        process.stdin.flush()
        try:
            returncode = process.wait(timeout=60)
        finally:
            process.kill()
        assert returncode == 1
        assert process.stderr.read() == OPAQUE.encode()


def test_outputs_are_never_overwritten_without_force(workspace: Path, tmp_path: Path) -> None:
    existing = tmp_path / "existing"
    existing.write_bytes(b"keep me")
    common: list[str | Path] = [
        "--key-dir",
        workspace / "keys",
        "--passphrase-file",
        workspace / "pass",
    ]
    sealed = run(
        "seal", workspace / "投标文件.pdf", "--context", "T/L/B",
        "--summary", workspace / "summary.json", "--out", existing, *common,
    )  # fmt: skip
    opened = run("open", workspace / "bid.sealed", "--out", existing, *common)
    for result in (sealed, opened):
        assert result.returncode == 1
        assert "already exists" in result.stderr
    assert existing.read_bytes() == b"keep me"
    forced = run("open", workspace / "bid.sealed", "--out", existing, "--force", *common)
    assert forced.returncode == 0, forced.stderr
    assert existing.read_bytes() == (workspace / "投标文件.pdf").read_bytes()


def test_keygen_refusals(workspace: Path, tmp_path: Path) -> None:
    no_tty = run("keygen", "--out", tmp_path / "k")
    assert no_tty.returncode == 1
    assert "--passphrase-file" in no_tty.stderr
    assert not (tmp_path / "k").exists()
    again = run("keygen", "--out", workspace / "keys", "--passphrase-file", workspace / "pass")
    assert again.returncode == 1
    assert "refusing to overwrite" in again.stderr
    bad = run("keygen", "--out", tmp_path / "k", "--passphrase-file", workspace / "pass",
              "--iterations", "10")  # fmt: skip
    assert bad.returncode == 1
    assert "--iterations" in bad.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--context", "only/two"], "TENDER/LOT/BIDDER"),
        (["--context", "rehearsal/1/b"], "reserved"),
        (["--context", "T/标段一/B"], "id pattern"),
        (["--chunk-size", "10"], "chunk size"),
        (["--summary", "missing.json"], "cannot read summary"),
        (["--summary", "bad-summary.json"], "decimal strings"),
        (["--summary", "bom-summary.json"], "starts with a byte-order mark"),
        (["--summary", "nan-summary.json"], "NaN is not JSON"),
    ],
)
def test_seal_refusals(workspace: Path, tmp_path: Path, change: list[str], message: str) -> None:
    (workspace / "bad-summary.json").write_text('{"items": {"price": 12.5}}')
    # The JSON profile (format 0.1) holds for the file a bidder writes too, with its reason.
    (workspace / "bom-summary.json").write_bytes(b'\xef\xbb\xbf{"items": {"price": "1"}}')
    (workspace / "nan-summary.json").write_text('{"items": {"price": "1"}, "x": NaN}')
    options = {
        "--context": "T/L/B",
        "--summary": str(workspace / "summary.json"),
        "--chunk-size": "64",
    }
    options[change[0]] = change[1]
    args = [item for pair in options.items() for item in pair]
    result = run(
        "seal", workspace / "投标文件.pdf", "--key-dir", workspace / "keys",
        "--passphrase-file", workspace / "pass", "--out", tmp_path / "x.sealed", *args,
        cwd=workspace,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert files_in(tmp_path) == set()


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    assert run("seal").returncode == 2


TENDER = {
    "readout_items": [
        {"key": "price", "label_zh": "投标报价（元）", "label_en": "Bid price", "type": "amount"},
        {"key": "duration_days", "label_zh": "工期（日历天）", "label_en": "Days", "type": "days"},
    ]
}


@pytest.mark.parametrize("price", ["三百二十万", "8,650,000", "-1"])
def test_seal_refuses_a_value_not_of_its_type_naming_the_item(
    workspace: Path, tmp_path: Path, price: str
) -> None:
    (tmp_path / "tender.json").write_text(json.dumps(TENDER), encoding="utf-8")
    summary = tmp_path / "typed.json"
    summary.write_text(json.dumps({"items": {"price": price, "duration_days": "180"}}), "utf-8")
    result = run(
        "seal", workspace / "投标文件.pdf", "--key-dir", workspace / "keys",
        "--passphrase-file", workspace / "pass", "--out", tmp_path / "x.sealed",
        "--context", "T/L/B", "--summary", summary, "--tender-file", tmp_path / "tender.json",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert "price (投标报价（元）)" in result.stderr and "not an amount in yuan" in result.stderr
    assert not (tmp_path / "x.sealed").exists()


def test_seal_with_types_seals_the_canonical_amount_and_shows_it_back(
    workspace: Path, tmp_path: Path
) -> None:
    (tmp_path / "tender.json").write_text(json.dumps(TENDER), encoding="utf-8")
    summary = tmp_path / "typed.json"
    summary.write_text(json.dumps({"items": {"price": "8650000", "duration_days": "180"}}), "utf-8")
    sealed = run(
        "seal", workspace / "投标文件.pdf", "--key-dir", workspace / "keys",
        "--passphrase-file", workspace / "pass", "--out", tmp_path / "x.sealed",
        "--context", "T/L/B", "--summary", summary, "--tender-file", tmp_path / "tender.json",
    )  # fmt: skip
    assert sealed.returncode == 0, sealed.stderr
    assert "投标报价（元）: 8,650,000.00 (捌佰陆拾伍万元整)" in sealed.stdout
    opened = run(
        "open", tmp_path / "x.sealed", "--key-dir", workspace / "keys",
        "--out", tmp_path / "out.pdf", "--passphrase-file", workspace / "pass",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert '"price": "8650000.00"' in opened.stdout
