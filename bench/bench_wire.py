"""The floor under a broadcast: raw loopback sends, and what one simulated viewer costs.

    python bench/bench_wire.py [--viewers 5000]

1. `send`: one `socket.send` per connection over N loopback TCP pairs, nothing else: what
   the hub's pass over N websockets could at best take on this machine.
2. `viewer`: the CPU time one `bidopen simulate` viewer spends on the read-out batch of a
   300-bid opening (three frames, the read-out compressed), from its bytes to its sighting.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import time
from typing import Any

from bidopen.realtime.frames import BroadcastFrames, encode_event_message
from bidopen.simulate.options import viewer_plan
from bidopen.simulate.viewer import CheapViewer, ViewerState
from bidopen.simulate.websocket import Deflate

_SIZES = (40, 5_400, 44_000)
_AT = "2026-11-27T04:00:00.000000Z"


def send_floor(connections: int) -> dict[str, list[float]]:
    """Milliseconds for one send to each of `connections` sockets, per payload size."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * connections + 256), hard))
    listener = socket.create_server(("127.0.0.1", 0), backlog=connections)
    readers, writers = [], []
    for _ in range(connections):
        readers.append(socket.create_connection(listener.getsockname()))
        writer, _ = listener.accept()
        writers.append(writer)
    figures: dict[str, list[float]] = {}
    try:
        for size in _SIZES:
            payload = os.urandom(size)
            times = []
            for _ in range(3):
                start = time.perf_counter()
                for writer in writers:
                    writer.send(payload)
                times.append(round((time.perf_counter() - start) * 1e3, 1))
                for reader in readers:
                    got = 0
                    while got < size:
                        got += len(reader.recv(65536))
            figures[str(size)] = times
    finally:
        for sock in (*readers, *writers, listener):
            sock.close()
    return figures


def read_out_batch(bidders: int) -> bytes:
    """The public frames of a read-out's commit, compressed for a 15-bit window."""
    lines = [
        {
            "bidder": f"BD{index:010X}",
            "bidder_name": f"模拟投标人 {index:03d}",
            "items": {"duration_days": str(180 + index % 60), "price": f"{1_000_000 + index}.00"},
            "status": "opened",
        }
        for index in range(bidders)
    ]
    events = [
        {"seq": 901, "kind": "decryption_closed", "data": {"at": _AT, "by_host": True}},
        {"seq": 902, "kind": "read_out", "data": {"at": _AT, "lots": [{"lines": lines}]}},
        {"seq": 903, "kind": "confirmation_started", "data": {"at": _AT, "ends_at": _AT}},
    ]
    messages = [encode_event_message("/public", "event", event) for event in events]
    return BroadcastFrames(messages).for_window(15)


def viewer_cost(viewers: int, bidders: int) -> dict[str, Any]:
    frames = read_out_batch(bidders)
    plan = viewer_plan("http://127.0.0.1:1", "ZB-1")
    crowd = []
    for _ in range(viewers):
        state = ViewerState(joined=True)
        viewer = CheapViewer(plan, state, lambda change: None)
        # As after a handshake that agreed on permessage-deflate without context takeover.
        viewer._upgrade.complete = True
        viewer._inflater = Deflate(server_no_context_takeover=True).inflater()
        viewer._decoder.deflate = True
        crowd.append((viewer, state))
    # Each viewer reads its own copy, as from its own socket.
    received = [bytes(bytearray(frames)) for _ in crowd]
    start = time.perf_counter()
    for (viewer, _), data in zip(crowd, received, strict=True):
        viewer.data_received(data)
    elapsed = time.perf_counter() - start
    seen = sum(1 for _, state in crowd if "event/read_out" in state.sightings)
    if seen != viewers:
        raise SystemExit(f"only {seen} of {viewers} viewers saw the read-out")
    return {
        "batch_bytes": len(frames),
        "microseconds_per_viewer": round(elapsed / viewers * 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--bidders", type=int, default=300)
    args = parser.parse_args()
    report = {
        "connections": args.viewers,
        "send_ms_by_payload_bytes": send_floor(args.viewers),
        "viewer": viewer_cost(args.viewers, args.bidders),
        "load_average_1m": os.getloadavg()[0],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
