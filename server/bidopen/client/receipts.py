"""The receipts and withdrawals a bidder's client keeps, so that it never has to ask the hub.

The command line keeps them in `KEYDIR/receipts.jsonl`, one signed envelope per line, in the
order they arrived (appended and synced; never rewritten). The client decides what it may
open from this book alone (`bidopen.client.release`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bidopen.client.documents import SignedDocument
from bidopen.client.errors import ClientError
from bidopen.client.release import BidDocument
from bidseal import InvalidSignedDocument, verify_document
from bidseal.codec import b64u_decode
from bidseal.strictjson import StrictJsonError, read_json

BOOK_NAME = "receipts.jsonl"
_KINDS = ("receipt", "withdrawal")


def bid_document(envelope: Mapping[str, Any]) -> BidDocument:
    """A receipt or withdrawal checked against the key it names (its integrity, not its signer).

    The signer was checked against the hub's key when the document arrived; later, a document
    is only compared with documents signed by the same key.
    """
    kind = envelope.get("type")
    if kind not in _KINDS:
        raise ClientError("document_invalid", f"not a receipt or withdrawal: {kind!r}")
    try:
        payload = verify_document(envelope, str(kind), None)
        key = b64u_decode(str(envelope["key"]))
    except (InvalidSignedDocument, ValueError) as error:
        raise ClientError("document_invalid", f"the {kind} does not verify: {error}") from None
    return BidDocument.from_payload(str(kind), payload, key)


class ReceiptBook:
    """Kept receipts and withdrawals, oldest first; in memory, or also in a file."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._documents: list[BidDocument] = []
        if path is not None and path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    envelope = read_json(line)
                except StrictJsonError as error:
                    raise ClientError(
                        "document_invalid", f"{path}:{number}: not a signed document: {error}"
                    ) from None
                if not isinstance(envelope, dict):
                    raise ClientError("document_invalid", f"{path}:{number}: not an object")
                self._documents.append(bid_document(envelope))

    @classmethod
    def in_key_dir(cls, key_dir: Path) -> ReceiptBook:
        return cls(key_dir / BOOK_NAME)

    @property
    def documents(self) -> tuple[BidDocument, ...]:
        return tuple(self._documents)

    def keep(self, document: SignedDocument | Mapping[str, Any]) -> BidDocument:
        """Add a receipt or withdrawal; in the file it is synced before this returns."""
        envelope = dict(document.envelope if isinstance(document, SignedDocument) else document)
        kept = bid_document(envelope)
        if self._path is not None:
            line = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")) + "\n"
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        self._documents.append(kept)
        return kept
