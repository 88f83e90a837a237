"""What an upload may still take: the bidder's quota in a tender, the free space of the disk."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from bidopen.errors import HubError
from bidopen.store.bids import StoredUse

# No line here names a tender or a bidder: before the deadline a refusal must not tell the
# operator who is bidding where. The counts say how often the limits bite.
log = logging.getLogger("bidopen.quotas")


@dataclass(frozen=True)
class BidderQuota:
    """Per bidder and tender: bytes of every file kept (replaced ones too) and replacements."""

    max_bytes: int
    max_replacements: int

    def check(self, use: StoredUse, size: int) -> None:
        """Refuse a file of `size` bytes that would take the bidder past either limit."""
        if use.in_lot and use.replacements + 1 > self.max_replacements:
            log.warning(
                "refused an upload: a bidder has replaced its bid %d times in one tender "
                "(bidder_quota_replacements)",
                self.max_replacements,
            )
            raise HubError(
                "quota_replacements_exceeded",
                f"At most {self.max_replacements} replacements per tender.",
                f"每个项目最多更换 {self.max_replacements} 次。",
            )
        self.check_bytes(use, size)

    def check_bytes(self, use: StoredUse, size: int) -> None:
        if use.bytes + size > self.max_bytes:
            log.warning(
                "refused an upload: a bidder's files in one tender would exceed %d bytes "
                "(bidder_quota_bytes)",
                self.max_bytes,
            )
            raise HubError(
                "quota_bytes_exceeded",
                f"At most {self.max_bytes} bytes per tender; {use.bytes} are stored.",
                f"每个项目最多 {self.max_bytes} 字节，已存 {use.bytes} 字节。",
            )


class StorageGuard:
    """Refuses new uploads while the data folder's free space would fall below the reserve.

    The reserve is room the hub keeps for what must never fail for lack of space: the
    database, its journal and the operator's log. Nothing stored is ever deleted to make room.
    """

    def __init__(self, folder: Path, reserve_bytes: int) -> None:
        self._folder = folder
        self.reserve_bytes = reserve_bytes

    def free_bytes(self) -> int:
        return shutil.disk_usage(self._folder).free

    def check(self, coming: int = 0) -> None:
        """`storage_full` unless `coming` more bytes still leave the reserve free."""
        free = self.free_bytes()
        if free - coming < self.reserve_bytes:
            log.warning(
                "refused an upload: %d bytes free in %s, %d more coming, reserve %d "
                "(storage_reserve_bytes); add space",
                free,
                self._folder,
                coming,
                self.reserve_bytes,
            )
            raise HubError("storage_full")


@dataclass
class UploadAllowance:
    """How large the upload at hand may grow, checked as its bytes arrive."""

    max_bid_bytes: int
    quota: BidderQuota
    use: StoredUse
    storage: StorageGuard

    def admit(self, size: int) -> None:
        """Refuse the upload once it reaches `size` bytes if any limit is passed."""
        if size > self.max_bid_bytes:
            raise HubError("bid_too_large", f"The limit is {self.max_bid_bytes} bytes.")
        self.quota.check_bytes(self.use, size)
        self.storage.check()
