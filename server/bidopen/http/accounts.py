"""Views for sign-in: host password login, bidder registration and challenge login, server key."""

from __future__ import annotations

from aiohttp import web

from bidopen.appkeys import ACCOUNTS, SIGNER
from bidopen.clock import iso
from bidopen.errors import HubError
from bidopen.http.audience import challenge_audience
from bidopen.http.auth import client_address, require
from bidopen.http.declared import answers, reads
from bidopen.http.parsing import bearer_token, json_body, no_body
from bidopen.service.accounts import BIDDER, HOST
from bidopen.wire.answers import (
    BidderMe,
    Challenge,
    HostMe,
    LoggedOut,
    Registered,
    ServerKey,
    Token,
)
from bidopen.wire.bodies import BidderLogin, HostLogin, NoBody, RegisterBidder

routes = web.RouteTableDef()


@routes.get("/api/server-key")
@answers(ServerKey)
async def server_key(request: web.Request) -> web.Response:
    return web.json_response(request.app[SIGNER].public_description())


@routes.get("/api/server-key/{key_id}")
@answers(ServerKey)
async def server_key_by_id(request: web.Request) -> web.Response:
    """The current key or a retired one: documents signed before a rotation still verify."""
    described = request.app[SIGNER].description_of(request.match_info["key_id"])
    if described is None:
        raise HubError("not_found", "No server key has this id.")
    return web.json_response(described)


@routes.post("/api/host/login")
@reads(HostLogin)
@answers(Token)
async def host_login(request: web.Request) -> web.Response:
    body = await json_body(request, HostLogin)
    issued = await request.app[ACCOUNTS].host_login(
        body.username, body.password, address=client_address(request)
    )
    return web.json_response({"token": issued.token, "expires_at": iso(issued.expires_at)})


@routes.post("/api/logout")
@reads(NoBody)
@answers(LoggedOut)
async def logout(request: web.Request) -> web.Response:
    await no_body(request)
    token = bearer_token(request)
    if token:
        await request.app[ACCOUNTS].logout(token)
    return web.json_response({"logged_out": True})


@routes.get("/api/host/me")
@answers(HostMe)
async def host_me(request: web.Request) -> web.Response:
    principal = await require(request, HOST)
    organisation = await request.app[ACCOUNTS].organisation(principal.organisation)
    return web.json_response(
        {
            "role": HOST,
            "username": principal.subject,
            "organisation": {"id": organisation.id, "name": organisation.name},
        }
    )


@routes.post("/api/bidders")
@reads(RegisterBidder)
@answers(Registered, status=201)
async def register_bidder(request: web.Request) -> web.Response:
    body = await json_body(request, RegisterBidder)
    bidder = await request.app[ACCOUNTS].register_bidder(
        body.org_name, body.contact, body.bundle_text()
    )
    return web.json_response({"bidder_id": bidder.id, "key_id": bidder.key_id}, status=201)


@routes.post("/api/bidders/{bidder_id}/challenge")
@reads(NoBody)
@answers(Challenge)
async def bidder_challenge(request: web.Request) -> web.Response:
    await no_body(request)
    accounts = request.app[ACCOUNTS]
    audience = challenge_audience(request, accounts.audience)
    issued = await accounts.challenge(request.match_info["bidder_id"], audience)
    return web.json_response(
        {
            "challenge": issued.challenge,
            "audience": issued.audience,
            "expires_at": iso(issued.expires_at),
        }
    )


@routes.post("/api/bidders/{bidder_id}/login")
@reads(BidderLogin)
@answers(Token)
async def bidder_login(request: web.Request) -> web.Response:
    body = await json_body(request, BidderLogin)
    issued = await request.app[ACCOUNTS].bidder_login(
        request.match_info["bidder_id"], body.challenge, body.signature
    )
    return web.json_response({"token": issued.token, "expires_at": iso(issued.expires_at)})


@routes.get("/api/bidders/me")
@answers(BidderMe)
async def bidder_me(request: web.Request) -> web.Response:
    principal = await require(request, BIDDER)
    bidder = await request.app[ACCOUNTS].bidder(principal.subject)
    return web.json_response(
        {
            "bidder_id": bidder.id,
            "org_name": bidder.org_name,
            "contact": bidder.contact,
            "key_id": bidder.key_id,
        }
    )
