"""Serve the hub: aiohttp's `run_app`, with each accepted connection counted by the guard.

`web.run_app` builds its own listening site, whose protocol factory nobody can wrap; this is
the same loop (signals end it by `GracefulExit`, cleanup contexts run on the way out) with
a site that hands each new connection to `ConnectionGuard` first.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable

from aiohttp import web
from aiohttp.web_runner import GracefulExit

from bidopen.http.accesslog import DiscreetAccessLogger
from bidopen.http.connections import ConnectionGuard, raise_open_file_limit

# How much of a request body is read from the socket ahead of its handler (aiohttp's default
# is 64 KiB): during a deadline rush the loop takes bytes off every socket as they come,
# and the time a bid's last byte was read is the time that counts.
READ_BUFFER = 1024 * 1024


class _GuardedSite(web.TCPSite):
    def __init__(self, runner: web.AppRunner, host: str, port: int, guard: ConnectionGuard) -> None:
        super().__init__(runner, host, port)
        self._guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self._guard.protocol_factory(server),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )


def run_hub(
    app: web.Application,
    guard: ConnectionGuard,
    *,
    host: str,
    port: int,
    announce: Callable[[], None] | None = None,
    shutdown_timeout: float = 60.0,
    access_log: logging.Logger | None = None,
) -> None:
    """Listen until SIGINT or SIGTERM; `announce` runs once the hub accepts connections.

    `access_log` is where a line per request goes (`http.accesslog.access_logger`); none by
    default, so the terminal keeps the banner, warnings and errors."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    guard.start(raise_open_file_limit())
    runner = web.AppRunner(
        app,
        handle_signals=True,
        access_log=access_log,
        access_log_class=DiscreetAccessLogger,
        read_bufsize=READ_BUFFER,
        # How long a stop waits for requests in progress before it cuts them off.
        shutdown_timeout=shutdown_timeout,
    )

    async def serve() -> None:
        await runner.setup()
        try:
            await _GuardedSite(runner, host, port, guard).start()
            if announce is not None:
                announce()
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    main = loop.create_task(serve())
    try:
        loop.run_until_complete(main)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not main.done():
                main.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            # The process ends after this (`bidopen serve`, `python -m bidopen.app`): the
            # interpreter's last collection would walk every object the hub made, 0.4 s for
            # a fresh hub and more with thousands of connections, only to free memory the
            # exit frees anyway. Everything is written, synced and closed by now.
            gc.freeze()
