"""Faults of the machine (disk full, descriptors exhausted, database down) as documented refusals.

A bidder must never see a bare 500 for these: each becomes its own code, and the operator's
log says in one line what ran out, without the request's path (before a deadline the path
would tell who is uploading).
"""

from __future__ import annotations

import errno
import logging

from sqlalchemy import exc as sa_exc

from bidopen.errors import HubError

log = logging.getLogger("bidopen.faults")

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NO_DESCRIPTORS = {errno.EMFILE, errno.ENFILE}
# SQLite says "database or disk is full" when the disk holding the database fills.
_SQLITE_FULL = "database or disk is full"


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind `exc`, following the chain a wrapper (SQLAlchemy, aiosqlite) kept."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return None
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def as_fault(exc: BaseException, during: str) -> HubError | None:
    """The documented refusal for a fault of the machine, logged for the operator; else None."""
    os_error = _os_error(exc)
    if os_error is not None and os_error.errno in _DISK_FULL:
        # errno only: the exception's text names the file, whose path may name a bidder.
        log.error("disk full during %s (%s); the request stored nothing", during, _name(os_error))
        return HubError("storage_full")
    if os_error is not None and os_error.errno in _NO_DESCRIPTORS:
        log.error(
            "out of file descriptors during %s (%s); raise the open-file limit or lower "
            "max_connections",
            during,
            _name(os_error),
        )
        return HubError("descriptors_exhausted", retry_after=5)
    if isinstance(exc, sa_exc.OperationalError) and _SQLITE_FULL in str(exc.orig):
        log.error("database disk full during %s; the request stored nothing", during)
        return HubError("storage_full")
    if _database_down(exc):
        log.error("database error during %s: %s", during, type(exc).__name__)
        return HubError("database_unavailable", retry_after=5)
    return None


# Errors that say the statement itself is wrong, or the database refused it on purpose (a
# trigger's exception is an InternalError): a bug to show as one, not an outage.
_STATEMENT_ERRORS = (
    sa_exc.InternalError,
    sa_exc.IntegrityError,
    sa_exc.ProgrammingError,
    sa_exc.DataError,
    sa_exc.NotSupportedError,
)


_STATEMENT_STATES = frozenset({"22", "23", "42", "P0", "XX"})


def _database_down(exc: BaseException) -> bool:
    """The database refused, dropped or timed out the connection (not a wrong statement)."""
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if isinstance(exc, ConnectionError | TimeoutError) and _raised_by_database_driver(exc):
        # A new connection to a stopped PostgreSQL fails in asyncpg's connect, and the pool
        # lets that OSError through unwrapped.
        return True
    if not isinstance(exc, sa_exc.DBAPIError) or isinstance(exc, _STATEMENT_ERRORS):
        return False
    # PostgreSQL names the cause: a data, integrity, syntax or PL/pgSQL (a trigger's RAISE)
    # error is this request's failure, shown as the bug it is; the rest (connection, admin
    # shutdown, "not accepting connections", resources) is the database being unavailable.
    state = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
    return state[:2] not in _STATEMENT_STATES


_DATABASE_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.")


def _raised_by_database_driver(exc: BaseException) -> bool:
    trace = exc.__traceback__
    while trace is not None:
        if str(trace.tb_frame.f_globals.get("__name__", "")).startswith(_DATABASE_MODULES):
            return True
        trace = trace.tb_next
    return False


def _name(error: OSError) -> str:
    return errno.errorcode.get(error.errno or 0, str(error.errno))
