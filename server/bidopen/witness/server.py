"""The witness's HTTP face: `POST /add-checkpoint` (C2SP tlog-witness) and `GET /vkey`."""

from __future__ import annotations

import time
from collections.abc import Mapping

from aiohttp import web

from bidopen.tlog.checkpoint import Checkpoint
from bidopen.tlog.cosignature import Cosigner
from bidopen.tlog.errors import LogError
from bidopen.tlog.note import Ed25519Verifier, SignedNote
from bidopen.tlog.witnessing import AddCheckpoint, Verdict, judge
from bidopen.witness.state import WitnessState

MAX_BODY = 64 * 1024
_TEXT = "text/plain"


def create_witness_app(
    cosigner: Cosigner, logs: Mapping[str, Ed25519Verifier], state: WitnessState
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)

    async def add_checkpoint(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            wanted = AddCheckpoint.parse(body)
            origin = Checkpoint.parse(SignedNote.parse(wanted.note).text).origin
        except LogError as exc:
            return web.Response(status=400, text=f"{exc}\n", content_type=_TEXT)

        def decide(last: tuple[int, bytes] | None) -> tuple[Verdict, tuple[int, bytes] | None]:
            verdict = judge(wanted, logs, last)
            accepted = verdict.accept
            return verdict, None if accepted is None else (accepted.size, accepted.root)

        verdict = state.update(origin, decide)
        if verdict.accept is None:
            kind = "text/x.tlog.size" if verdict.status == 409 else _TEXT
            return web.Response(status=verdict.status, text=verdict.body, content_type=kind)
        line = cosigner.cosign(verdict.accept.text(), int(time.time())).line
        return web.Response(text=line, content_type=_TEXT, charset="utf-8")

    async def vkey(request: web.Request) -> web.Response:
        return web.Response(text=cosigner.verifier.vkey + "\n", content_type=_TEXT)

    app.router.add_post("/add-checkpoint", add_checkpoint)
    app.router.add_get("/vkey", vkey)
    app.on_cleanup.append(lambda _app: _close(state))
    return app


async def _close(state: WitnessState) -> None:
    state.close()
