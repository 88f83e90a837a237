"""Views of opened bid documents: the listing, the read log, and the document streamed."""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from bidopen.appkeys import ACCOUNTS, DOCUMENTS
from bidopen.errors import HubError
from bidopen.http.declared import OCTETS, answers
from bidopen.http.parsing import bearer_token
from bidopen.service.bid_documents import DocumentRelease
from bidopen.store.accounts import Principal
from bidopen.wire.answers import DocumentListing, DocumentReads

log = logging.getLogger("bidopen.http")

routes = web.RouteTableDef()


async def _reader(request: web.Request) -> Principal:
    """A host or a bidder; the public gets 401, as for any call that needs an account."""
    return await request.app[ACCOUNTS].authenticate(bearer_token(request))


def _file_name(release: DocumentRelease) -> str:
    document = release.document
    # Only the last path part of what the bidder's client named, without control characters.
    given = document.name.replace("\\", "/").rsplit("/", 1)[-1]
    given = "".join(ch for ch in given if ch.isprintable()).strip(". ")
    return f"{document.lot_id}-{document.bidder_id}-{given or 'document.bin'}"


def _headers(release: DocumentRelease) -> dict[str, str]:
    name = _file_name(release)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return {
        "Content-Type": OCTETS,
        "Content-Disposition": (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
        ),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Document-SHA256": release.document.sha256,
        "X-Bid-SHA256": release.document.bid_sha256,
    }


@routes.get("/api/tenders/{tender_id}/documents")
@answers(DocumentListing)
async def list_documents(request: web.Request) -> web.Response:
    reader = await _reader(request)
    documents = await request.app[DOCUMENTS].listing(request.match_info["tender_id"], reader)
    return web.json_response({"documents": documents})


@routes.get("/api/tenders/{tender_id}/documents/reads")
@answers(DocumentReads)
async def list_reads(request: web.Request) -> web.Response:
    reader = await _reader(request)
    reads = await request.app[DOCUMENTS].reads(request.match_info["tender_id"], reader)
    return web.json_response({"reads": reads})


@routes.get("/api/tenders/{tender_id}/lots/{lot_id}/bids/{bidder_id}/document")
@answers(media_type=OCTETS, description="The plaintext document (`X-Document-SHA256`).")
async def download_document(request: web.Request) -> web.StreamResponse:
    reader = await _reader(request)
    documents = request.app[DOCUMENTS]
    release = await documents.release(
        request.match_info["tender_id"],
        request.match_info["lot_id"],
        request.match_info["bidder_id"],
        reader,
    )
    pieces = documents.plaintext(release)
    try:
        # A file damaged in its first chunk is refused with a JSON error, before any header.
        first = await anext(pieces, b"")
    except HubError:
        await pieces.aclose()
        raise
    response = web.StreamResponse(headers=_headers(release))
    # A declared length makes a short body an error for every client, never a whole-looking file.
    response.content_length = release.document.size
    try:
        await response.prepare(request)
        if first:
            await response.write(first)
        async for piece in pieces:
            await response.write(piece)
    except HubError:
        # The status is sent: a JSON error now would read as part of the document. Cut the
        # connection instead; the client is left short of the declared length.
        request.protocol.force_close()
        return response
    except ConnectionError:
        log.info("a document download ended early: the client went away")
        return response
    finally:
        await pieces.aclose()
    await response.write_eof()
    return response
