"""The big screen's checkpoint: the note as served, and a QR code of it signed by the log alone."""

from __future__ import annotations

import hashlib

from bidopen.service.checkpoint_qr import hall_checkpoint
from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.note import Ed25519Signer, SignedNote, open_note
from bidseal.ed25519 import Ed25519Key

ORIGIN = "kaibiao.example.cn/log"


def test_the_code_holds_the_checkpoint_signed_by_the_log_alone() -> None:
    log = Ed25519Signer(ORIGIN, Ed25519Key.generate())
    witness = Ed25519Signer("w1.example", Ed25519Key.generate())
    text = Checkpoint(ORIGIN, 1024, hashlib.sha256(b"root").digest()).text()
    note = (text + b"\n" + log.signature_line(text).encode()) + witness.signature_line(
        text
    ).encode()
    shown = hall_checkpoint(note, ORIGIN)
    assert shown["checkpoint"] == note.decode()
    photographed = str(shown["qr_text"]).encode()
    # What `bidopen verify --old` opens: the log's signature verifies, no witness line.
    opened = open_note(photographed, (log.verifier,))
    assert opened.text == text
    assert [sig.name for sig in SignedNote.parse(photographed).signatures] == [ORIGIN]
    svg = str(shown["qr_svg"])
    assert svg.startswith("<svg") and "#fff" in svg
    # The same note gives the same answer (cached: every screen asks for it).
    assert hall_checkpoint(note, ORIGIN) is shown
