"""C2SP signed-note: note text signed by named keys, Ed25519 signatures and verifier keys.

A note is its text (ending in a newline), a blank line, and one line per signature:
`— <key name> base64(key id || signature)`. A verifier key (vkey) is written
`<name>+<key id in hex>+base64(<type byte> || <public key>)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import ClassVar, Protocol

from bidopen.tlog.errors import LogError
from bidseal.ed25519 import ED25519_PUBLIC_LEN, Ed25519Key, verify_ed25519

ED25519_TYPE = 0x01
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 64


def check_key_name(name: str) -> str:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise LogError(f"key name {name!r} is empty or holds a space or '+'")
    return name


def note_key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4]."""
    check_key_name(name)
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def b64decode(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 section 4); LogError otherwise."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise LogError("not base64") from exc
    if base64.b64encode(data).decode() != text:
        raise LogError("not canonical base64")
    return data


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def split_head(data: bytes) -> tuple[list[str], bytes]:
    """The ASCII lines before the first blank line, and the note after it (tlog-proof and
    tlog-witness requests both put a few lines before a checkpoint)."""
    head, sep, note = data.partition(b"\n\n")
    if not sep:
        raise LogError("no blank line before the checkpoint")
    try:
        return head.decode("ascii").split("\n"), note
    except UnicodeDecodeError as exc:
        raise LogError("the lines before the checkpoint are not ASCII") from exc


class NoteVerifier(Protocol):
    """A key a note's signature may be checked with, known by name and key id."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def verify(self, text: bytes, signature: bytes) -> bool: ...


@dataclass(frozen=True)
class Ed25519NoteKey:
    """A named Ed25519 public key of a note signature type (the type is in its key id)."""

    SIGNATURE_TYPE: ClassVar[int] = ED25519_TYPE
    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != ED25519_PUBLIC_LEN:
            raise LogError("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> bytes:
        return note_key_id(self.name, self.SIGNATURE_TYPE, self.public_key)

    @property
    def vkey(self) -> str:
        return format_vkey(self.name, self.SIGNATURE_TYPE, self.public_key)


@dataclass(frozen=True)
class Ed25519Verifier(Ed25519NoteKey):
    """An Ed25519 note key (signature type 0x01): what a log signs its checkpoints with."""

    def verify(self, text: bytes, signature: bytes) -> bool:
        return verify_ed25519(self.public_key, text, signature)


@dataclass(frozen=True, slots=True)
class Ed25519Signer:
    """The log's own signing key under its name."""

    name: str
    key: Ed25519Key

    def __post_init__(self) -> None:
        check_key_name(self.name)

    @property
    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.name, self.key.public_key)

    def signature_line(self, text: bytes) -> str:
        check_note_text(text)
        return signature_line(self.name, self.verifier.key_id, self.key.sign(text))


def format_vkey(name: str, sig_type: int, public_key: bytes) -> str:
    key_id = note_key_id(name, sig_type, public_key)
    return f"{name}+{key_id.hex()}+{b64encode(bytes([sig_type]) + public_key)}"


def parse_vkey(vkey: str) -> tuple[str, int, bytes]:
    """(name, signature type, public key) of a verifier key whose key id matches."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3 or len(parts[1]) != 8:
        raise LogError("a verifier key is name+keyid+base64")
    name, hex_id, material = parts
    key = b64decode(material)
    if len(key) < 2:
        raise LogError("the verifier key holds no public key")
    if note_key_id(name, key[0], key[1:]).hex() != hex_id.lower():
        raise LogError("the verifier key's id does not match its key")
    return name, key[0], key[1:]


def ed25519_verifier(vkey: str) -> Ed25519Verifier:
    name, sig_type, public_key = parse_vkey(vkey)
    if sig_type != ED25519_TYPE:
        raise LogError(f"verifier key type {sig_type:#04x} is not Ed25519 (0x01)")
    return Ed25519Verifier(name, public_key)


def signature_line(name: str, key_id: bytes, signature: bytes) -> str:
    return f"{SIGNATURE_PREFIX}{name} {b64encode(key_id + signature)}\n"


def check_note_text(text: bytes) -> str:
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LogError("the note is not UTF-8") from exc
    if any(ord(ch) < 0x20 and ch != "\n" for ch in decoded):
        raise LogError("the note holds a control character")
    if not decoded.endswith("\n"):
        raise LogError("the note text does not end with a newline")
    return decoded


@dataclass(frozen=True, slots=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        return signature_line(self.name, self.key_id, self.signature)


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A note split into its text and its signature lines (none verified yet)."""

    text: bytes
    signatures: tuple[NoteSignature, ...]

    @classmethod
    def parse(cls, note: bytes) -> SignedNote:
        check_note_text(note)
        cut = note.rfind(b"\n\n")
        if cut < 0:
            raise LogError("the note has no blank line before its signatures")
        text, lines = note[: cut + 1], note[cut + 2 :].decode().splitlines(keepends=True)
        if not lines:
            raise LogError("the note has no signature")
        if len(lines) > MAX_SIGNATURES:
            raise LogError("the note has too many signatures")
        signatures = []
        for line in lines:
            if not line.startswith(SIGNATURE_PREFIX) or not line.endswith("\n"):
                raise LogError("a signature line is malformed")
            name, _, encoded = line[len(SIGNATURE_PREFIX) : -1].partition(" ")
            check_key_name(name)
            blob = b64decode(encoded)
            if len(blob) < 5:
                raise LogError("a signature is too short")
            signatures.append(NoteSignature(name, blob[:4], blob[4:]))
        return cls(text, tuple(signatures))

    def format(self) -> bytes:
        return self.text + b"\n" + "".join(s.line for s in self.signatures).encode()

    def with_signatures(self, extra: tuple[NoteSignature, ...]) -> SignedNote:
        known = {(s.name, s.key_id) for s in self.signatures}
        added = tuple(s for s in extra if (s.name, s.key_id) not in known)
        return SignedNote(self.text, self.signatures + added)

    def verified_by(self, verifiers: tuple[NoteVerifier, ...]) -> tuple[NoteVerifier, ...]:
        """The verifiers whose signatures are present and valid.

        Signatures of unknown keys are ignored; a known key's bad signature rejects the note.
        """
        found = []
        for verifier in verifiers:
            for sig in self.signatures:
                if sig.name != verifier.name or sig.key_id != verifier.key_id:
                    continue
                if not verifier.verify(self.text, sig.signature):
                    raise LogError(f"the signature of {verifier.name} does not verify")
                found.append(verifier)
                break
        return tuple(found)


def open_note(note: bytes, verifiers: tuple[NoteVerifier, ...]) -> SignedNote:
    """The note, if at least one of `verifiers` signed it (C2SP signed-note verification)."""
    parsed = SignedNote.parse(note)
    if not parsed.verified_by(verifiers):
        raise LogError("no known key signed the note")
    return parsed
