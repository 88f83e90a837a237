"""Python clients of the hub for scripts, tests and the simulation: host, bidder, public."""

from bidopen.client.bidder import BidderClient, seal_in_memory
from bidopen.client.documents import ServerKeyInfo, SignedDocument
from bidopen.client.errors import ClientError
from bidopen.client.feed import SessionFeed
from bidopen.client.host import CommandResult, HostClient
from bidopen.client.models import (
    EventMessage,
    LotSpec,
    ReadoutItemSpec,
    Snapshot,
    Tender,
    TenderDraft,
)
from bidopen.client.public import PublicViewer

__all__ = [
    "BidderClient",
    "ClientError",
    "CommandResult",
    "EventMessage",
    "HostClient",
    "LotSpec",
    "PublicViewer",
    "ReadoutItemSpec",
    "ServerKeyInfo",
    "SessionFeed",
    "SignedDocument",
    "Snapshot",
    "Tender",
    "TenderDraft",
    "seal_in_memory",
]
