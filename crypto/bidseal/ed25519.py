"""Ed25519 keys for the public log and its witnesses: sign, verify, and a PEM key file."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from bidseal.files import write_new_file

__all__ = ["ED25519_PUBLIC_LEN", "ED25519_SIGNATURE_LEN", "Ed25519Key", "verify_ed25519"]

ED25519_PUBLIC_LEN = 32
ED25519_SIGNATURE_LEN = 64


@dataclass(frozen=True, slots=True, eq=False)
class Ed25519Key:
    """An Ed25519 private key (RFC 8032): the log's checkpoint key or a witness's key."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> Ed25519Key:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519Key:
        """The key of a 32-byte seed (test vectors and benchmarks use fixed seeds)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        """16 hex digits naming the key in log lines (the note key id is computed elsewhere)."""
        return hashlib.sha256(self.public_key).hexdigest()[:16]

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def to_pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the key as PKCS#8 PEM readable by its owner only; never overwrites."""
        write_new_file(path, self.to_pem(), mode=0o600)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Ed25519Key:
        """Load a PEM key; ValueError if it is not an unencrypted Ed25519 private key."""
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(key)

    def __repr__(self) -> str:
        return f"Ed25519Key(key_id={self.key_id!r})"


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True only if `signature` is `public_key`'s Ed25519 signature of `message`."""
    if len(public_key) != ED25519_PUBLIC_LEN or len(signature) != ED25519_SIGNATURE_LEN:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
