"""`bidopen host documents`: list a tender's opened bid documents, or save them to a folder."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bidopen.client.bid_documents import OpenedDocumentInfo
from bidopen.client.cli_common import CommandError, emit, tell
from bidopen.client.host import HostClient

SignIn = Callable[[argparse.Namespace], Awaitable[HostClient]]


def _file_name(document: OpenedDocumentInfo) -> str:
    # The bidder chose the name: keep only its last part, so it cannot point elsewhere.
    given = Path(document.name.replace("\\", "/")).name.strip(". ") or "document.bin"
    return f"{document.lot}-{document.bidder}-{given}"


def documents_command(sign_in: SignIn) -> Callable[[argparse.Namespace], Awaitable[int]]:
    async def run(args: argparse.Namespace) -> int:
        async with await sign_in(args) as host:
            documents = await host.documents(args.tender)
            if args.lot is not None:
                documents = [d for d in documents if d.lot == args.lot]
            if args.bidder is not None:
                documents = [d for d in documents if d.bidder == args.bidder]
            listed: list[dict[str, Any]] = [dict(d.__dict__) for d in documents]
            if args.out is None:
                tell(f"{len(documents)} 份已开标的投标文件 opened bid documents")
                emit(listed)
                return 0
            out: Path = args.out
            for document, entry in zip(documents, listed, strict=True):
                target = out / _file_name(document)
                saved = await host.download_document(
                    args.tender, document.lot, document.bidder, target, overwrite=args.force
                )
                if saved.sha256 != document.sha256:
                    raise CommandError(f"{target}: the SHA-256 differs from the listing")
                tell(f"已保存 saved {target} ({saved.size} bytes, sha256 {saved.sha256})")
                entry["path"] = str(target)
        emit(listed)
        return 0

    return run


def _folder(text: str) -> Path:
    folder = Path(text)
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is not a folder")
    return folder


def add_document_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lot", help="only this lot")
    parser.add_argument("--bidder", help="only this bidder")
    parser.add_argument(
        "--out",
        type=_folder,
        metavar="FOLDER",
        help="save the documents here (default: only list them)",
    )
    parser.add_argument("--force", action="store_true", help="replace files already in FOLDER")
