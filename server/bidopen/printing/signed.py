"""A signed envelope as the printed documents read it: its payload, hash and signature."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bidseal.codec import b64u_decode
from bidseal.p256 import key_id

from .evidence import Attachment, Evidence


@dataclass(frozen=True)
class SignedDocument:
    """The hub's own signed document (sealed-bid format section 4), already trusted here."""

    text: str
    payload: dict[str, Any]
    sha256: str  # of the payload text: the hash the public log and the pages announce
    signature: str
    key_id: str

    @classmethod
    def parse(cls, text: str) -> SignedDocument:
        envelope = json.loads(text)
        payload_text = envelope["payload"]
        return cls(
            text=text,
            payload=json.loads(payload_text),
            sha256=hashlib.sha256(payload_text.encode()).hexdigest(),
            signature=envelope["signature"],
            key_id=key_id(b64u_decode(envelope["key"])),
        )

    def as_attachment(self, name: str, description: str) -> Attachment:
        """The envelope itself, byte for byte as the hub serves it, as the embedded file."""
        return Attachment(name=name, data=self.text.encode(), description=description)

    def evidence(self, attachment: Attachment) -> Evidence:
        return Evidence(
            document_sha256=self.sha256,
            signature=self.signature,
            key_id=self.key_id,
            attachment=attachment,
            attachment_sha256=hashlib.sha256(attachment.data).hexdigest(),
        )
