"""The platform's archive key: created on first start in the data folder (0600), then reused."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bidopen.errors import HubError
from bidopen.service.keyfiles import FolderKey
from bidseal import ArchiveKey, InvalidSealedBid
from bidseal.codec import b64u_decode, b64u_encode

log = logging.getLogger("bidopen.archive")

ARCHIVE_KEY_FILE = "archive-key.json"


def archive_key_path(data_dir: Path) -> Path:
    """Next to the server's signing key; backed up with the database (docs/operations.md)."""
    return data_dir / ARCHIVE_KEY_FILE


def _label(tender_id: str, lot_id: str, bidder_id: str, bid_sha256: str) -> bytes:
    # A wrapped key opens nothing if it is copied to another bid's row.
    return json.dumps([tender_id, lot_id, bidder_id, bid_sha256]).encode()


class BidArchive:
    """Wraps the data keys of opened bids for keeping, and unwraps them for a reader."""

    def __init__(self, key: FolderKey[ArchiveKey]) -> None:
        self.file = key

    @classmethod
    def open(cls, path: Path) -> BidArchive:
        return cls(FolderKey(path, ArchiveKey, "archive key"))

    @property
    def _key(self) -> ArchiveKey:
        return self.file.key

    @property
    def key_id(self) -> str:
        return self._key.key_id

    def wrap(
        self, data_key: bytes, tender_id: str, lot_id: str, bidder_id: str, bid_sha256: str
    ) -> str:
        """The data key wrapped for this bid, as b64u text for the database."""
        label = _label(tender_id, lot_id, bidder_id, bid_sha256)
        return b64u_encode(self._key.wrap(data_key, label))

    def unwrap(
        self,
        wrapped: str,
        key_id: str,
        tender_id: str,
        lot_id: str,
        bidder_id: str,
        bid_sha256: str,
    ) -> bytes:
        """The data key; `document_unavailable` if this hub's archive key did not wrap it."""
        if key_id != self._key.key_id:
            log.error(
                "document of %s/%s/%s wrapped by archive key %s",
                tender_id,
                lot_id,
                bidder_id,
                key_id,
            )
            raise HubError("document_unavailable", "It was kept under another archive key.")
        try:
            return self._key.unwrap(
                b64u_decode(wrapped), _label(tender_id, lot_id, bidder_id, bid_sha256)
            )
        except (InvalidSealedBid, ValueError):
            log.error("the wrapped key of %s/%s/%s does not unwrap", tender_id, lot_id, bidder_id)
            raise HubError("document_unavailable", "Its kept key is damaged.") from None
