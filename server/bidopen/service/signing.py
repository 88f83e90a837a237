"""The server's signing key: created on first start in the data folder (0600), then reused."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bidopen.service.keyfiles import load_or_create
from bidseal import ServerKey, sign_document
from bidseal.codec import b64u_encode


class ServerSigner:
    """Signs receipts, withdrawals, records and results (sealed-bid format, section 4)."""

    def __init__(self, key: ServerKey) -> None:
        self._key = key

    @classmethod
    def load_or_create(cls, path: Path) -> ServerSigner:
        return cls(load_or_create(path, ServerKey, "server signing key"))

    @property
    def key_id(self) -> str:
        return self._key.key_id

    @property
    def public_key(self) -> bytes:
        return self._key.public_key

    def public_description(self) -> dict[str, str]:
        return {
            "format": "bidseal-server-key/1",
            "key": b64u_encode(self._key.public_key),
            "key_id": self._key.key_id,
            "algorithm": "ECDSA-P256-SHA256",
        }

    def sign(self, document_type: str, payload: Mapping[str, Any]) -> dict[str, str]:
        return sign_document(document_type, payload, self._key)


def document_text(envelope: Mapping[str, str]) -> str:
    """The stored and served form of a signed envelope."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
