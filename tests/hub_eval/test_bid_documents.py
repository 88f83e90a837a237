"""Opened bid documents for the evaluation: read after the read-out only, by the host or their
bidder, streamed whole or not at all, with every read logged and no data key kept in the clear."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from documents_kit import DocumentOpening, open_with_documents, sealed_file_of
from hubtesting import HubApi

from bidopen.client import ClientError, HostClient
from bidopen.client.bid_documents import download_document
from bidopen.client.rest import HubHttp
from bidseal.codec import b64u_decode

# The `hub_process` fixture of tests/conftest.py (a HubProcess).
HubProcess = Any

pytestmark = pytest.mark.slow

MIB = 1024 * 1024


@pytest.fixture
def hub_process(shared_hub: HubProcess) -> HubProcess:
    """The tests here share a hub: each makes its own tender and bidders (tests/conftest.py)."""
    return shared_hub


async def refused(api: HubApi, path: str, auth: dict[str, str], status: int, code: str) -> None:
    got, body = await api.call("GET", path, headers=auth)
    assert (got, body["error"]["code"]) == (status, code), body


async def host_client(hub_process: HubProcess) -> HostClient:
    host = HostClient(hub_process.base_url)
    await host.login(hub_process.host_user, hub_process.host_password)
    return host


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_documents_after_the_read_out_to_the_host_and_their_bidder_only(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    api = HubApi(hub_client)
    documents = {
        "甲建设集团": os.urandom(300_000),
        "乙路桥公司": os.urandom(20_000),
        "丙工程有限公司": b"",
        "丁市政公司": os.urandom(5_000),
    }

    async def while_decrypting(opening: DocumentOpening) -> None:
        # Keys are in, prices are not read out yet: no document, to anyone, in any form.
        first = opening.bidders["甲建设集团"]
        for auth in (api.host_auth, first.auth):
            await refused(api, opening.path("甲建设集团"), auth, 409, "document_sealed")
            await refused(
                api, f"/api/tenders/{opening.tender_id}/documents", auth, 409, "document_sealed"
            )
        # The refusal is the same for a bidder who never bid: it tells nobody who did.
        await refused(
            api,
            f"/api/tenders/{opening.tender_id}/lots/1/bids/BD000000000000/document",
            api.host_auth,
            409,
            "document_sealed",
        )

    # 丁 never sends its key: the window runs out and its bid is revoked (撤销).
    opening = await open_with_documents(
        api,
        hub_process,
        documents,
        withheld=frozenset({"丁市政公司"}),
        decryption_seconds=10,
        before_read_out=while_decrypting,
    )
    tid = opening.tender_id
    first, second = opening.bidders["甲建设集团"], opening.bidders["乙路桥公司"]

    # The host downloads each opened document byte for byte as its bidder sealed it.
    async with await host_client(hub_process) as host:
        listing = await host.documents(tid)
        assert [(d.bidder_name, d.size, d.sha256) for d in listing] == sorted(
            (
                (name, len(documents[name]), sha256(documents[name]))
                for name in ("甲建设集团", "乙路桥公司", "丙工程有限公司")
            ),
            key=lambda row: opening.bidders[row[0]].id,
        )
        for name in ("甲建设集团", "丙工程有限公司"):
            out = tmp_path / f"{name}.pdf"
            saved = await host.download_document(tid, "1", opening.bidders[name].id, out)
            assert out.read_bytes() == documents[name]
            assert (saved.size, saved.sha256) == (len(documents[name]), sha256(documents[name]))
        # The revoked bid stays sealed for good, for the host too.
        with pytest.raises(ClientError) as refusal:
            await host.download_document(
                tid, "1", opening.bidders["丁市政公司"].id, tmp_path / "revoked"
            )
        assert (refusal.value.status, refusal.value.code) == (409, "bid_not_opened")
        assert not (tmp_path / "revoked").exists()

    # A bidder reads its own opened document, and nobody else's.
    async with HubHttp(hub_process.base_url) as http:
        http.token = first.token
        await download_document(http, tid, "1", first.id, tmp_path / "mine")
        assert (tmp_path / "mine").read_bytes() == documents["甲建设集团"]
    await refused(api, opening.path("甲建设集团"), second.auth, 403, "not_permitted")
    await refused(api, opening.path("丁市政公司"), second.auth, 403, "not_permitted")
    _, own = await api.call("GET", f"/api/tenders/{tid}/documents", headers=second.auth, expect=200)
    assert [d["bidder"] for d in own["documents"]] == [second.id]
    # The public has no account: the hall sees the read-out, never a document.
    await refused(api, opening.path("甲建设集团"), {}, 401, "unauthenticated")
    await refused(api, f"/api/tenders/{tid}/documents", {}, 401, "unauthenticated")
    await refused(api, f"/api/tenders/{tid}/documents/reads", second.auth, 403, "forbidden")
    await refused(
        api,
        f"/api/tenders/{tid}/lots/1/bids/BD000000000000/document",
        api.host_auth,
        404,
        "document_not_found",
    )

    # Every read is logged, refusals are not: the host's two, then 甲's own.
    _, log = await api.call(
        "GET", f"/api/tenders/{tid}/documents/reads", headers=api.host_auth, expect=200
    )
    assert [(r["reader_role"], r["bidder"]) for r in log["reads"]] == [
        ("host", first.id),
        ("host", opening.bidders["丙工程有限公司"].id),
        ("bidder", first.id),
    ]
    assert all(r["reader"] for r in log["reads"])

    # The data keys rest wrapped under the archive key, never as they were sent.
    key_file = hub_process.data_dir / "archive-key.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    if hub_process.database_url.startswith("sqlite"):
        stored = b"".join(p.read_bytes() for p in hub_process.data_dir.glob("bidopen.db*"))
        assert stored, "the database files were not found"
        for text in opening.data_keys.values():
            raw = b64u_decode(text)
            for form in (raw, text.encode(), raw.hex().encode()):
                assert form not in stored


async def test_a_damaged_sealed_file_is_refused_or_cut_short_never_served_whole(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    api = HubApi(hub_client)
    # Larger than the hub's read block: damage near the end is met after bytes left.
    names = ("甲建设集团", "乙路桥公司", "丙工程有限公司")
    documents = {name: os.urandom(3 * MIB) for name in names}
    opening = await open_with_documents(api, hub_process, documents)
    tid = opening.tender_id

    def flip(name: str, at_fraction: float) -> None:
        path = sealed_file_of(hub_process.data_dir, opening, name)
        data = bytearray(path.read_bytes())
        data[int(len(data) * at_fraction)] ^= 1
        path.chmod(0o644)
        path.write_bytes(bytes(data))

    # Damaged near its start: the first chunk fails before a header is sent, a clear error.
    flip("甲建设集团", 0.1)
    await refused(api, opening.path("甲建设集团"), api.host_auth, 500, "document_damaged")
    # Damaged near its end: the status is sent already, so the hub cuts the connection.
    flip("乙路桥公司", 0.9)
    async with await host_client(hub_process) as host:
        out = tmp_path / "乙.pdf"
        with pytest.raises(ClientError) as refusal:
            await host.download_document(tid, "1", opening.bidders["乙路桥公司"].id, out)
        assert refusal.value.code == "document_incomplete"
        assert not out.exists()
        # The undamaged one still comes whole on the same hub.
        out = tmp_path / "丙.pdf"
        await host.download_document(tid, "1", opening.bidders["丙工程有限公司"].id, out)
        assert out.read_bytes() == documents["丙工程有限公司"]
    assert "document_damaged" not in hub_process.log_text()  # the log says why, not the code
    assert "does not open" in hub_process.log_text()


def _reset_peak_rss(pid: int) -> None:
    # Sets the peak to the present size (Linux >= 4.0), so a later peak is what came after.
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


async def test_a_64_mib_document_streams_in_constant_memory(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    api = HubApi(hub_client)
    big = os.urandom(64 * MIB)
    documents = {"甲建设集团": big, "乙路桥公司": b"small", "丙工程有限公司": b"small too"}
    opening = await open_with_documents(api, hub_process, documents, deadline_in=10.0)
    pid = hub_process.process.pid
    async with await host_client(hub_process) as host:
        # Signed in first: checking a password takes scrypt's 32 MiB, which is not the download's.
        _reset_peak_rss(pid)
        before = _peak_rss_kib(pid)
        out = tmp_path / "big.pdf"
        saved = await host.download_document(
            opening.tender_id, "1", opening.bidders["甲建设集团"].id, out
        )
        growth = _peak_rss_kib(pid) - before
    print(f"hub peak RSS grew by {growth} KiB while streaming a {len(big) // MIB} MiB document")
    assert saved.sha256 == sha256(big) and out.stat().st_size == len(big)
    assert growth < 16 * 1024, growth


async def _bidopen(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bidopen",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_host_command_lists_and_saves_the_documents(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    api = HubApi(hub_client)
    documents = {"甲建设集团": os.urandom(9_000), "乙路桥公司": b"", "丙工程有限公司": b"abc"}
    opening = await open_with_documents(api, hub_process, documents)
    env = {"BIDOPEN_HOST_PASSWORD": hub_process.host_password}
    common = ("--url", hub_process.base_url, "--user", hub_process.host_user, opening.tender_id)

    status, out, err = await _bidopen("host", "documents", *common, env=env)
    assert status == 0, err
    listed = {entry["bidder_name"]: entry for entry in json.loads(out)}
    assert {name: entry["size"] for name, entry in listed.items()} == {
        name: len(document) for name, document in documents.items()
    }

    folder = tmp_path / "评标"
    folder.mkdir()
    status, out, err = await _bidopen("host", "documents", *common, "--out", str(folder), env=env)
    assert status == 0, err
    for entry in json.loads(out):
        saved = folder / Path(entry["path"]).name
        assert str(saved) == entry["path"]
        assert saved.read_bytes() == documents[entry["bidder_name"]]
    # Saving again does not overwrite without --force, and says why.
    status, _, err = await _bidopen("host", "documents", *common, "--out", str(folder), env=env)
    assert status == 2 and "exists" in err
