"""`bidopen host ...`: create a tender and drive its opening from a terminal or a script."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bidopen.client.base import HubClient
from bidopen.client.cli_common import CommandError, add_url, emit, guarded, secret, tell
from bidopen.client.cli_documents import add_document_options, documents_command
from bidopen.client.host import HostClient
from bidopen.client.models import DEFAULT_READOUT_ITEMS, LotSpec, ReadoutItemSpec, TenderDraft
from bidopen.clock import iso, parse_iso

TOKEN_ENV = "BIDOPEN_HOST_TOKEN"
PASSWORD_ENV = "BIDOPEN_HOST_PASSWORD"
FINAL_KINDS = ("record_published", "session_aborted", "result_published")


async def _host(args: argparse.Namespace) -> HostClient:
    """A signed-in host: with --token (or $BIDOPEN_HOST_TOKEN), else --user and a password."""
    if args.token:
        return HostClient(args.url, token=args.token)
    if not args.user:
        raise CommandError(f"give --user (and a password) or a token in ${TOKEN_ENV}")
    host = HostClient(args.url)
    await host.login(args.user, secret(args.password_file, PASSWORD_ENV, "Password / 密码: "))
    return host


def _lot(text: str) -> LotSpec:
    lot_id, _, rest = text.partition(":")
    name, _, ceiling = rest.partition(":")
    if not lot_id or not name:
        raise argparse.ArgumentTypeError("a lot is ID:NAME[:CEILING], e.g. 1:标段一:8650000.00")
    return LotSpec(lot_id, name, ceiling or None)


def _item(text: str) -> ReadoutItemSpec:
    parts = text.split(":")
    if len(parts) not in (3, 4) or not all(parts):
        raise argparse.ArgumentTypeError(
            "an item is KEY:中文标签:English label[:amount|days|percent|text]"
        )
    return ReadoutItemSpec(parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else "text")


_UNITS = {"s": 1, "m": 60, "h": 3600}


def _duration(text: str) -> int:
    """Whole seconds from a number with its unit: 45s, 30m, 2h."""
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not number.isdecimal():
        raise argparse.ArgumentTypeError("a duration is a whole number with s, m or h: 30m, 45s")
    return int(number) * _UNITS[unit]


def _deadline(args: argparse.Namespace) -> datetime:
    if args.deadline is not None:
        try:
            return parse_iso(args.deadline)
        except ValueError as error:
            raise CommandError(f"--deadline: {error}") from None
    return datetime.now(UTC) + timedelta(seconds=args.in_seconds)


async def _login(args: argparse.Namespace) -> int:
    async with await _host(args) as host:
        emit({"token": host.token})
    return 0


async def _create(args: argparse.Namespace) -> int:
    draft = TenderDraft(
        title=args.title,
        lots=tuple(args.lot),
        deadline=_deadline(args),
        decryption_seconds=args.decryption_window,
        confirmation_seconds=args.confirmation_window,
        readout_items=tuple(args.item) if args.item else DEFAULT_READOUT_ITEMS,
    )
    async with await _host(args) as host:
        tender = await host.create_tender(draft)
    tell(f"招标项目 {tender.id} 已创建，截止/开标时间 {iso(tender.deadline)}")
    emit(dict(tender.raw))
    return 0


async def _status(args: argparse.Namespace) -> int:
    async with await _host(args) as host:
        snapshot = await host.snapshot(args.tender)
    emit({"seq": snapshot.seq, "view": dict(snapshot.view)})
    return 0


def _command(name: str, body: Callable[[argparse.Namespace], dict[str, Any]]) -> Any:
    async def run(args: argparse.Namespace) -> int:
        async with await _host(args) as host:
            result = await host.command(args.tender, name, body(args))
        emit({"seq": result.seq, "events": [e.__dict__ for e in result.events]})
        return 0

    return run


async def _publish(args: argparse.Namespace) -> int:
    async with await _host(args) as host:
        record = await host.publish_record(args.tender)
    tell(f"开标记录已签名发布 record signed and published, sha256 {record.sha256}")
    emit({"sha256": record.sha256, "record": dict(record.payload)})
    return 0


async def _record(args: argparse.Namespace) -> int:
    async with HubClient(args.url) as anyone:
        record = await anyone.record(args.tender)
    emit({"sha256": record.sha256, "signature_valid": True, "record": dict(record.payload)})
    return 0


async def _log(args: argparse.Namespace) -> int:
    async with await _host(args) as host:
        events = await host.log(args.tender)
    tell(f"{len(events)} events; each matches its leaf, proven in the public log")
    emit([{"seq": e.seq, "kind": e.kind, "at": e.at, "leaf": e.leaf} for e in events])
    return 0


async def _watch(args: argparse.Namespace) -> int:
    async with await _host(args) as host:
        live = await host.follow(args.tender)
        assert live.feed.snapshot is not None
        tell(f"phase {live.feed.snapshot.phase} at seq {live.feed.snapshot.seq}")
        while True:
            message = await live.feed.next()
            emit({"seq": message.seq, "kind": message.kind, "data": dict(message.data)})
            if message.kind in FINAL_KINDS and not args.forever:
                return 0


def _tender_options(parser: argparse.ArgumentParser) -> None:
    add_url(parser)
    parser.add_argument("--token", help=f"a host token (or ${TOKEN_ENV})")
    parser.add_argument("--user", help="host account, if no token")
    parser.add_argument("--password-file", type=Path, metavar="FILE", help=f"(or ${PASSWORD_ENV})")


def register_host_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    group = subparsers.add_parser("host", help="主持人 / host: create a tender, run its opening")
    commands = group.add_subparsers(dest="host_command", metavar="ACTION", required=True)

    def command(name: str, help_text: str, handler: Any, tender: bool = True) -> Any:
        parser = commands.add_parser(name, help=help_text)
        _tender_options(parser)
        parser.set_defaults(token=os.environ.get(TOKEN_ENV))
        if tender:
            parser.add_argument("tender", metavar="TENDER")
        parser.set_defaults(func=guarded(handler))
        return parser

    command("login", "sign in and print a token for later commands", _login, tender=False)

    create = command("create-tender", "create a tender (its id is the session id)", _create, False)
    create.add_argument("--title", required=True)
    create.add_argument(
        "--lot", type=_lot, action="append", required=True, metavar="ID:NAME[:CEILING]"
    )
    when = create.add_mutually_exclusive_group(required=True)
    when.add_argument("--deadline", help="deadline = opening time, ISO 8601 with offset")
    when.add_argument("--in-seconds", type=float, help="deadline this many seconds from now")
    create.add_argument(
        "--decryption-window", type=_duration, default="30m", metavar="DURATION", help="e.g. 30m"
    )
    create.add_argument(
        "--confirmation-window", type=_duration, default="15m", metavar="DURATION", help="e.g. 15m"
    )
    create.add_argument("--item", type=_item, action="append", metavar="KEY:中文:English[:TYPE]")

    command("status", "the session as the host sees it", _status)
    command("start", "open the decryption window", _command("start_decryption", lambda a: {}))
    quorum = command(
        "quorum",
        "fewer than 3 bids: continue or stop a lot",
        _command("decide_quorum", lambda a: {"lot": a.lot, "choice": a.choice, "reason": a.reason}),
    )
    quorum.add_argument("--lot", required=True)
    quorum.add_argument("--choice", choices=("continue", "stop"), required=True)
    quorum.add_argument("--reason", required=True)
    extend = command(
        "extend",
        "extend the decryption window",
        _command("extend_decryption", lambda a: {"seconds": a.by, "reason": a.reason}),
    )
    extend.add_argument("--by", type=_duration, required=True, metavar="DURATION", help="e.g. 10m")
    extend.add_argument("--reason", required=True)
    pause = command(
        "pause", "pause the running window", _command("pause", lambda a: {"reason": a.reason})
    )
    pause.add_argument("--reason", required=True)
    command("resume", "resume the paused window", _command("resume", lambda a: {}))
    fault = command(
        "fault",
        "record a platform fault (bids it hits count as withdrawn, not revoked)",
        _command("record_platform_fault", lambda a: {"bidder": a.bidder, "reason": a.reason}),
    )
    fault.add_argument("--bidder", help="the bidder hit (default: everyone)")
    fault.add_argument("--reason", required=True)
    command(
        "close",
        "close decryption early (all decrypted)",
        _command("close_decryption", lambda a: {}),
    )
    answer = command(
        "answer",
        "answer an objection",
        _command("answer_objection", lambda a: {"objection_id": a.objection, "text": a.text}),
    )
    answer.add_argument("--objection", required=True, metavar="ID")
    answer.add_argument("--text", required=True)
    command(
        "close-confirmation",
        "close confirmation early (everyone confirmed)",
        _command("close_confirmation", lambda a: {}),
    )
    command("publish", "sign and publish the opening record", _publish)
    reschedule = command(
        "reschedule",
        "move the deadline later (bidders receive a signed postponement notice)",
        _command("reschedule", lambda a: {"deadline": a.deadline, "reason": a.reason}),
    )
    reschedule.add_argument("--deadline", required=True, help="ISO 8601 with its zone")
    reschedule.add_argument("--reason", required=True)
    abort = command("abort", "abort the opening", _command("abort", lambda a: {"reason": a.reason}))
    abort.add_argument("--reason", required=True)
    watch = command("watch", "print the session's events as they happen (JSON)", _watch)
    watch.add_argument("--forever", action="store_true", help="keep watching after the record")
    command("log", "the whole event log, each event checked against its proven leaf", _log)
    command("record", "fetch and verify the published record (no sign-in)", _record)
    documents = command(
        "documents",
        "opened bid documents after the read-out: list them, or save them with --out",
        documents_command(_host),
    )
    add_document_options(documents)
