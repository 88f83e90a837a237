"""`bidopen bidder register|submit|withdraw|join|rehearse`: a bidder's side from a terminal."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from bidopen.client.attend import AttendancePlan, attend
from bidopen.client.bidder import BidderClient, register_bidder
from bidopen.client.cli_common import CommandError, add_url, emit, guarded, secret, tell
from bidopen.client.log_proofs import prove_receipts
from bidopen.client.receipts import ReceiptBook
from bidopen.client.release import CLOCK_MARGIN
from bidseal import BidderKeys, SealHeader, load_private_key_file, load_public_bundle, read_header
from bidseal.strictjson import StrictJsonError, read_json

PASSPHRASE_ENV = "BIDOPEN_PASSPHRASE"
PUBLIC_BUNDLE = "bidder-public.json"


def _keys(args: argparse.Namespace) -> BidderKeys:
    passphrase = secret(args.passphrase_file, PASSPHRASE_ENV, "Passphrase / 口令: ")
    return load_private_key_file(args.key_dir, passphrase)


def _header(path: Path) -> SealHeader:
    with path.open("rb") as sealed:
        return read_header(sealed)


async def _client(args: argparse.Namespace, bidder_id: str) -> BidderClient:
    # Receipts and withdrawals are kept beside the keys: what this bidder may open is
    # decided from them, never from what a hub says at decryption time.
    book = ReceiptBook.in_key_dir(args.key_dir)
    margin = timedelta(seconds=getattr(args, "clock_margin", CLOCK_MARGIN.total_seconds()))
    client = BidderClient(args.url, _keys(args), bidder_id, book=book, clock_margin=margin)
    await client.login()
    return client


async def _register(args: argparse.Namespace) -> int:
    bundle = load_public_bundle(args.key_dir / PUBLIC_BUNDLE)
    bidder_id = await register_bidder(args.url, bundle, args.org, args.contact)
    emit({"bidder_id": bidder_id, "key_id": bundle.key_id})
    return 0


async def _submit(args: argparse.Namespace) -> int:
    context = _header(args.sealed).context
    async with await _client(args, context.bidder) as client:
        receipt = await client.submit(context.tender, context.lot, args.sealed)
    tell(f"已投标 bid received, receipt {receipt.payload.get('receipt_id')}")
    if args.receipt_out is not None:
        args.receipt_out.write_text(receipt.to_json() + "\n", encoding="utf-8")
    emit(dict(receipt.payload))
    return 0


async def _withdraw(args: argparse.Namespace) -> int:
    async with await _client(args, args.bidder) as client:
        withdrawal = await client.withdraw(args.tender, args.lot)
    emit(dict(withdrawal.payload))
    return 0


async def _join(args: argparse.Namespace) -> int:
    headers = [_header(path) for path in args.sealed]
    contexts = {(h.context.tender, h.context.bidder) for h in headers}
    if len(contexts) != 1:
        raise CommandError("the sealed files must be one bidder's bids in one tender")
    ((tender_id, bidder_id),) = contexts
    plan = AttendancePlan(
        decrypt=not args.no_decrypt,
        objection=args.object,
        confirm=(not args.stay_silent and args.object is None) or args.confirm_after_answer,
    )
    sealed = {h.context.lot: path for h, path in zip(headers, args.sealed, strict=True)}
    if len(sealed) != len(headers):
        raise CommandError("give one sealed file per lot")
    async with await _client(args, bidder_id) as client:
        for receipt in args.receipt:
            client.book.keep(_read_envelope(receipt))
        seen = await attend(client, tender_id, sealed, plan, say=tell)
        # The deadline has passed: the receipts are now held to the public log.
        proofs = await prove_receipts(client, args.key_dir, tender_id, args.log, tell)
    emit(
        {
            "tender": tender_id,
            "bidder": bidder_id,
            "read_out": seen.read_out,
            "objection": seen.objection_id,
            "answer": seen.answer,
            "record_sha256": seen.record.sha256,
            "record_matches_read_out": seen.record_matches_read_out,
            "receipts_in_log": list(proofs.proven),
            "receipt_faults": list(proofs.faults),
        }
    )
    for fault in proofs.faults:
        tell(f"平台过错 FAILED: {fault}")
    return 0 if seen.record_matches_read_out and not proofs.faults else 1


def _read_envelope(path: Path) -> dict[str, object]:
    try:
        envelope = read_json(path.read_bytes())
    except (OSError, StrictJsonError) as error:
        raise CommandError(f"{path}: not a signed receipt: {error}") from None
    if not isinstance(envelope, dict):
        raise CommandError(f"{path}: not a signed receipt")
    return envelope


async def _rehearse(args: argparse.Namespace) -> int:
    async with await _client(args, args.bidder) as client:
        passed = await client.rehearse()
    tell("解密演练通过 rehearsal passed" if passed else "解密演练失败 rehearsal failed")
    emit({"passed": passed})
    return 0 if passed else 1


def _keys_options(parser: argparse.ArgumentParser) -> None:
    add_url(parser)
    parser.add_argument("--key-dir", type=Path, required=True, metavar="KEYDIR")
    parser.add_argument(
        "--passphrase-file", type=Path, metavar="FILE", help=f"(or ${PASSPHRASE_ENV})"
    )


def register_bidder_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    group = subparsers.add_parser("bidder", help="投标人 / bidder: register, bid, join an opening")
    commands = group.add_subparsers(dest="bidder_command", metavar="ACTION", required=True)

    register = commands.add_parser("register", help="register the public keys of KEYDIR")
    add_url(register)
    register.add_argument("--key-dir", type=Path, required=True, metavar="KEYDIR")
    register.add_argument("--org", required=True, help="organisation name / 单位名称")
    register.add_argument("--contact", required=True, help="contact person or address / 联系人")
    register.set_defaults(func=guarded(_register))

    submit = commands.add_parser("submit", help="upload a sealed file (from `bidopen seal`)")
    _keys_options(submit)
    submit.add_argument("sealed", type=Path, metavar="SEALED")
    submit.add_argument("--receipt-out", type=Path, metavar="FILE", help="keep the signed receipt")
    submit.set_defaults(func=guarded(_submit))

    withdraw = commands.add_parser("withdraw", help="withdraw your bid before the deadline")
    _keys_options(withdraw)
    withdraw.add_argument("--bidder", required=True)
    withdraw.add_argument("--tender", required=True)
    withdraw.add_argument("--lot", required=True)
    withdraw.set_defaults(func=guarded(_withdraw))

    join = commands.add_parser(
        "join", help="take part in the opening: sign in, decrypt, confirm or object"
    )
    _keys_options(join)
    join.add_argument("sealed", type=Path, nargs="+", metavar="SEALED", help="your sealed files")
    join.add_argument("--object", metavar="TEXT", help="object to the read-out with this text")
    join.add_argument(
        "--confirm-after-answer", action="store_true", help="confirm once the host answered"
    )
    join.add_argument("--stay-silent", action="store_true", help="neither confirm nor object")
    join.add_argument(
        "--receipt",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a signed receipt kept elsewhere (e.g. from the bidder room) to add to KEYDIR",
    )
    join.add_argument(
        "--clock-margin",
        type=float,
        default=CLOCK_MARGIN.total_seconds(),
        metavar="SECONDS",
        help="how far past the deadline this computer's clock must be before a key is sent "
        f"(default {CLOCK_MARGIN.total_seconds():g})",
    )
    join.add_argument(
        "--log",
        metavar="VKEY",
        help="the public log's verifier key (published by the trading centre); without it the "
        "key the hub serves is used",
    )
    join.add_argument(
        "--no-decrypt", action="store_true", help="do not hand over the data key (drills only)"
    )
    join.set_defaults(func=guarded(_join))

    rehearse = commands.add_parser("rehearse", help="prove that your key file still decrypts")
    _keys_options(rehearse)
    rehearse.add_argument("--bidder", required=True)
    rehearse.set_defaults(func=guarded(_rehearse))
