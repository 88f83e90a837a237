"""What makes a printed document checkable, apart from the printing (no PDF library here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    """The signed JSON a document embeds, as the file a reader extracts."""

    name: str
    data: bytes
    description: str


@dataclass(frozen=True)
class Evidence:
    """What makes the printout checkable: the signed payload's hash, its signature, the file."""

    document_sha256: str
    signature: str
    key_id: str
    attachment: Attachment
    attachment_sha256: str
