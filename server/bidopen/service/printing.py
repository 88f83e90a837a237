"""PDF rendering on a pool of its own, with a small cache of finished documents.

Rendering a document takes about a second of CPU (mostly subsetting the CJK font), so it
runs on one thread of its own: a burst of PDF requests waits its turn there instead of
taking the threads of uploads and database calls, and beyond a short queue it is refused
(`busy`). Signed documents never change, so each finished PDF is kept by a key naming
what it shows; two requests for the same PDF while it renders share one rendering.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bidopen.errors import HubError
from bidopen.printing.fonts import CjkFont, FontMissing, find_cjk_font

Render = Callable[[CjkFont], bytes]


class DocumentPrinter:
    def __init__(self, font_setting: str = "", *, queue: int = 8, kept: int = 64) -> None:
        self._font_setting = font_setting
        self._font: CjkFont | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf")
        self._queue = queue
        self._kept = kept
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._running: dict[str, asyncio.Future[bytes]] = {}

    def _cjk_font(self) -> CjkFont:
        # Looked up at the first PDF, not at start: a hub without the font still serves
        # everything else, and a font installed later is found without a restart.
        if self._font is None:
            try:
                self._font = find_cjk_font(self._font_setting)
            except FontMissing as exc:
                raise HubError("pdf_font_missing", f"No PDF: {exc}.") from exc
        return self._font

    def _render(self, render: Render) -> bytes:
        return render(self._cjk_font())

    async def print(self, key: str, render: Render) -> bytes:
        """The PDF kept under `key`, else `render`'s (run on the printer's thread)."""
        kept = self._cache.get(key)
        if kept is not None:
            self._cache.move_to_end(key)
            return kept
        running = self._running.get(key)
        if running is None:
            if len(self._running) >= self._queue:
                raise HubError(
                    "busy", "Too many PDFs are being made.", "正在生成的 PDF 过多。", retry_after=2
                )
            loop = asyncio.get_running_loop()
            running = loop.run_in_executor(self._executor, self._render, render)
            self._running[key] = running
            running.add_done_callback(lambda _: self._running.pop(key, None))
        pdf = await asyncio.shield(running)
        self._cache[key] = pdf
        while len(self._cache) > self._kept:
            self._cache.popitem(last=False)
        return pdf

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
