"""Views for tenders: a host creates one; anyone lists and reads the public part."""

from __future__ import annotations

import re

from aiohttp import web

from bidopen.appkeys import CLOCK, CONFIG, OPENING, TENDERS
from bidopen.errors import HubError
from bidopen.http.auth import require
from bidopen.http.declared import answers, reads
from bidopen.http.parsing import int_query, json_body
from bidopen.service.accounts import HOST
from bidopen.service.tenders import parse_draft
from bidopen.wire.answers import DeadlineStatement, Postponements, Tender, TenderList
from bidopen.wire.bodies import CreateTender

routes = web.RouteTableDef()


@routes.post("/api/tenders")
@reads(CreateTender)
@answers(Tender, status=201)
async def create_tender(request: web.Request) -> web.Response:
    principal = await require(request, HOST)
    draft = parse_draft(
        await json_body(request, CreateTender),
        request.app[CLOCK].now(),
        request.app[CONFIG].max_deadline_days,
        demo=request.app[CONFIG].demo,
    )
    code = await request.app[TENDERS].create(principal, draft)
    return web.json_response(await request.app[TENDERS].describe(code), status=201)


@routes.get("/api/tenders")
@answers(TenderList)
async def list_tenders(request: web.Request) -> web.Response:
    limit = int_query(request, "limit", 50, 1, 200)
    offset = int_query(request, "offset", 0, 0, 10**9)
    # Which organisation a tender belongs to is public: the host console lists its own.
    organisation = request.query.get("organisation")
    tenders = await request.app[TENDERS].list(limit=limit, offset=offset, organisation=organisation)
    return web.json_response({"tenders": tenders})


@routes.get("/api/tenders/{tender_id}")
@answers(Tender)
async def get_tender(request: web.Request) -> web.Response:
    return web.json_response(await request.app[TENDERS].describe(request.match_info["tender_id"]))


@routes.get("/api/tenders/{tender_id}/postponements")
@answers(Postponements)
async def postponements(request: web.Request) -> web.Response:
    """The signed notices of every later deadline; bidders' clients wait for the latest."""
    notices = await request.app[OPENING].postponements(request.match_info["tender_id"])
    return web.json_response({"notices": notices})


NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@routes.get("/api/tenders/{tender_id}/deadline")
@answers(DeadlineStatement)
async def deadline_statement(request: web.Request) -> web.Response:
    """The deadline in force now, signed over the client's nonce (so it cannot be replayed).

    A bidder's client asks for it before handing over a data key: a hub that hides a
    postponement must sign the lie, and the signed statement is the bidder's evidence.
    """
    nonce = request.query.get("nonce", "")
    if not NONCE.match(nonce):
        raise HubError("validation_failed", "nonce: 16 to 64 base64url characters")
    statement = await request.app[OPENING].deadline_statement(
        request.match_info["tender_id"], nonce
    )
    return web.json_response({"statement": statement})
