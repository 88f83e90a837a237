"""An opening whose bidders seal real documents, read out over REST, for the document tests."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation_kit import wait_for_phase
from hubtesting import Bidder, HubApi, data_key_of

from bidseal import BidContext, read_header, seal

LOT = "1"


@dataclass
class DocumentOpening:
    """A session at its read-out: who bid what, and the data keys the bidders sent."""

    tender_id: str
    bidders: dict[str, Bidder]
    documents: dict[str, bytes]
    data_keys: dict[str, str] = field(default_factory=dict)

    def path(self, name: str) -> str:
        bidder = self.bidders[name]
        return f"/api/tenders/{self.tender_id}/lots/{LOT}/bids/{bidder.id}/document"


def seal_document(bidder: Bidder, tender: str, document: bytes, name: str) -> bytes:
    out = io.BytesIO()
    seal(
        io.BytesIO(document),
        out,
        keys=bidder.keys,
        context=BidContext(tender, LOT, bidder.id),
        summary={
            "items": {"price": "1000000.00", "duration_days": "180"},
            "document": {"name": name},
        },
        # Several chunks even for small documents, so a late chunk can be damaged on its own.
        chunk_size=4096,
    )
    return out.getvalue()


async def open_with_documents(
    api: HubApi,
    host: Any,
    documents: dict[str, bytes],
    *,
    withheld: frozenset[str] = frozenset(),
    deadline_in: float = 3.0,
    decryption_seconds: int = 30 * 60,
    before_read_out: Any = None,
) -> DocumentOpening:
    """Bids with these documents; every bidder not `withheld` sends its data key.

    With a bidder withheld the window must run out (give a window of a few seconds that
    still holds the keys and `before_read_out`); otherwise the host closes decryption at
    once. `before_read_out(opening)` runs while decryption is open.
    """
    await api.login_host(host.host_user, host.host_password)
    bidders = {name: await api.register(name) for name in documents}
    tender = await api.create_tender(
        deadline_in=deadline_in, lots=(LOT,), decryption_seconds=decryption_seconds
    )
    tid = tender["id"]
    opening = DocumentOpening(tid, bidders, documents)
    sealed = {}
    for name, bidder in bidders.items():
        sealed[name] = seal_document(bidder, tid, documents[name], f"{name}-投标文件.pdf")
        status, body = await api.upload(bidder, tid, LOT, sealed[name])
        assert status == 201, body
    await wait_for_phase(api, tid, "opening")
    await api.host(tid, "start_decryption")
    for name, bidder in bidders.items():
        await api.call("POST", f"/api/sessions/{tid}/sign-in", headers=bidder.auth, expect=200)
        if name in withheld:
            continue
        key = data_key_of(bidder, sealed[name], tid, LOT)
        opening.data_keys[name] = key
        await api.call(
            "POST",
            f"/api/tenders/{tid}/lots/{LOT}/data-key",
            headers=bidder.auth,
            json={"data_key": key},
            expect=200,
        )
    if before_read_out is not None:
        await before_read_out(opening)
    if not withheld:
        await api.host(tid, "close_decryption")
    await wait_for_phase(api, tid, "confirmation", within=120.0)
    return opening


def sealed_file_of(data_dir: Path, opening: DocumentOpening, name: str) -> Path:
    """The stored sealed file of a bidder's bid, found by the context in its header.

    File names are random (docs/operations.md, the data folder): only the file says whose it is.
    """
    wanted = BidContext(opening.tender_id, LOT, opening.bidders[name].id)
    found = []
    for path in (data_dir / "bids").rglob("*.bid"):
        with path.open("rb") as handle:
            if read_header(handle).context == wanted:
                found.append(path)
    (path,) = found
    return path
