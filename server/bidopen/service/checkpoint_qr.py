"""The public log's newest checkpoint for the big screen: its figures and a QR code of it.

Anyone in the hall can photograph the screen and later hold the log to what it showed
(`bidopen verify --old`). The QR code holds the checkpoint note with the log's own
signature only: every witness's cosignature would double its size and make the code
too dense to read off a photograph; the line beside it says how many witnesses cosigned.
"""

from __future__ import annotations

import functools
import io

import segno

from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.note import SignedNote

# The note in a QR code: byte mode, error correction M (a smudged screen still reads).
_ERROR = "m"


@functools.lru_cache(maxsize=8)
def hall_checkpoint(note: bytes, origin: str) -> dict[str, object]:
    """`{"checkpoint", "qr_text", "qr_svg"}` of a served note: the note as served, the
    text the QR code holds, and the code as SVG.

    Cached: every screen in every hall asks for the same few checkpoints.
    """
    signed = SignedNote.parse(note)
    Checkpoint.parse(signed.text)  # only a checkpoint goes on the screen
    own = tuple(sig for sig in signed.signatures if sig.name == origin)
    photographed = SignedNote(signed.text, own).format().decode()
    code = segno.make(photographed, error=_ERROR, micro=False, boost_error=False)
    svg = io.BytesIO()
    # Black on white with the standard quiet zone; the page scales it, so one unit per module.
    code.save(
        svg, kind="svg", scale=1, border=4, dark="#000", light="#fff", xmldecl=False, nl=False
    )
    return {
        "checkpoint": note.decode(),
        "qr_text": photographed,
        "qr_svg": svg.getvalue().decode(),
    }
