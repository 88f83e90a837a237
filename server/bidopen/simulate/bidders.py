"""Simulated bidders: each with its own keys, sealing on "its own machine", over REST."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import aiohttp

from bidopen.client import BidderClient, ClientError, seal_in_memory
from bidseal import generate_keys

T = TypeVar("T")

# Refusals that mean a window ended before this bidder's request: a finding, not a crash.
_TOO_LATE = ("window_closed", "illegal_in_phase")
# A hub error (500, 503) under load is retried this many times in all, then it ends the run.
_SERVER_TROUBLE = ("internal_error", "unavailable")
_ATTEMPTS = 4
# Requests in flight at once: enough to load the hub, few enough not to queue for seconds.
_CONCURRENCY = 32


@dataclass(frozen=True)
class BidderRole:
    """What one simulated bidder will do at the opening."""

    fails_to_decrypt: bool
    objects: bool


def assign_roles(bidders: int, failing: int, objecting: int) -> list[BidderRole]:
    """The first `failing` bidders fail to decrypt, the last `objecting` object.

    Kept apart where the numbers allow, so a bidder that objects has an opened bid.
    """
    if not 0 <= failing <= bidders or not 0 <= objecting <= bidders:
        raise ValueError("--fail and --object must each be between 0 and --bidders")
    return [
        BidderRole(fails_to_decrypt=i < failing, objects=i >= bidders - objecting)
        for i in range(bidders)
    ]


class SimulatedBidder:
    """One bidder's client and its part in the opening."""

    def __init__(
        self,
        index: int,
        role: BidderRole,
        base_url: str,
        session: aiohttp.ClientSession,
        org_name: str | None = None,
    ) -> None:
        self.index = index
        self.role = role
        self.org_name = org_name or f"模拟投标人 {index + 1:03d}"
        self.client = BidderClient(base_url, generate_keys(), session=session)
        self.sealed: bytes = b""
        self.bid_sha256: str = ""
        self.late = False
        self.objection_id: str | None = None
        self.server_errors = 0

    async def _patiently(self, call: Callable[[], Awaitable[T]]) -> T:
        """Retry a request the hub failed with a server error, counting each failure.

        A real client would retry too; the count goes in the report, so a hub that
        fails under load is seen, not hidden.
        """
        for attempt in range(_ATTEMPTS):
            try:
                return await call()
            except ClientError as error:
                if error.code not in _SERVER_TROUBLE or attempt == _ATTEMPTS - 1:
                    raise
                self.server_errors += 1
                await asyncio.sleep(0.25 * 2**attempt)
        raise AssertionError("unreachable")

    @property
    def price(self) -> str:
        # Distinct, plausible prices so that a read-out shows who bid what.
        return f"{1_000_000 + 7919 * self.index:.2f}"

    async def register(self) -> None:
        await self.client.register(self.org_name, f"bidder{self.index + 1}@simulation.invalid")
        await self.client.login()

    async def bid(self, tender_id: str, lot: str) -> None:
        self.late = False
        self.objection_id = None
        document = f"simulated bid document of bidder {self.index + 1}\n".encode() * 16
        items = {"price": self.price, "duration_days": str(180 + self.index % 60)}
        self.sealed, result = seal_in_memory(
            self.client.keys, self.client.context(tender_id, lot), document, items
        )
        try:
            receipt = await self._patiently(lambda: self.client.submit(tender_id, lot, self.sealed))
        except ClientError as error:
            # A bid that misses the deadline is a finding of the run, not a reason to stop it.
            if error.code != "deadline_passed":
                raise
            self.late = True
            return
        if receipt.payload.get("bid_sha256") != result.bid_sha256:
            raise ClientError("document_invalid", "the receipt names another sealed file")
        self.bid_sha256 = result.bid_sha256
        await self._patiently(lambda: self.client.sign_in(tender_id))

    async def decrypt(self, tender_id: str, lot: str) -> bool:
        """Hand over the data key; a failing bidder hands over a wrong one (a lost key file).

        True if the hub opened the bid; a hub too slow for the window is a finding, not a crash.
        """
        if self.late:
            return False
        try:
            if not self.role.fails_to_decrypt:
                await self._patiently(lambda: self.client.decrypt(tender_id, lot, self.sealed))
                return True
            wrong = secrets.token_bytes(32)
            await self._patiently(lambda: self.client.send_data_key(tender_id, lot, wrong))
        except ClientError as error:
            if error.code not in ("wrong_data_key", *_TOO_LATE):
                raise
        return False

    async def respond_to_readout(self, tender_id: str, *, after_s: float = 0.0) -> bool:
        """Object or confirm after reading for `after_s`; False if the window had already
        ended (the hub was too slow)."""
        if self.late:
            return True
        await asyncio.sleep(after_s)
        try:
            if self.role.objects:
                text = f"投标人 {self.index + 1:03d} 对唱标结果有异议（模拟）"
                self.objection_id = await self._patiently(
                    lambda: self.client.object(tender_id, text)
                )
            else:
                await self._patiently(lambda: self.client.confirm(tender_id))
        except ClientError as error:
            if error.code not in _TOO_LATE:
                raise
            return False
        return True

    async def confirm(self, tender_id: str) -> bool:
        try:
            await self._patiently(lambda: self.client.confirm(tender_id))
        except ClientError as error:
            if error.code not in _TOO_LATE:
                raise
            return False
        return True


async def all_of(
    bidders: Sequence[SimulatedBidder], step: Callable[[SimulatedBidder], Awaitable[T]]
) -> list[T]:
    """Run one step for every bidder, a bounded number at a time."""
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(bidder: SimulatedBidder) -> T:
        async with gate:
            return await step(bidder)

    try:
        # A task group: the first failure cancels the other bidders' steps.
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(bidder)) for bidder in bidders]
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]
