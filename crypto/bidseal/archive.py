"""The platform's archive key: data keys of opened bids wrapped at rest (AES-256-GCM)."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bidseal.codec import b64u_decode, b64u_encode
from bidseal.errors import InvalidSealedBid
from bidseal.files import write_new_file
from bidseal.format import DATA_KEY_LEN, TAG_LEN
from bidseal.strictjson import read_json

__all__ = ["ARCHIVED_KEY_LEN", "ARCHIVE_KEY_FORMAT", "ArchiveKey"]

ARCHIVE_KEY_FORMAT = "bidseal-archive-key/1"
_VERSION = b"\x01"
_NONCE_LEN = 12
_LABEL = b"bidseal archive/1\n"
ARCHIVED_KEY_LEN = len(_VERSION) + _NONCE_LEN + DATA_KEY_LEN + TAG_LEN


@dataclass(frozen=True, slots=True, eq=False)
class ArchiveKey:
    """A 32-byte AES-256-GCM key that wraps the data keys a hub accepted.

    ``wrap`` binds each wrapped key to a label (the hub uses tender, lot,
    bidder and bid hash), so a wrapped key copied to another row opens nothing.
    """

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != DATA_KEY_LEN:
            raise ValueError(f"an archive key is {DATA_KEY_LEN} bytes")

    @classmethod
    def generate(cls) -> ArchiveKey:
        return cls(secrets.token_bytes(DATA_KEY_LEN))

    @property
    def key_id(self) -> str:
        """16 hex digits naming the key without revealing it; stored next to each wrapped key."""
        return hashlib.sha256(_LABEL + self.secret).hexdigest()[:16]

    def wrap(self, data_key: bytes, label: bytes) -> bytes:
        """``01 || nonce || ct`` (61 bytes) for a 32-byte data key, bound to ``label``."""
        if len(data_key) != DATA_KEY_LEN:
            raise ValueError(f"a data key is {DATA_KEY_LEN} bytes")
        nonce = secrets.token_bytes(_NONCE_LEN)
        sealed = AESGCM(self.secret).encrypt(nonce, data_key, _LABEL + label)
        return _VERSION + nonce + sealed

    def unwrap(self, wrapped: bytes, label: bytes) -> bytes:
        """The data key; InvalidSealedBid for another key, another label or a damaged value."""
        if len(wrapped) != ARCHIVED_KEY_LEN or wrapped[:1] != _VERSION:
            raise InvalidSealedBid
        nonce, sealed = wrapped[1 : 1 + _NONCE_LEN], wrapped[1 + _NONCE_LEN :]
        try:
            return AESGCM(self.secret).decrypt(nonce, sealed, _LABEL + label)
        except InvalidTag as exc:
            raise InvalidSealedBid from exc

    def to_json(self) -> str:
        return json.dumps(
            {"format": ARCHIVE_KEY_FORMAT, "key": b64u_encode(self.secret), "key_id": self.key_id}
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the key file readable by its owner only; never overwrites."""
        write_new_file(path, self.to_json().encode("ascii"), mode=0o600)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ArchiveKey:
        """ValueError if the file is not an archive key file (or its key id does not match)."""
        try:
            value = read_json(Path(path).read_bytes())
            if not isinstance(value, dict) or value.get("format") != ARCHIVE_KEY_FORMAT:
                raise ValueError("wrong format")
            key = cls(b64u_decode(value["key"]))
        except (KeyError, TypeError, ValueError, UnicodeError) as exc:
            raise ValueError(f"{path} is not a {ARCHIVE_KEY_FORMAT} file") from exc
        if value.get("key_id") != key.key_id:
            raise ValueError(f"{path}: the key does not match its key_id (damaged file)")
        return key

    def __repr__(self) -> str:
        return f"ArchiveKey(key_id={self.key_id!r})"
