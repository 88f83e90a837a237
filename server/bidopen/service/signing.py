"""The server's signing key: made once in the data folder (0600), rotated only on demand."""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bidopen.clock import iso
from bidopen.service.keyfiles import FolderKey
from bidseal import ServerKey, sign_document
from bidseal.codec import b64u_decode, b64u_encode
from bidseal.p256 import key_id as key_id_of

log = logging.getLogger("bidopen.signing")

SERVER_KEY_FILE = "server-key.pem"
# The public keys of earlier signing keys, kept by `bidopen server-key rotate`, so that every
# document the hub ever signed still verifies against a key it serves.
RETIRED_KEYS_FILE = "server-keys-retired.json"


@dataclass(frozen=True)
class RetiredKey:
    key_id: str
    public_key: bytes
    retired_at: str


def describe(public_key: bytes, **extra: str) -> dict[str, str]:
    return {
        "format": "bidseal-server-key/1",
        "key": b64u_encode(public_key),
        "key_id": key_id_of(public_key),
        "algorithm": "ECDSA-P256-SHA256",
        **extra,
    }


def read_retired(data_dir: Path) -> list[RetiredKey]:
    path = data_dir / RETIRED_KEYS_FILE
    if not path.exists():
        return []
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [RetiredKey(e["key_id"], b64u_decode(e["key"]), e["retired_at"]) for e in entries]


def _write_retired(data_dir: Path, retired: list[RetiredKey]) -> None:
    entries = [
        {"key_id": r.key_id, "key": b64u_encode(r.public_key), "retired_at": r.retired_at}
        for r in retired
    ]
    temp = data_dir / f".{secrets.token_hex(8)}.tmp"
    temp.write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")
    os.replace(temp, data_dir / RETIRED_KEYS_FILE)


class ServerSigner:
    """Signs receipts, withdrawals, records, results and log heads (sealed-bid format, section 4).

    A missing key file is not replaced at once: `open` makes a key in memory and the start
    checks save it (`file.save_new()`) only once they know that no document was signed
    before, so a lost key is a refusal to start, never a silent new identity.
    """

    def __init__(self, key: FolderKey[ServerKey], retired: list[RetiredKey] | None = None) -> None:
        self.file = key
        self._retired = list(retired or [])

    @classmethod
    def open(cls, data_dir: Path) -> ServerSigner:
        key = FolderKey(data_dir / SERVER_KEY_FILE, ServerKey, "server signing key")
        return cls(key, read_retired(data_dir))

    @property
    def _key(self) -> ServerKey:
        return self.file.key

    @property
    def key_id(self) -> str:
        return self._key.key_id

    @property
    def public_key(self) -> bytes:
        return self._key.public_key

    def trusted_keys(self) -> list[bytes]:
        """The current public key, then the retired ones, newest first."""
        return [self._key.public_key, *(r.public_key for r in reversed(self._retired))]

    def public_description(self) -> dict[str, str]:
        return describe(self._key.public_key)

    def description_of(self, key_id: str) -> dict[str, str] | None:
        """The current or a retired key by its id (documents name the key that signed them)."""
        if key_id == self.key_id:
            return self.public_description()
        for retired in self._retired:
            if retired.key_id == key_id:
                return describe(retired.public_key, retired_at=retired.retired_at)
        return None

    def sign(self, document_type: str, payload: Mapping[str, Any]) -> dict[str, str]:
        return sign_document(document_type, payload, self._key)


def rotate(data_dir: Path, now: Any) -> tuple[str, str]:
    """Retire the current key (its public key stays served) and make a new one.

    Returns (old key id, new key id). Run with every hub of the data folder stopped.
    """
    path = data_dir / SERVER_KEY_FILE
    old = ServerKey.load(path)
    retired = read_retired(data_dir)
    if all(r.key_id != old.key_id for r in retired):
        retired.append(RetiredKey(old.key_id, old.public_key, iso(now)))
        _write_retired(data_dir, retired)
    new = ServerKey.generate()
    temp = data_dir / f".{secrets.token_hex(8)}.pem"
    new.save(temp)
    os.replace(temp, path)
    return old.key_id, new.key_id


def document_text(envelope: Mapping[str, str]) -> str:
    """The stored and served form of a signed envelope."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
