"""Opened bid documents from the hub after the read-out: the listing, and a checked download."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bidopen.client.errors import ClientError
from bidopen.client.rest import HubHttp
from bidseal.files import atomic_output

_PIECE = 1024 * 1024


@dataclass(frozen=True)
class OpenedDocumentInfo:
    """One entry of `GET /api/tenders/{id}/documents` (docs/protocol.md 5.6)."""

    lot: str
    bidder: str
    bidder_name: str
    bid_sha256: str
    size: int
    sha256: str
    name: str
    opened_at: str

    @classmethod
    def from_json(cls, value: Any) -> OpenedDocumentInfo:
        try:
            return cls(
                lot=str(value["lot"]),
                bidder=str(value["bidder"]),
                bidder_name=str(value["bidder_name"]),
                bid_sha256=str(value["bid_sha256"]),
                size=int(value["size"]),
                sha256=str(value["sha256"]),
                name=str(value["name"]),
                opened_at=str(value["opened_at"]),
            )
        except (KeyError, TypeError, ValueError):
            raise ClientError(
                "bad_response", f"unexpected document entry: {value!r:.200}"
            ) from None


@dataclass(frozen=True)
class DownloadedDocument:
    path: str
    size: int
    sha256: str


async def list_documents(http: HubHttp, tender_id: str) -> list[OpenedDocumentInfo]:
    answer = await http.get(f"/api/tenders/{quote(tender_id, safe='')}/documents")
    if not isinstance(answer, dict) or not isinstance(answer.get("documents"), list):
        raise ClientError("bad_response", "unexpected document listing")
    return [OpenedDocumentInfo.from_json(item) for item in answer["documents"]]


def _incomplete(detail: str) -> ClientError:
    return ClientError(
        "document_incomplete",
        f"the download did not complete: {detail}; nothing was kept",
        f"下载未完成：{detail}；未保存任何文件",
    )


async def download_document(
    http: HubHttp,
    tender_id: str,
    lot: str,
    bidder: str,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> DownloadedDocument:
    """Stream one document to `out`; it appears only whole, with the size and hash announced."""
    tender_part, lot_part, bidder_part = (quote(part, safe="") for part in (tender_id, lot, bidder))
    url = f"{http.base_url}/api/tenders/{tender_part}/lots/{lot_part}/bids/{bidder_part}/document"
    headers = {} if http.token is None else {"Authorization": f"Bearer {http.token}"}
    try:
        async with http.session.get(url, headers=headers) as response:
            if response.status >= 400:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                raise ClientError.from_payload(body, response.status)
            expected_sha256 = response.headers.get("X-Document-SHA256", "")
            expected_size = response.content_length
            digest = hashlib.sha256()
            size = 0
            with atomic_output(out, overwrite=overwrite) as handle:
                async for piece in response.content.iter_chunked(_PIECE):
                    handle.write(piece)
                    digest.update(piece)
                    size += len(piece)
                if size != expected_size:
                    raise _incomplete(f"{size} of {expected_size} bytes")
                if digest.hexdigest() != expected_sha256:
                    raise _incomplete("the SHA-256 differs from the hub's")
    except aiohttp.ClientPayloadError as error:
        raise _incomplete(f"the hub cut the connection ({error})") from None
    except aiohttp.ClientError as error:
        raise ClientError.unreachable(url, error) from error
    return DownloadedDocument(str(out), size, digest.hexdigest())
