"""What the data folder holds, checked against the database before the hub serves anything."""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bidopen.errors import StartRefused
from bidopen.service.archive import ARCHIVE_KEY_FILE, BidArchive
from bidopen.service.signing import SERVER_KEY_FILE, ServerSigner
from bidopen.store import bids as bid_store
from bidopen.store.db import Database
from bidopen.store.documents import newest_document
from bidopen.store.files import INCOMING, RANDOM_NAME, SEALED_SUFFIX, inside, new_sealed_path
from bidopen.store.tenders import has_tenders
from bidseal import InvalidSignedDocument, verify_document

log = logging.getLogger("bidopen.start")

# Sealed files that no row names are moved here at start, under random names.
UNCLAIMED = ".unclaimed"
# With a database shared by several nodes a file may be renamed into place by another node
# whose row is about to commit: only files older than this are taken as unclaimed there.
SHARED_FOLDER_GRACE_SECONDS = 600.0


@dataclass(frozen=True)
class FolderSurvey:
    """The data folder as found at start, before this process made anything in it."""

    sealed_files: tuple[str, ...]  # relative to the bids folder
    server_key: bool
    archive_key: bool

    @property
    def holds_keys(self) -> bool:
        return self.server_key or self.archive_key


def survey(data_dir: Path, bids_dir: Path) -> FolderSurvey:
    return FolderSurvey(
        tuple(sorted(_sealed_files(bids_dir))),
        (data_dir / SERVER_KEY_FILE).exists(),
        (data_dir / ARCHIVE_KEY_FILE).exists(),
    )


def _sealed_files(bids_dir: Path) -> list[str]:
    if not bids_dir.exists():
        return []
    found = []
    for path in bids_dir.rglob(f"*{SEALED_SUFFIX}"):
        relative = path.relative_to(bids_dir)
        if relative.parts[0] not in (INCOMING, UNCLAIMED) and path.is_file():
            found.append(relative.as_posix())
    return found


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def refuse_a_lost_database(db: Database, found: FolderSurvey) -> None:
    """Before the schema is made: sealed files or keys beside a new database mean it was lost."""
    if not await db.is_new():
        return
    if found.sealed_files or found.holds_keys:
        held = []
        if found.sealed_files:
            held.append(f"{len(found.sealed_files)} sealed files")
        held.extend(
            name
            for name, there in (
                (SERVER_KEY_FILE, found.server_key),
                (ARCHIVE_KEY_FILE, found.archive_key),
            )
            if there
        )
        raise StartRefused(
            f"the data folder holds {', '.join(held)} but the database "
            f"{shown_url(db.url)} is new or empty: restore the database from its backup "
            "(docs/operations.md, backups) or start with an empty data folder"
        )


async def check_against_database(
    db: Database, found: FolderSurvey, signer: ServerSigner, archive: BidArchive, bids_dir: Path
) -> None:
    """After the schema is ready: rows for the sealed files, the key of the signed documents."""
    async with db.read() as conn:
        named = await bid_store.file_paths(conn)
        newest = await newest_document(conn)
        tenders_held = await has_tenders(conn)
    if found.sealed_files and not tenders_held:
        # A sealed file needs its tender; the first bid of a new hub stopped before its row
        # committed still has one (and is set aside below).
        raise StartRefused(
            f"the data folder holds {len(found.sealed_files)} sealed files but the database "
            f"{shown_url(db.url)} holds no tender: restore the database from its backup"
        )
    if newest is not None:
        _refuse_a_lost_key(signer, newest)
    signer.file.save_new()
    archive.file.save_new()
    _set_aside_unclaimed(bids_dir, found, named, grace=0.0 if db.is_sqlite else None)
    await _rename_legacy_files(db, bids_dir, named)


def _refuse_a_lost_key(signer: ServerSigner, document: str) -> None:
    if signer.file.is_new:
        raise StartRefused(
            f"the database holds signed documents but {SERVER_KEY_FILE} is missing from the "
            "data folder: restore it from the backup (a new key would leave every receipt "
            "unverifiable; rotate keys only with `bidopen server-key rotate`)"
        )
    for key in signer.trusted_keys():
        try:
            # Any type will do: verify_document checks the type it is given.
            verify_document(document, _type_of(document), key)
            return
        except InvalidSignedDocument:
            continue
    raise StartRefused(
        f"the newest signed document does not verify under {SERVER_KEY_FILE} (key "
        f"{signer.key_id}) or a retired key: this is not the key that signed it; restore "
        "the right key file from the backup"
    )


def _type_of(document: str) -> str:
    value = json.loads(document).get("type")
    return value if isinstance(value, str) else ""


def _set_aside_unclaimed(
    bids_dir: Path, found: FolderSurvey, named: set[str], *, grace: float | None
) -> None:
    """Move sealed files that no row names (a stop between rename and commit) out of the way.

    Nothing is deleted: they go to bids/.unclaimed/ under random names, and the log says
    how many, never which tender, lot or bidder (their old folders could name a bidder).
    """
    limit = time.time() - (SHARED_FOLDER_GRACE_SECONDS if grace is None else grace)
    unclaimed = [
        relative
        for relative in found.sealed_files
        if relative not in named and (bids_dir / relative).stat().st_mtime <= limit
    ]
    if not unclaimed:
        return
    target = bids_dir / UNCLAIMED
    target.mkdir(exist_ok=True)
    for relative in unclaimed:
        source = inside(bids_dir, bids_dir / relative)
        os.replace(source, target / f"{secrets.token_hex(16)}{SEALED_SUFFIX}")
        _remove_empty_folders(bids_dir, source.parent)
    log.warning(
        "moved %d sealed files that no bid row names to %s (stopped between storing a file "
        "and committing its row; none of them had a receipt)",
        len(unclaimed),
        target,
    )


async def _rename_legacy_files(db: Database, bids_dir: Path, named: set[str]) -> None:
    """Give files of releases that named them bids/<tender>/<lot>/<bidder>/… random names.

    Safe at any stop: the new name is a hard link made before the row changes, and the old
    name goes only after the commit; a stop in between leaves a second name that no row
    names, which the next start sets aside like any unclaimed file.
    """
    legacy = sorted(name for name in named if not RANDOM_NAME.fullmatch(name))
    renamed = 0
    for old in legacy:
        source = inside(bids_dir, bids_dir / old)
        if not source.exists():
            continue
        target = new_sealed_path(bids_dir)
        target.parent.mkdir(exist_ok=True)
        os.link(source, target)
        async with db.write() as conn:
            await bid_store.rename_file(conn, old, target.relative_to(bids_dir).as_posix())
        source.unlink()
        _remove_empty_folders(bids_dir, source.parent)
        renamed += 1
    if renamed:
        log.info("gave %d sealed files of an earlier release random names", renamed)


def _remove_empty_folders(root: Path, folder: Path) -> None:
    root = root.resolve()
    while folder != root and folder.is_relative_to(root) and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
