"""What a simulation run is asked to do, and how its crowd reaches the hub."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bidopen.simulate.bidders import assign_roles
from bidopen.simulate.viewer import ViewerPlan

READ_OUT = "event/read_out"
RECORD_PUBLISHED = "event/record_published"
# A hub caps public sockets per address (default 50): stay under it when spreading.
VIEWERS_PER_ADDRESS = 40


@dataclass(frozen=True)
class SimulationOptions:
    bidders: int
    viewers: int
    failing: int = 0
    objecting: int = 0
    url: str | None = None
    host_user: str | None = None
    host_password: str | None = None
    lead_seconds: float | None = None
    # People read a read-out before they confirm it; see reading_delay.
    reading_seconds: float = 3.0
    data_dir: Path | None = None
    progress: bool = False
    runs: int = 1

    def __post_init__(self) -> None:
        if self.runs < 1:
            raise ValueError("--runs must be at least 1")
        if self.bidders < 1:
            raise ValueError("--bidders must be at least 1")
        if self.viewers < 0:
            raise ValueError("--viewers must not be negative")
        assign_roles(self.bidders, self.failing, self.objecting)
        if self.url is not None:
            parts = urlsplit(self.url)
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError("--url must be http://host[:port] (the viewers speak plain HTTP)")
            if not (self.host_user and self.host_password):
                raise ValueError("with --url, give the host account (--host-user and its password)")
        if self.lead_seconds is not None and self.lead_seconds < 1:
            raise ValueError("--lead must be at least 1 second")
        if not 0 <= self.reading_seconds <= 600:
            raise ValueError("--reading must be 0 to 600 seconds")

    def reading_delay(self, index: int) -> float:
        """Seconds bidder `index` reads the read-out before answering.

        Spread evenly over the second half of `reading_seconds`: a crowd of people answers
        over seconds, not all in the millisecond after the read-out, which would put a
        burst of hundreds of signed confirmations on the hub's CPU while it is still
        writing the read-out to the audience (the public figures would then measure a burst
        that no real opening has).  0 answers at once, to load the hub on purpose.
        """
        half = self.reading_seconds / 2
        return half + half * index / self.bidders

    def lead(self, registration_seconds: float) -> float:
        """Seconds from creating the tender to its deadline: room for every upload.

        Uploading the bids took the hub 1.5 to 2.5 times as long as registering the bidders
        (the file and the database are both fsynced), so the run measures the second to
        predict the first, with room to spare.
        """
        if self.lead_seconds is not None:
            return self.lead_seconds
        return 3.0 + 3.0 * registration_seconds

    @property
    def window_seconds(self) -> int:
        """Length of the decryption and the confirmation windows.

        Every decryption and confirmation is an event broadcast to the whole crowd, so
        hundreds of bidders need minutes: ten seconds and 0.6 s a bidder. The host closes a
        window early once everyone is done, so room costs nothing unless a bidder fails to
        decrypt, when the run waits the whole window.
        """
        return 10 + (6 * self.bidders) // 10


def viewer_plan(base_url: str, session_id: str) -> ViewerPlan:
    parts = urlsplit(base_url)
    if parts.hostname is None:
        raise ValueError(f"no host in {base_url!r}")
    return ViewerPlan(
        host=parts.hostname,
        port=parts.port or 80,
        path="/socket.io/?EIO=4&transport=websocket",
        origin=f"{parts.scheme}://{parts.netloc}",
        namespace="/public",
        connect_auth={"session_id": session_id},
        ready_event="snapshot",
        watch=frozenset({READ_OUT, RECORD_PUBLISHED}),
    )


def loopback_sources(base_url: str, clients: int, per_address: int) -> tuple[str, ...]:
    """127.x source addresses for `clients`, so a hub's per-address limits see many callers.

    Only for a hub on loopback under Linux, where all of 127.0.0.0/8 is local.
    """
    host = urlsplit(base_url).hostname or ""
    if not host.startswith("127.") or not sys.platform.startswith("linux"):
        return ()
    count = max(1, math.ceil(clients / per_address))
    return tuple(f"127.1.{i // 250}.{i % 250 + 1}" for i in range(count))
