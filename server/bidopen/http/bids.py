"""Views for a bidder's own bids: streaming upload, withdrawal, receipts, rehearsal, data keys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from bidopen.appkeys import ACCOUNTS, BIDDING, DECRYPTION, METRICS
from bidopen.http.auth import require
from bidopen.http.connections import since_last_bytes
from bidopen.http.declared import answers, reads
from bidopen.http.parsing import json_body, no_body
from bidopen.service.accounts import BIDDER
from bidopen.service.bidding import Submission
from bidopen.wire.answers import (
    BidReceipt,
    BidWithdrawal,
    CurrentBid,
    DataKeyAccepted,
    MyBids,
    Rehearsal,
    RehearsalPassed,
)
from bidopen.wire.bodies import DataKey, NoBody, RehearsalAnswer

routes = web.RouteTableDef()

READ_CHUNK = 256 * 1024


async def _target(request: web.Request) -> Submission:
    principal = await require(request, BIDDER)
    bidder = await request.app[ACCOUNTS].bidder(principal.subject)
    return Submission(request.match_info["tender_id"], request.match_info["lot_id"], bidder)


async def _chunks(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(READ_CHUNK):
        yield chunk


@routes.put("/api/tenders/{tender_id}/lots/{lot_id}/bid")
@reads(octets=True)
@answers(BidReceipt, status=201)
async def put_bid(request: web.Request) -> web.Response:
    # Who is uploading is looked up while the bytes come in (`Bidding.submit`).
    uploads = request.app[METRICS].uploads
    try:
        receipt = await request.app[BIDDING].submit(
            asyncio.ensure_future(_target(request)),
            _chunks(request),
            request.content_length,
            received_ago=lambda: since_last_bytes(request.transport),
        )
    except Exception:
        uploads.labels("refused").inc()
        raise
    uploads.labels("stored").inc()
    request.app[METRICS].upload_bytes.inc(request.content.total_bytes)
    return web.json_response({"receipt": receipt}, status=201)


@routes.delete("/api/tenders/{tender_id}/lots/{lot_id}/bid")
@answers(BidWithdrawal)
async def withdraw_bid(request: web.Request) -> web.Response:
    target = await _target(request)
    return web.json_response({"withdrawal": await request.app[BIDDING].withdraw(target)})


@routes.get("/api/tenders/{tender_id}/lots/{lot_id}/bid")
@answers(CurrentBid)
async def get_bid(request: web.Request) -> web.Response:
    target = await _target(request)
    return web.json_response(
        await request.app[BIDDING].receipt(target.tender_id, target.lot_id, target.bidder.id)
    )


@routes.get("/api/tenders/{tender_id}/bids/mine")
@answers(MyBids)
async def my_bids(request: web.Request) -> web.Response:
    principal = await require(request, BIDDER)
    bids = await request.app[BIDDING].my_bids(request.match_info["tender_id"], principal.subject)
    return web.json_response({"bids": bids})


@routes.post("/api/tenders/{tender_id}/lots/{lot_id}/data-key")
@reads(DataKey)
@answers(DataKeyAccepted)
async def submit_data_key(request: web.Request) -> web.Response:
    target = await _target(request)
    body = await json_body(request, DataKey)
    result = await request.app[DECRYPTION].submit_key(
        target.tender_id, target.lot_id, target.bidder.id, body.data_key
    )
    return web.json_response(result)


@routes.post("/api/bidders/me/rehearsal")
@reads(NoBody)
@answers(Rehearsal, status=201)
async def start_rehearsal(request: web.Request) -> web.Response:
    principal = await require(request, BIDDER)
    await no_body(request)
    bidder = await request.app[ACCOUNTS].bidder(principal.subject)
    return web.json_response(await request.app[DECRYPTION].start_rehearsal(bidder), status=201)


@routes.post("/api/bidders/me/rehearsal/{rehearsal_id}")
@reads(RehearsalAnswer)
@answers(RehearsalPassed)
async def answer_rehearsal(request: web.Request) -> web.Response:
    principal = await require(request, BIDDER)
    bidder = await request.app[ACCOUNTS].bidder(principal.subject)
    body = await json_body(request, RehearsalAnswer)
    await request.app[DECRYPTION].answer_rehearsal(
        bidder, request.match_info["rehearsal_id"], body.key
    )
    return web.json_response({"passed": True})
