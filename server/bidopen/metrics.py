"""The hub's Prometheus metrics: one registry per application, served at `/metrics`.

Every instrument is declared here, so docs/operations.md and the Grafana dashboard in
docker/ have one list to follow. Labels never carry a bidder, an account or a path:
before the deadline they would tell who is bidding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "METRICS", "HubMetrics"]

from bidopen.session.state import OpeningSession
from bidopen.store.eventlog import StoredEvent

# A read-out reaches thousands of viewers in tens of milliseconds on one core
# (docs/performance.md); the upper buckets are for a node in trouble.
FANOUT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# The deadline is ticked `deadline_grace_ms` late on purpose; lag is measured from then.
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HubMetrics:
    """The instruments of one hub process, in a registry of their own (no global state)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connected_clients = Gauge(
            "bidopen_connected_clients",
            "Socket.IO clients connected to this node, by namespace.",
            ["namespace"],
            registry=r,
        )
        self.events_appended = Counter(
            "bidopen_events_appended",
            "Events this node appended to session logs, by kind.",
            ["kind"],
            registry=r,
        )
        self.fanout_seconds = Histogram(
            "bidopen_fanout_seconds",
            "Time to write one batch of session events to this node's sockets of a room.",
            ["namespace"],
            buckets=FANOUT_BUCKETS,
            registry=r,
        )
        self.fanout_degraded = Gauge(
            "bidopen_fanout_degraded",
            "1 while this node cannot reach Redis: events reach only its own sockets.",
            registry=r,
        )
        self.room_catch_ups = Counter(
            "bidopen_room_catch_ups",
            "Events this node delivered from the log to its rooms after Redis came back.",
            registry=r,
        )
        self.uploads = Counter(
            "bidopen_uploads",
            "Sealed bid uploads, by outcome (stored or refused).",
            ["outcome"],
            registry=r,
        )
        self.upload_bytes = Counter(
            "bidopen_upload_bytes",
            "Bytes of sealed bids stored by this node.",
            registry=r,
        )
        self.refusals = Counter(
            "bidopen_refusals",
            "HTTP requests refused with a documented error code, by code.",
            ["code"],
            registry=r,
        )
        self.scheduler_lag = Histogram(
            "bidopen_scheduler_lag_seconds",
            "How late the scheduler ticked a session after it was due.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.scheduler_last_pass = Gauge(
            "bidopen_scheduler_last_pass_timestamp_seconds",
            "When the scheduler's loop last ran (Unix time).",
            registry=r,
        )
        self.database_errors = Counter(
            "bidopen_database_errors",
            "Database operations that failed because the database was unreachable.",
            registry=r,
        )
        self.redis_errors = Counter(
            "bidopen_redis_errors",
            "Redis publishes and subscriptions that failed.",
            registry=r,
        )

    def count_clients(self, connected: Callable[[], Mapping[str, int]]) -> None:
        """Read the connected clients at each scrape (nothing to update on connect)."""

        def reader(namespace: str) -> Callable[[], float]:
            return lambda: float(connected().get(namespace, 0))

        for namespace in connected():
            self.connected_clients.labels(namespace).set_function(reader(namespace))

    async def publish(
        self, session_id: str, events: Sequence[StoredEvent], state: OpeningSession
    ) -> None:
        """A `SessionService` publisher: counts what this node appended."""
        for event in events:
            self.events_appended.labels(event.kind).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", HubMetrics)
