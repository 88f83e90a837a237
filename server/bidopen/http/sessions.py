"""Views for the opening session: host and bidder commands, snapshots, catch-up, documents."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bidopen.appkeys import CLOCK, CONFIG, HOST_SCOPE, OPENING, SCHEDULER
from bidopen.errors import HubError
from bidopen.http.auth import authenticate, host_actor, require
from bidopen.http.declared import answers, reads
from bidopen.http.parsing import bearer_token, int_query, json_body, no_body
from bidopen.service.accounts import BIDDER, HOST
from bidopen.service.commands import HOST_COMMANDS
from bidopen.service.timelimits import check_deadline
from bidopen.service.views import PUBLIC, event_messages
from bidopen.store.eventlog import StoredEvent
from bidopen.wire.answers import CommandApplied, EventsPage, SessionLog, SessionSnapshot, SignedIn
from bidopen.wire.bodies import BIDDER_COMMAND_BODIES, HOST_COMMAND_BODIES, NoBody
from bidopen.wire.messages import SignedDocument

routes = web.RouteTableDef()


def _applied(events: list[StoredEvent]) -> dict[str, Any]:
    # Hosts receive every event whole, wherever the read-out is.
    messages = event_messages(HOST, events, read_out_seq=None)
    return {"events": messages, "seq": events[-1].seq if events else None}


@routes.post("/api/sessions/{session_id}/host/{command}")
@reads(by=("command", HOST_COMMAND_BODIES))
@answers(CommandApplied)
async def host_command(request: web.Request) -> web.Response:
    name = request.match_info["command"]
    session_id = request.match_info["session_id"]
    actor = await host_actor(request, session_id)
    if name not in HOST_COMMANDS:
        raise HubError("not_found", f"No host command {name!r}.")
    body = await json_body(request, HOST_COMMAND_BODIES[name])
    if name == "reschedule":
        _check_new_deadline(request, body)
    events = await request.app[OPENING].host_command(session_id, actor, name, body)
    return web.json_response(_applied(events))


def _check_new_deadline(request: web.Request, body: Any) -> None:
    """A new deadline has the range of a tender's first one (`max_deadline_days`)."""
    now = request.app[CLOCK].now()
    check_deadline("deadline", body.deadline, now, request.app[CONFIG].max_deadline_days)


@routes.post("/api/sessions/{session_id}/sign-in")
@reads(NoBody)
@answers(SignedIn)
async def sign_in(request: web.Request) -> web.Response:
    principal = await require(request, BIDDER)
    await no_body(request)
    return web.json_response(
        await request.app[OPENING].sign_in(request.match_info["session_id"], principal.subject)
    )


@routes.post("/api/sessions/{session_id}/bidder/{command}")
@reads(by=("command", BIDDER_COMMAND_BODIES))
@answers(CommandApplied)
async def bidder_command(request: web.Request) -> web.Response:
    name = request.match_info["command"]
    principal = await require(request, BIDDER)
    if name not in BIDDER_COMMAND_BODIES:
        raise HubError("not_found", f"No bidder command {name!r}.")
    body = await json_body(request, BIDDER_COMMAND_BODIES[name])
    session_id = request.match_info["session_id"]
    opening = request.app[OPENING]
    events = await opening.bidder_command(session_id, principal.subject, name, body)
    return web.json_response(
        {
            "seq": events[-1].seq if events else None,
            "events": await opening.messages(session_id, BIDDER, events),
        }
    )


async def _role(request: web.Request) -> tuple[str, str | None]:
    """The caller's role for reading: a token makes it host or bidder, none makes it public.

    A host of another organisation reads the tender as the public does.
    """
    if bearer_token(request) is None:
        return PUBLIC, None
    principal = await authenticate(request)
    if principal.role == HOST and not await request.app[HOST_SCOPE].may_act(
        principal, request.match_info["session_id"]
    ):
        return PUBLIC, None
    return principal.role, principal.subject


@routes.get("/api/sessions/{session_id}")
@answers(SessionSnapshot)
async def snapshot(request: web.Request) -> web.Response:
    role, subject = await _role(request)
    session_id = request.match_info["session_id"]
    snap = await request.app[OPENING].snapshot(session_id, role, subject)
    if role == HOST:
        # What the scheduler could not do for this session (null when all is well).
        snap["scheduler_fault"] = request.app[SCHEDULER].faults().get(session_id)
    return web.json_response(snap)


@routes.get("/api/sessions/{session_id}/events")
@answers(EventsPage)
async def events(request: web.Request) -> web.Response:
    role, _ = await _role(request)
    after = int_query(request, "after", 0, 0, 2**62)
    limit = int_query(request, "limit", 500, 1, 1000)
    return web.json_response(
        await request.app[OPENING].events(request.match_info["session_id"], role, after, limit)
    )


@routes.get("/api/sessions/{session_id}/log")
@answers(SessionLog)
async def full_log(request: web.Request) -> web.Response:
    """The whole log with each event's leaf in the public log, for the tender's hosts."""
    session_id = request.match_info["session_id"]
    await host_actor(request, session_id)
    stored = await request.app[OPENING].log(session_id)
    return web.json_response(
        {
            "events": [
                {
                    "seq": e.seq,
                    "kind": e.kind,
                    "at": e.at,
                    "payload": e.payload,
                    "leaf": e.leaf,
                }
                for e in stored
            ]
        }
    )


@routes.get("/api/sessions/{session_id}/record")
@answers(SignedDocument, description="The signed `opening-record`, as issued.")
async def record(request: web.Request) -> web.Response:
    text = await request.app[OPENING].document(request.match_info["session_id"], "opening-record")
    return web.Response(text=text, content_type="application/json")


@routes.get("/api/sessions/{session_id}/results/{lot_id}")
@answers(SignedDocument, description="The signed `evaluation-result` of the lot, as issued.")
async def result(request: web.Request) -> web.Response:
    text = await request.app[OPENING].document(
        request.match_info["session_id"], "evaluation-result", request.match_info["lot_id"]
    )
    return web.Response(text=text, content_type="application/json")
