"""Benchmark of the video relay: server CPU per viewer and viewers per core at a kept frame rate.

Three processes on 127.0.0.1: the relay (pinned to CPU 0, so "one core" is
literal), a `bidopen stream` test-pattern publisher, and this process holding
N aiortc viewers (pinned away from CPU 0). The viewers count frames but do not
decode them: a counting decoder stands in for VP8 in this process only, so
their cost does not compete with the relay under measurement.

    python bench/bench_video.py --sizes 640x480,1280x720 --viewers 0,1,5,10,20 --seconds 10

Server CPU is read from /proc/<pid>/stat (all threads: encoders run in a pool).
Prints one row per (size, viewers); see docs/video.md for recorded figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiortc.rtcrtpreceiver
from aiohttp import ClientSession, web
from aiortc import MediaStreamTrack, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from bidopen.video import VideoRelays, VideoSettings, add_video_routes, video_cleanup_ctx
from bidopen.video.peer import complete_offer, new_peer_connection

TOKEN = "bench-token"
SESSION = "bench"
TICKS = os.sysconf("SC_CLK_TCK")


# --- the relay under test, run as `--serve` in its own process -------------------------


async def _serve(port_file: Path, max_viewers: int) -> None:
    async def allow(request: web.Request, session_id: str) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    settings = VideoSettings(max_viewers=max_viewers, view_burst=10_000)
    app = web.Application()
    add_video_routes(app, VideoRelays(settings), allow)
    app.cleanup_ctx.append(video_cleanup_ctx)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port_file.write_text(str(runner.addresses[0][1]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


# --- viewers that count frames without decoding them ------------------------------------


class _CountingDecoder:
    """Stands in for aiortc's VP8 decoder in the viewers' process only."""

    def decode(self, encoded_frame: object) -> list[VideoFrame]:
        frame = VideoFrame(width=16, height=16, format="yuv420p")
        frame.pts = getattr(encoded_frame, "timestamp", 0)
        frame.time_base = fractions.Fraction(1, 90_000)
        return [frame]


def _counting_decoder(codec: object) -> _CountingDecoder:
    return _CountingDecoder()


@dataclass
class _Viewer:
    pc: aiortc.RTCPeerConnection
    frames: int = 0


async def _connect_viewer(url: str) -> _Viewer:
    viewer = _Viewer(new_peer_connection())
    viewer.pc.addTransceiver("video", direction="recvonly")

    async def count(track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                viewer.frames += 1

    viewer.pc.on("track", lambda track: asyncio.ensure_future(count(track)))
    offer = await complete_offer(viewer.pc)
    async with (
        ClientSession() as http,
        http.post(
            f"{url}/api/sessions/{SESSION}/video/view", json={"type": "offer", "sdp": offer.sdp}
        ) as response,
    ):
        body = await response.json()
        if response.status != 200:
            raise RuntimeError(f"view refused: {body}")
    await viewer.pc.setRemoteDescription(RTCSessionDescription(body["sdp"], "answer"))
    return viewer


# --- measurement --------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of proc(5); index 11 and 12 after the name.
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass(frozen=True)
class Row:
    size: str
    viewers: int
    server_cpu_pct: float
    fps_median: float
    fps_min: float
    others_cpu_pct: float


async def _measure(
    pids: tuple[int, ...], viewers: list[_Viewer], seconds: float
) -> tuple[list[float], list[float]]:
    """CPU % of each process in `pids` and frames per second of each viewer."""
    cpu0, wall0 = [_cpu_seconds(pid) for pid in pids], time.monotonic()
    counts0 = [v.frames for v in viewers]
    await asyncio.sleep(seconds)
    cpu1, wall1 = [_cpu_seconds(pid) for pid in pids], time.monotonic()
    elapsed = wall1 - wall0
    fps = [(v.frames - c) / elapsed for v, c in zip(viewers, counts0, strict=True)]
    return [100 * (b - a) / elapsed for a, b in zip(cpu0, cpu1, strict=True)], fps


@contextlib.asynccontextmanager
async def _processes(
    width: int, height: int, fps: float, workdir: Path
) -> AsyncIterator[tuple[str, int, int]]:
    port_file = workdir / f"port-{width}x{height}"
    token_file = workdir / "token"
    token_file.write_text(TOKEN)
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus, other_cpus = {cpus[0]}, set(cpus[1:]) or {cpus[0]}
    server = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(port_file),
        preexec_fn=lambda: os.sched_setaffinity(0, server_cpus),
    )  # fmt: skip
    while not port_file.exists() or not port_file.read_text():
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port_file.read_text()}"
    publisher = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bidopen.video.stream", "--url", url, "--session", SESSION,
        "--token-file", str(token_file), "--width", str(width), "--height", str(height),
        "--fps", str(fps),
        preexec_fn=lambda: os.sched_setaffinity(0, other_cpus),
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield url, server.pid, publisher.pid
    finally:
        for process in (publisher, server):
            process.send_signal(signal.SIGTERM)
        await asyncio.gather(publisher.wait(), server.wait())


async def _bench_size(
    width: int, height: int, fps: float, steps: list[int], seconds: float, workdir: Path
) -> list[Row]:
    rows: list[Row] = []
    viewers: list[_Viewer] = []
    async with _processes(width, height, fps, workdir) as (url, pid, publisher_pid):
        await asyncio.sleep(3)  # publisher connected and live
        for target in steps:
            while len(viewers) < target:
                viewers.append(await _connect_viewer(url))
            await asyncio.sleep(3)  # warm-up: ICE, DTLS, first keyframes
            (cpu, publisher_cpu, own_cpu), rates = await _measure(
                (pid, publisher_pid, os.getpid()), viewers, seconds
            )
            row = Row(
                f"{width}x{height}",
                len(viewers),
                cpu,
                statistics.median(rates) if rates else 0.0,
                min(rates) if rates else 0.0,
                publisher_cpu + own_cpu,
            )
            rows.append(row)
            _print_row(row)
        await asyncio.gather(*(v.pc.close() for v in viewers))
    return rows


def _print_row(row: Row) -> None:
    print(
        f"{row.size:>9} {row.viewers:>7} {row.server_cpu_pct:>9.1f} "
        f"{row.fps_median:>9.1f} {row.fps_min:>7.1f} {row.others_cpu_pct:>10.1f}",
        flush=True,
    )


def _summarise(rows: list[Row], fps: float) -> None:
    print()
    for size in dict.fromkeys(r.size for r in rows):
        sized = [r for r in rows if r.size == size]
        base = next((r.server_cpu_pct for r in sized if r.viewers == 0), 0.0)
        loaded = [r for r in sized if r.viewers > 0]
        per_viewer = [(r.server_cpu_pct - base) / r.viewers for r in loaded]
        kept = [r.viewers for r in loaded if r.fps_min >= 0.9 * fps]
        if per_viewer:
            print(
                f"{size}: publisher alone {base:.1f}% of a core; "
                f"{statistics.median(per_viewer):.1f}% per viewer (median over steps); "
                f"most viewers with every viewer at >= 90% of {fps:g} fps: "
                f"{max(kept) if kept else 0} (of those tried)"
            )


async def _main(args: argparse.Namespace) -> None:
    aiortc.rtcrtpreceiver.get_decoder = _counting_decoder  # type: ignore[assignment]
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        os.sched_setaffinity(0, set(cpus[1:]))
    steps = [int(n) for n in args.viewers.split(",")]
    print(f"cpus: {len(cpus)}; relay pinned to cpu {cpus[0]}; {args.seconds:g} s per step")
    print(
        f"{'size':>9} {'viewers':>7} {'relay cpu%':>9} {'fps med':>9} {'fps min':>7} "
        f"{'other cpu%':>10}"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as workdir:
        for size in args.sizes.split(","):
            width, height = (int(v) for v in size.split("x"))
            rows += await _bench_size(width, height, args.fps, steps, args.seconds, Path(workdir))
    _summarise(rows, args.fps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--viewers", default="0,1,5,10,20")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--max-viewers", type=int, default=1000)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.max_viewers))
    else:
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
