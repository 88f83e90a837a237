"""Sealed bids (format bidseal/1): keys, seal, open, verify, and the server's signed documents."""

from bidseal.archive import ArchiveKey
from bidseal.challenge import sign_challenge, verify_challenge_signature
from bidseal.errors import InvalidSealedBid, InvalidSignedDocument, KeyFileError
from bidseal.format import DEFAULT_CHUNK_SIZE, BidContext, SealHeader
from bidseal.keys import (
    BidderKeys,
    PublicBundle,
    generate_keys,
    load_private_key_file,
    load_public_bundle,
    read_passphrase_file,
    write_key_dir,
)
from bidseal.opening import (
    DocumentStream,
    OpenedBid,
    open_file,
    open_sealed,
    read_header,
    unwrap_data_key,
)
from bidseal.reader import SealedBidInfo, SealedBidReader
from bidseal.seal import FixedSealInputs, SealResult, seal, seal_file
from bidseal.signed import ServerKey, sign_document, verify_document
from bidseal.wrapping import (
    check_rehearsal_answer,
    make_rehearsal_envelope,
    open_rehearsal_envelope,
    unwrap_wrapped_key,
    wrap_data_key,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ArchiveKey",
    "BidContext",
    "BidderKeys",
    "DocumentStream",
    "FixedSealInputs",
    "InvalidSealedBid",
    "InvalidSignedDocument",
    "KeyFileError",
    "OpenedBid",
    "PublicBundle",
    "SealHeader",
    "SealResult",
    "SealedBidInfo",
    "SealedBidReader",
    "ServerKey",
    "check_rehearsal_answer",
    "generate_keys",
    "load_private_key_file",
    "load_public_bundle",
    "make_rehearsal_envelope",
    "open_file",
    "open_rehearsal_envelope",
    "open_sealed",
    "read_header",
    "read_passphrase_file",
    "seal",
    "seal_file",
    "sign_challenge",
    "sign_document",
    "unwrap_data_key",
    "unwrap_wrapped_key",
    "verify_challenge_signature",
    "verify_document",
    "wrap_data_key",
    "write_key_dir",
]
