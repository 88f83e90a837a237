"""Bench: seal a large document in chromium's sealing worker and watch the page's own thread.

Run: python tests/browser/bench_seal_in_browser.py [MEGABYTES]   (default 200)

Prints the sealing time and throughput, how many progress updates reached the page, and the
longest stall of the page's thread while sealing (a timer that should fire every 20 ms).
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.async_api import async_playwright

WEB_ROOT = Path(__file__).resolve().parents[2] / "client_web"
sys.path.insert(0, str(Path(__file__).parent))
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

SEAL = """
async (seconds) => {
  const { generateKeys } = await import('/static/vendor/bidseal.bundle.js');
  const { sealInWorker } = await import('/static/js/sealing.js');
  const keys = await generateKeys();
  const file = document.querySelector('input').files[0];
  let worst = 0, last = performance.now(), updates = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 20);
    last = now;
  }, 20);
  const started = performance.now();
  const sealed = await sealInWorker({
    document: file, keys,
    context: { tender: 'ZB-2026-000001', lot: '1', bidder: 'BDBENCH' },
    summary: { items: { price: '1.00' } },
    onProgress: () => { updates += 1; },
  });
  const elapsed = performance.now() - started;
  clearInterval(timer);
  return { elapsed, updates, worstStallMs: worst, sealedBytes: sealed.size };
}
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


async def bench(megabytes: int) -> None:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(WEB_ROOT))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as folder:
        document = Path(folder) / "document.bin"
        with document.open("wb") as out:
            for _ in range(megabytes):
                out.write(os.urandom(1 << 20))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            page = await browser.new_page()
            # The folder listing is a plain HTML document of the site's origin.
            await page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            await page.evaluate(
                "document.body.append(Object.assign(document.createElement('input'), "
                "{type: 'file'}))"
            )
            await page.set_input_files("input", str(document))
            wall = time.monotonic()
            result = await page.evaluate(SEAL)
            wall = time.monotonic() - wall
            await browser.close()
    server.shutdown()
    seconds = result["elapsed"] / 1000
    print(f"document:            {megabytes} MiB")
    print(f"sealed file:         {result['sealedBytes']:,} bytes")
    print(
        f"sealing time:        {seconds:.2f} s ({megabytes / seconds:.1f} MiB/s); wall {wall:.2f} s"
    )
    print(f"progress updates:    {result['updates']}")
    print(f"worst page stall:    {result['worstStallMs']:.0f} ms beyond a 20 ms timer")


if __name__ == "__main__":
    asyncio.run(bench(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
