"""The hub application: `create_app(config)` wires every part; `run(config)` serves it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bidopen import appkeys as keys
from bidopen import log_redaction
from bidopen.clock import Clock, SystemClock
from bidopen.config import Config, ConfigError, load_config
from bidopen.errors import HubError, StartRefused
from bidopen.health import Readiness, add_operations_routes, database_check, scheduler_check
from bidopen.http import accounts as account_views
from bidopen.http import bids as bid_views
from bidopen.http import demo_pace as demo_pace_views
from bidopen.http import documents as document_views
from bidopen.http import printed as printed_views
from bidopen.http import publiclog as log_views
from bidopen.http import servertime as time_views
from bidopen.http import sessions as session_views
from bidopen.http import tenders as tender_views
from bidopen.http.accesslog import access_logger
from bidopen.http.auth import host_actor
from bidopen.http.clientaddress import TrustedProxies
from bidopen.http.connections import ConnectionGuard, admission
from bidopen.http.crosssite import content_type_guard
from bidopen.http.headers import add_security_headers
from bidopen.http.middleware import error_middleware
from bidopen.http.openapi import OPENAPI_PATH, openapi_view
from bidopen.http.pages import add_page_routes
from bidopen.http.ratelimit import request_limits
from bidopen.http.serving import run_hub
from bidopen.metrics import HubMetrics
from bidopen.realtime.broadcast import broadcast_public
from bidopen.realtime.hub import RealtimeHub
from bidopen.scheduler import Scheduler
from bidopen.service.accounts import Accounts
from bidopen.service.archive import BidArchive, archive_key_path
from bidopen.service.bid_documents import BidDocuments
from bidopen.service.bidding import Bidding
from bidopen.service.decryption import Decryption
from bidopen.service.host_scope import HostScope
from bidopen.service.intake import Intake, default_threads
from bidopen.service.kept_checkpoint import CHECKPOINT_FILE, KeptCheckpoint
from bidopen.service.logentries import SessionEntries
from bidopen.service.opening import Opening
from bidopen.service.passwords import PasswordPool
from bidopen.service.printing import DocumentPrinter
from bidopen.service.publiclog import PublicLog, log_key_file
from bidopen.service.quotas import BidderQuota, StorageGuard
from bidopen.service.sessions import SessionService
from bidopen.service.signing import ServerSigner
from bidopen.service.start_checks import (
    check_against_database,
    refuse_a_lost_database,
    shown_url,
    survey,
)
from bidopen.service.tenders import Tenders
from bidopen.service.throttle import LoginThrottle
from bidopen.service.witnesses import WitnessClient
from bidopen.store.db import Database
from bidopen.store.files import clear_incoming
from bidopen.tlog.note import Ed25519Signer
from bidopen.video.relays import VideoRelays
from bidopen.video.routes import add_video_routes, video_cleanup_ctx
from bidopen.video.state import VideoState

log = logging.getLogger("bidopen.app")


def create_app(config: Config, *, clock: Clock | None = None) -> web.Application:
    """Build the application; nothing is opened until its cleanup contexts run."""
    clock = clock or SystemClock()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    proxies = TrustedProxies(config.trusted_proxies)
    connections = ConnectionGuard(
        configured=config.max_connections,
        per_address=config.max_connections_per_address,
        proxies=proxies,
    )
    app = web.Application(
        middlewares=[
            error_middleware,
            admission(connections),
            request_limits(config),
            content_type_guard,
        ],
        client_max_size=1024**2,
    )
    app.on_response_prepare.append(add_security_headers)
    db = Database(config.database_url)
    # Before this process makes anything in the data folder: the start checks compare it
    # with the database (`_database_ctx`).
    found = survey(config.data_dir, config.bids_dir)
    signer = ServerSigner.open(config.data_dir)
    archive = BidArchive.open(archive_key_path(config.data_dir))
    accounts = Accounts(
        db,
        clock,
        audience=public_origin(config),
        challenge_seconds=config.challenge_seconds,
        token_hours=config.token_hours,
        passwords=PasswordPool(
            threads=config.password_hash_threads, queue=config.password_hash_queue
        ),
        throttle=LoginThrottle(
            per_address_per_minute=config.login_failures_per_minute,
            per_account_per_minute=config.login_failures_per_account_per_minute,
        ),
    )
    log_key = log_key_file(config.log_key_path)
    public_log = PublicLog(
        db,
        clock,
        Ed25519Signer(config.public_log_name, log_key.key),
        checkpoint_interval=config.public_log_checkpoint_ms / 1000,
        witnesses=[WitnessClient.from_setting(w) for w in config.public_log_witnesses],
        quorum=config.public_log_witness_quorum,
        key_file=log_key,
        kept_checkpoint=KeptCheckpoint(config.data_dir / CHECKPOINT_FILE),
    )
    sessions = SessionService(db, clock, SessionEntries(public_log))
    host_scope = HostScope(db)
    opening = Opening(db, clock, sessions, signer)
    metrics = HubMetrics()
    realtime = RealtimeHub(config, accounts, host_scope, opening, proxies, metrics)
    bidding = Bidding(
        db,
        clock,
        sessions,
        signer,
        bids_dir=config.bids_dir,
        node_name=config.node_name,
        max_bid_bytes=config.max_bid_bytes,
        quota=BidderQuota(config.bidder_quota_bytes, config.bidder_quota_replacements),
        storage=StorageGuard(config.data_dir, config.storage_reserve_bytes),
        intake=Intake(config.intake_threads or default_threads(os.cpu_count() or 1)),
    )
    scheduler = Scheduler(
        db,
        clock,
        sessions,
        tick=_ticker(opening, bidding, config.deadline_settle_seconds),
        record_outage=opening.record_outage,
        grace=timedelta(milliseconds=config.deadline_grace_ms),
        heartbeat=timedelta(milliseconds=config.heartbeat_ms),
        metrics=metrics,
    )
    sessions.add_publisher(realtime)
    sessions.add_publisher(metrics)
    sessions.add_listener(scheduler)
    realtime.on_remote_commit(scheduler.notice)

    app[keys.CONFIG] = config
    app[keys.FOLDER_SURVEY] = found
    app[keys.TRUSTED_PROXIES] = proxies
    app[keys.CONNECTIONS] = connections
    app[keys.CLOCK] = clock
    app[keys.DATABASE] = db
    app[keys.SIGNER] = signer
    app[keys.ARCHIVE] = archive
    app[keys.ACCOUNTS] = accounts
    app[keys.HOST_SCOPE] = host_scope
    app[keys.SESSIONS] = sessions
    app[keys.TENDERS] = Tenders(db, clock, sessions)
    app[keys.BIDDING] = bidding
    app[keys.DECRYPTION] = Decryption(
        db, clock, sessions, bids_dir=config.bids_dir, archive=archive
    )
    app[keys.DOCUMENTS] = BidDocuments(
        db, clock, sessions, host_scope, archive, bids_dir=config.bids_dir
    )
    app[keys.OPENING] = opening
    app[keys.REALTIME] = realtime
    app[keys.SCHEDULER] = scheduler
    app[keys.METRICS] = metrics
    app[keys.PUBLIC_LOG] = public_log
    app[keys.PRINTER] = DocumentPrinter(config.pdf_font)

    for module in (
        account_views,
        tender_views,
        bid_views,
        # Before the session views: `results/{lot_id}` would take `results/1.pdf` too.
        printed_views,
        session_views,
        time_views,
        document_views,
        demo_pace_views,
        log_views,
    ):
        app.router.add_routes(module.routes)
    realtime.attach(app)
    _add_video(app, realtime)
    app.router.add_get(OPENAPI_PATH, openapi_view)
    add_operations_routes(app, _readiness(db, realtime, scheduler, clock, metrics), metrics)
    add_page_routes(app, config.web_root)

    app.on_shutdown.append(_disconnect_sockets)
    app.cleanup_ctx.append(_pools_ctx)
    app.cleanup_ctx.append(_database_ctx)
    app.cleanup_ctx.append(_public_log_ctx)
    app.cleanup_ctx.append(_scheduler_ctx)
    app.cleanup_ctx.append(_realtime_ctx)
    app.cleanup_ctx.append(video_cleanup_ctx)
    return app


def public_origin(config: Config) -> str | None:
    """The origin bidders sign into (the challenges' audience): the first allowed origin.

    None when no origin is configured: each challenge then names the origin its request
    reached, if the hub can vouch for it (`bidopen.http.audience`). The listening address
    cannot serve: on 0.0.0.0 or :: it is no origin any client talks to.
    """
    return config.allowed_origins[0] if config.allowed_origins else None


# How long a stop waits for requests still in progress (an upload is then cut off and its
# half-received file removed at the next start; the bidder's client sends it again).
STOP_GRACE_SECONDS = 1.5


# The scheduler's loop runs at least every `scheduler.PASS`; well past that, it is stuck.
SCHEDULER_STALE = timedelta(seconds=15)


def _readiness(
    db: Database, realtime: RealtimeHub, scheduler: Scheduler, clock: Clock, metrics: HubMetrics
) -> Readiness:
    """What must hold for this node to take traffic (`/readyz`). A part of the hub that
    must be healthy too adds its check here: the transparency log's "a checkpoint signed
    recently" belongs in this list."""
    readiness = Readiness()
    readiness.add("database", database_check(db, metrics))
    readiness.add("redis", realtime.fanout_check)
    readiness.add("scheduler", scheduler_check(lambda: scheduler.last_pass, clock, SCHEDULER_STALE))
    return readiness


def _ticker(
    opening: Opening, bidding: Bidding, settle_seconds: int
) -> Callable[[str], Awaitable[None]]:
    async def tick(session_id: str) -> None:
        # Bids whose last byte arrived in time are counted: the tick waits (at most
        # `deadline_settle_seconds`) until this node has verified, stored and recorded them.
        try:
            async with asyncio.timeout(settle_seconds):
                await bidding.settled(session_id)
        except TimeoutError:
            log.error(
                "session %s: bids that arrived in time were still being stored after %d s; "
                "the deadline tick goes ahead without them",
                session_id,
                settle_seconds,
            )
        await opening.tick(session_id)

    return tick


def _add_video(app: web.Application, realtime: RealtimeHub) -> None:
    async def announce(session_id: str, state: VideoState) -> None:
        message = {"session_id": session_id, "state": str(state)}
        await broadcast_public(realtime.sio, session_id, message, event="video")

    async def hosts_only(request: web.Request, session_id: str) -> bool:
        # Refuses (not_your_tender) a host of another organisation, like every host path.
        await host_actor(request, session_id)
        return True

    add_video_routes(app, VideoRelays(app[keys.CONFIG].video(), on_state=announce), hosts_only)


async def _database_ctx(app: web.Application) -> AsyncIterator[None]:
    config, db = app[keys.CONFIG], app[keys.DATABASE]
    found = app[keys.FOLDER_SURVEY]
    with _database_at_start(db):
        await refuse_a_lost_database(db, found)
        await db.create_schema()
        await check_against_database(
            db, found, app[keys.SIGNER], app[keys.ARCHIVE], config.bids_dir
        )
    removed = clear_incoming(config.bids_dir, config.node_name)
    if removed:
        log.warning("removed %d half-received sealed files left by a stop", removed)
    if config.bootstrap_host:
        username, _, password = config.bootstrap_host.partition(":")
        try:
            created = await app[keys.ACCOUNTS].ensure_host(username, password)
        except HubError as exc:
            raise StartRefused(f"bootstrap_host: {exc.message}") from None
        if not created:
            log.debug("bootstrap_host left alone: host accounts exist (bidopen admin makes more)")
    yield
    await db.close()


@contextlib.contextmanager
def _database_at_start(db: Database) -> Iterator[None]:
    """A database that fails at start (read-only, full, unreachable): one line, no traceback."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        reason = (str(getattr(exc, "orig", None) or exc).splitlines() or [type(exc).__name__])[0]
        raise StartRefused(f"the database {shown_url(db.url)} cannot be used: {reason}") from None


async def _public_log_ctx(app: web.Application) -> AsyncIterator[None]:
    public_log = app[keys.PUBLIC_LOG]
    await public_log.start()
    log.info("public log %s, verifier key %s", public_log.origin, public_log.vkey)
    # Every session's events against their leaves, before anything is served or ticked.
    broken = await app[keys.SESSIONS].check_all()
    if broken:
        log.error("%d sessions are not served: their events do not match the public log", broken)
    yield
    await public_log.stop()


async def _pools_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    app[keys.ACCOUNTS].passwords.close()
    app[keys.BIDDING].intake.close()
    app[keys.PRINTER].close()


async def _scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    # The scheduler's first heartbeat is the first write that every start makes.
    with _database_at_start(app[keys.DATABASE]):
        await app[keys.SCHEDULER].start()
    yield
    await app[keys.SCHEDULER].stop()


async def _disconnect_sockets(app: web.Application) -> None:
    # On shutdown, before the web server waits for open handlers (a socket is one for as
    # long as it lives) and before the cleanup contexts run.
    await app[keys.REALTIME].disconnect_all()


async def _realtime_ctx(app: web.Application) -> AsyncIterator[None]:
    # Subscribed from the start, not at the first client: the doorbell tells the scheduler
    # of other nodes' sessions even on a node nobody has connected to yet.
    app[keys.REALTIME].start()
    yield
    await app[keys.REALTIME].close()


# Libraries that log statement parameters or message bodies at DEBUG: their lines would
# name bidders before the deadline, so they stay at WARNING whatever the hub's level.
_QUIET_LOGGERS = ("aiosqlite", "sqlalchemy", "asyncpg", "engineio", "socketio", "aioice", "aiortc")


def configure_logging(level: str) -> None:
    # Every line through one formatter that names no bidder (bidopen.log_redaction).
    log_redaction.install(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def run(config: Config) -> None:
    """Serve the hub until interrupted (the `bidopen serve` command and tests call this)."""
    configure_logging(config.log_level)
    app = create_app(config)
    run_hub(
        app,
        app[keys.CONNECTIONS],
        host=config.host,
        port=config.port,
        shutdown_timeout=STOP_GRACE_SECONDS,
        access_log=access_logger(config.access_log),
    )


if __name__ == "__main__":
    try:
        run(load_config())
    except ConfigError as exc:
        print(f"bidopen: {exc}", file=sys.stderr)
        sys.exit(2)
    except StartRefused as exc:
        print(f"bidopen: {exc}", file=sys.stderr)
        sys.exit(1)
