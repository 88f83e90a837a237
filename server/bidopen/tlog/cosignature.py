"""C2SP tlog-cosignature, Ed25519 (`cosignature/v1`, signature type 0x04): a witness's word."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bidopen.tlog.errors import LogError
from bidopen.tlog.note import Ed25519NoteKey, NoteSignature, check_note_text, parse_vkey
from bidseal.ed25519 import ED25519_SIGNATURE_LEN, Ed25519Key, verify_ed25519

COSIGNATURE_TYPE = 0x04


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """`cosignature/v1`, `time <T>`, then the whole checkpoint body."""
    check_note_text(text)
    if not 0 <= timestamp < 1 << 63:
        raise LogError("a cosignature time is a POSIX time below 2**63")
    return b"cosignature/v1\ntime %d\n" % timestamp + text


@dataclass(frozen=True)
class CosignatureVerifier(Ed25519NoteKey):
    """A witness's public key under its name, as a note verifier (signature type 0x04)."""

    SIGNATURE_TYPE: ClassVar[int] = COSIGNATURE_TYPE

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + ED25519_SIGNATURE_LEN:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp >= 1 << 63:
            return False
        return verify_ed25519(self.public_key, cosigned_message(text, timestamp), signature[8:])

    @staticmethod
    def timestamp(signature: NoteSignature) -> int:
        return int.from_bytes(signature.signature[:8], "big")


def cosignature_verifier(vkey: str) -> CosignatureVerifier:
    name, sig_type, public_key = parse_vkey(vkey)
    if sig_type != COSIGNATURE_TYPE:
        raise LogError(f"verifier key type {sig_type:#04x} is not a cosignature key (0x04)")
    return CosignatureVerifier(name, public_key)


@dataclass(frozen=True, slots=True)
class Cosigner:
    """A witness's signing key under its name."""

    name: str
    key: Ed25519Key

    @property
    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.key.public_key)

    def cosign(self, text: bytes, timestamp: int) -> NoteSignature:
        signature = self.key.sign(cosigned_message(text, timestamp))
        stamped = timestamp.to_bytes(8, "big") + signature
        return NoteSignature(self.name, self.verifier.key_id, stamped)
