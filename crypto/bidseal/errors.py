"""The errors of the sealed-bid library: one opaque error per kind of secret."""

from __future__ import annotations

__all__ = [
    "INVALID_SEALED_BID_MESSAGE",
    "INVALID_SIGNED_DOCUMENT_MESSAGE",
    "InvalidSealedBid",
    "InvalidSignedDocument",
    "KeyFileError",
]

INVALID_SEALED_BID_MESSAGE = "invalid sealed bid"
INVALID_SIGNED_DOCUMENT_MESSAGE = "invalid signed document"


class InvalidSealedBid(Exception):
    """A sealed file, its key or its context is wrong; deliberately says nothing about which.

    Like Fernet's ``InvalidToken``: telling a caller *which* check failed (tag,
    length, signature, context) would turn an opener into an oracle.
    """

    def __init__(self) -> None:
        super().__init__(INVALID_SEALED_BID_MESSAGE)


class InvalidSignedDocument(Exception):
    """A signed document (receipt, record, ...) failed verification; opaque for the same reason."""

    def __init__(self) -> None:
        super().__init__(INVALID_SIGNED_DOCUMENT_MESSAGE)


class KeyFileError(Exception):
    """A key file cannot be used: wrong passphrase, damaged file, or refused input."""
