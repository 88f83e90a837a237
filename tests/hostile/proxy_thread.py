"""The operator proxy on a loop of its own, so that synchronous tests and subprocesses use it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from operator_proxy import OperatorProxy

from hubprocess import free_port


@contextmanager
def operator_proxy(upstream: str, port: int | None = None) -> Iterator[OperatorProxy]:
    """An `OperatorProxy` in front of `upstream`, served from a background thread."""
    proxy = OperatorProxy(upstream=upstream, port=port or free_port())
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(proxy.start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(proxy.stop())
        loop.close()

    thread = threading.Thread(target=serve, name="operator-proxy", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the operator proxy did not start")
    try:
        yield proxy
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
