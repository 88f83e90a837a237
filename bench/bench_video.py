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
from datetime import datetime
from pathlib import Path

import aiortc.rtcrtpreceiver
from aiohttp import ClientSession, web
from aiortc import MediaStreamTrack, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame
from av.packet import Packet

from bidopen.video import VideoRelays, VideoSettings, add_video_routes, video_cleanup_ctx
from bidopen.video.peer import complete_offer, new_peer_connection

TOKEN = "bench-token"
SESSION = "bench"
TICKS = os.sysconf("SC_CLK_TCK")


# --- the relay under test, run as `--serve` in its own process -------------------------


async def _serve(max_viewers: int, shared: bool) -> None:
    async def allow(request: web.Request, session_id: str) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    settings = VideoSettings(max_viewers=max_viewers, view_burst=10_000, shared_encoding=shared)
    app = web.Application()
    add_video_routes(app, VideoRelays(settings), allow)
    app.cleanup_ctx.append(video_cleanup_ctx)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(runner.addresses[0][1], flush=True)  # the parent reads the port from this line
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
    width: int, height: int, fps: float, mode: str, max_viewers: int, workdir: Path
) -> AsyncIterator[tuple[str, int, int]]:
    token_file = workdir / "token"
    token_file.write_text(TOKEN)
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus, other_cpus = {cpus[0]}, set(cpus[1:]) or {cpus[0]}
    server = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", "--mode", mode,
        "--max-viewers", str(max_viewers),
        stdout=asyncio.subprocess.PIPE,
        preexec_fn=lambda: os.sched_setaffinity(0, server_cpus),
    )  # fmt: skip
    assert server.stdout is not None
    url = f"http://127.0.0.1:{int(await server.stdout.readline())}"
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
    width: int, height: int, args: argparse.Namespace, workdir: Path
) -> list[Row]:
    fps, seconds = args.fps, args.seconds
    steps = [int(n) for n in args.viewers.split(",")]
    rows: list[Row] = []
    viewers: list[_Viewer] = []
    processes = _processes(width, height, fps, args.mode, args.max_viewers, workdir)
    async with processes as (url, pid, publisher_pid):
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
    """Per-viewer cost in CPU time per delivered frame, which holds even when the relay
    got less than a full core (other load on the machine); viewers per core follow."""
    print()
    for size in dict.fromkeys(r.size for r in rows):
        sized = [r for r in rows if r.size == size]
        base = next((r.server_cpu_pct for r in sized if r.viewers == 0), 0.0)
        costs = [
            (r.server_cpu_pct - base) * 10 / (r.fps_median * r.viewers)
            for r in sized
            if r.viewers > 0 and r.fps_median > 0
        ]
        kept = [r.viewers for r in sized if r.viewers > 0 and r.fps_min >= 0.9 * fps]
        if not costs:
            continue
        per_frame_ms = statistics.median(costs)
        per_viewer_pct = per_frame_ms * fps / 10
        per_core = (100 - base) / per_viewer_pct
        print(
            f"{size}: publisher alone {base:.1f}% of a core; {per_frame_ms:.2f} ms of CPU "
            f"per viewer-frame = {per_viewer_pct:.1f}% of a core per viewer at {fps:g} fps; "
            f"one core: ~{per_core:.0f} viewers; largest step with every viewer at >= 90% "
            f"of {fps:g} fps: {max(kept) if kept else 0}"
        )


def _split(sizes: str, frames: int) -> None:
    """CPU time of each stage for one frame, measured in this process alone.

    Process CPU time, unlike wall time, barely moves when other work shares the
    machine, so these figures stay comparable between runs. Per viewer the relay
    pays `encode` (per-viewer mode) or `pack` (shared mode), plus SRTP and
    sending, which the end-to-end rows include.
    """
    from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
    from aiortc.jitterbuffer import JitterFrame

    from bidopen.video.pattern import PatternGeometry, render_pattern

    print(f"{'size':>9} {'render':>8} {'encode':>8} {'decode':>8} {'pack':>8}  (ms CPU/frame)")
    for size in sizes.split(","):
        width, height = (int(v) for v in size.split("x"))
        geometry = PatternGeometry(width, height)
        clock = datetime.now()
        started = time.process_time()
        pictures = [render_pattern(i, geometry, clock) for i in range(frames)]
        render_ms = (time.process_time() - started) * 1000 / frames
        for index, picture in enumerate(pictures):
            picture.pts, picture.time_base = index * 3000, fractions.Fraction(1, 90_000)
        encoder = Vp8Encoder()
        started = time.process_time()
        encoded = [encoder.encode(picture) for picture in pictures]
        encode_ms = (time.process_time() - started) * 1000 / frames
        decoder = Vp8Decoder()
        jitter = [
            JitterFrame(b"".join(vp8_depayload(p) for p in payloads), timestamp)
            for payloads, timestamp in encoded
        ]
        started = time.process_time()
        for frame in jitter:
            decoder.decode(frame)
        decode_ms = (time.process_time() - started) * 1000 / frames
        packets = []
        for frame in jitter:
            packet = Packet(frame.data)
            packet.pts, packet.time_base = frame.timestamp, fractions.Fraction(1, 90_000)
            packets.append(packet)
        packer = Vp8Encoder()
        started = time.process_time()
        for packet in packets:
            packer.pack(packet)
        pack_ms = (time.process_time() - started) * 1000 / frames
        print(
            f"{size:>9} {render_ms:>8.2f} {encode_ms:>8.2f} {decode_ms:>8.2f} {pack_ms:>8.3f}",
            flush=True,
        )


async def _main(args: argparse.Namespace) -> None:
    # SIGTERM cancels the run, so that the relay and publisher processes are ended too.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    aiortc.rtcrtpreceiver.get_decoder = _counting_decoder  # type: ignore[assignment]
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        os.sched_setaffinity(0, set(cpus[1:]))
    print(
        f"mode: {args.mode}; cpus: {len(cpus)}; relay pinned to cpu {cpus[0]}; "
        f"{args.seconds:g} s per step; load average before: {_loadavg()}"
    )
    print(
        f"{'size':>9} {'viewers':>7} {'relay cpu%':>9} {'fps med':>9} {'fps min':>7} "
        f"{'other cpu%':>10}"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as workdir:
        for size in args.sizes.split(","):
            width, height = (int(v) for v in size.split("x"))
            rows += await _bench_size(width, height, args, Path(workdir))
    _summarise(rows, args.fps)
    print(f"load average after: {_loadavg()}")


def _loadavg() -> str:
    # Other work on the machine steals CPU from both sides; the figures say how much there was.
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--viewers", default="0,1,5,10,20")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--max-viewers", type=int, default=1000)
    parser.add_argument(
        "--mode",
        choices=("per-viewer", "shared"),
        default="per-viewer",
        help="per-viewer: aiortc encodes for each viewer; shared: encode once per session",
    )
    parser.add_argument(
        "--split",
        type=int,
        metavar="FRAMES",
        help="instead: CPU per frame of render, encode, decode and pack, over FRAMES frames",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.max_viewers, args.mode == "shared"))
    elif args.split:
        _split(args.sizes, args.split)
    else:
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
