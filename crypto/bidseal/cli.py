"""The ``keygen``, ``seal``, ``open`` and ``inspect`` commands, standalone or inside ``bidopen``."""

from __future__ import annotations

import argparse
import getpass
import io
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bidseal.errors import InvalidSealedBid, KeyFileError
from bidseal.files import atomic_output
from bidseal.format import CHUNK_SIZE_MAX, CHUNK_SIZE_MIN, DEFAULT_CHUNK_SIZE, BidContext
from bidseal.keys import (
    DEFAULT_ITERATIONS,
    ITERATIONS_MAX,
    ITERATIONS_MIN,
    BidderKeys,
    generate_keys,
    load_private_key_file,
    load_public_bundle,
    read_passphrase_file,
    write_key_dir,
)
from bidseal.opening import open_file, read_header, unwrap_data_key
from bidseal.p256 import key_id
from bidseal.reader import SealedBidInfo, SealedBidReader
from bidseal.readout import ItemType, amount_in_capitals, format_amount, typed_items
from bidseal.seal import seal_file
from bidseal.strictjson import StrictJsonError, read_json

__all__ = ["CommandError", "main", "register"]

_READ_BLOCK = 1024 * 1024
Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A refusal with a message for the user (exit status 1)."""


def _passphrase(args: argparse.Namespace, *, confirm: bool) -> str:
    if args.passphrase_file is not None:
        return read_passphrase_file(args.passphrase_file)
    if not sys.stdin.isatty():
        raise CommandError("no passphrase: give --passphrase-file (no terminal to ask on)")
    first = getpass.getpass("Passphrase / 口令: ")
    if confirm and getpass.getpass("Passphrase again / 再次输入口令: ") != first:
        raise CommandError("the two passphrases differ")
    if not first:
        raise CommandError("the passphrase must not be empty")
    return first


def _refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise CommandError(f"{path} already exists (use --force to replace it)")


def _keygen(args: argparse.Namespace) -> int:
    if not ITERATIONS_MIN <= args.iterations <= ITERATIONS_MAX:
        raise CommandError(f"--iterations must be {ITERATIONS_MIN}..{ITERATIONS_MAX}")
    passphrase = _passphrase(args, confirm=True)
    keys = generate_keys()
    private_path, public_path = write_key_dir(args.out, keys, passphrase, args.iterations)
    print(f"bidder key id: {keys.key_id}")
    print(f"private key file: {private_path} (keep it and its passphrase safe)")
    print(f"public key bundle: {public_path} (register it with the platform)")
    return 0


def _load_keys(args: argparse.Namespace) -> BidderKeys:
    return load_private_key_file(Path(args.key_dir), _passphrase(args, confirm=False))


def _read_summary(path: Path, document: Path) -> dict[str, Any]:
    try:
        summary = read_json(path.read_bytes())
    except OSError as exc:
        raise CommandError(f"cannot read summary {path}: {exc.strerror}") from exc
    except StrictJsonError as exc:
        # The reason matters here: the bidder is fixing their own file (e.g. saved with a BOM).
        raise CommandError(
            f"cannot read summary {path}: {exc} (section 0.1 of the format)"
        ) from exc
    if not isinstance(summary, dict):
        raise CommandError(f'summary {path} must be a JSON object with an "items" object')
    summary.setdefault("document", {"name": document.name})
    return summary


_TENDER_MAX_BYTES = 1024 * 1024


def _read_tender(args: argparse.Namespace, context: BidContext) -> list[dict[str, Any]]:
    """The tender's read-out items, from `--url` (the hub) or `--tender-file` (its JSON)."""
    if args.tender_file is not None:
        where = args.tender_file
        try:
            raw = Path(args.tender_file).read_bytes()[:_TENDER_MAX_BYTES]
        except OSError as exc:
            raise CommandError(f"cannot read {where}: {exc.strerror}") from exc
    else:
        if urllib.parse.urlsplit(args.url).scheme not in ("http", "https"):
            raise CommandError(f"--url {args.url}: an http or https address of the hub")
        tender_id = urllib.parse.quote(context.tender, safe="")
        where = f"{args.url.rstrip('/')}/api/tenders/{tender_id}"
        try:
            with urllib.request.urlopen(where, timeout=30) as response:
                raw = response.read(_TENDER_MAX_BYTES)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise CommandError(f"cannot fetch the tender from {where}: {exc}") from exc
    try:
        described = read_json(raw)
    except StrictJsonError as exc:
        raise CommandError(f"{where} is not a tender's JSON: {exc}") from exc
    items = described.get("readout_items") if isinstance(described, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) and "key" in i for i in items):
        raise CommandError(f'{where} has no "readout_items" list')
    return items


def _print_values(items: list[dict[str, Any]], values: dict[str, Any]) -> None:
    """The sealed values, amounts with separators and 大写, so the bidder sees what it sealed."""
    for item in items:
        value = values.get(item["key"])
        if not isinstance(value, str):
            continue
        label = item.get("label_zh", item["key"])
        if item.get("type") == ItemType.AMOUNT:
            value = f"{format_amount(value)} ({amount_in_capitals(value)})"
        print(f"  {label}: {value}")


def _seal(args: argparse.Namespace) -> int:
    document, out = Path(args.document), Path(args.out)
    try:
        context = BidContext.parse(args.context)
    except ValueError as exc:
        raise CommandError(f"--context: {exc}") from exc
    if not document.is_file():
        raise CommandError(f"{document} is not a readable file")
    _refuse_existing(out, args.force)
    summary = _read_summary(Path(args.summary), document)
    items: list[dict[str, Any]] = []
    if args.url is not None or args.tender_file is not None:
        items = _read_tender(args, context)
        values = summary.get("items")
        if not isinstance(values, dict):
            raise CommandError(f'summary {args.summary} must have an "items" object')
        try:
            # Refused before sealing: nothing is read out as typed (`三百二十万`, `8,650,000`).
            summary["items"] = typed_items(items, values)
        except ValueError as exc:
            raise CommandError(f"summary {args.summary}: {exc}") from exc
    keys = _load_keys(args)
    try:
        result = seal_file(
            document,
            out,
            keys=keys,
            context=context,
            summary=summary,
            chunk_size=args.chunk_size,
            overwrite=args.force,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    print(f"sealed {result.size} bytes into {out} ({result.file_size} bytes)")
    print(f"bid_sha256: {result.bid_sha256}")
    if items:
        print("sealed values:")
        _print_values(items, summary["items"])
    return 0


def _expected_context(args: argparse.Namespace) -> BidContext | None:
    if args.expect_context is None:
        return None
    try:
        return BidContext(*args.expect_context)
    except ValueError as exc:
        raise CommandError(f"--expect-context: {exc}") from exc


def _open(args: argparse.Namespace) -> int:
    sealed, out = Path(args.sealed), Path(args.out)
    summary_out = Path(args.summary_out) if args.summary_out else None
    expected = _expected_context(args)
    _refuse_existing(out, args.force)
    if summary_out is not None:
        _refuse_existing(summary_out, args.force)
    with sealed.open("rb") as stream:
        header = read_header(stream)
    own = load_public_bundle(Path(args.key_dir))
    # Another context or another key is the format's one opaque error, like every
    # other failure to open (section 3); checked before the passphrase is asked for.
    context = header.context if expected is None else expected
    if header.context != context or header.recipient_key != own.encryption_key:
        raise InvalidSealedBid
    keys = _load_keys(args)
    data_key = unwrap_data_key(header, keys, context)
    opened = open_file(sealed, data_key, out, overwrite=args.force)
    if summary_out is not None:
        text = json.dumps(opened.summary, ensure_ascii=False, indent=2) + "\n"
        with atomic_output(summary_out, overwrite=args.force) as handle:
            handle.write(text.encode("utf-8"))
    if opened.info.signer_key != own.signing_key:
        print(
            f"warning: signed by key {key_id(opened.info.signer_key)}, not by this key folder",
            file=sys.stderr,
        )
    print(f"opened {opened.size} bytes into {out}")
    print(f"bid_sha256: {opened.bid_sha256}")
    print(json.dumps(opened.summary.get("items"), ensure_ascii=False))
    return 0


def _read_info(stream: io.BufferedReader) -> SealedBidInfo:
    """Check a sealed stream block by block, as its bytes arrive.

    ``read1`` returns what a pipe holds at once rather than waiting for a whole
    block, so a foreign file is refused at its first byte (section 3, step 1)
    even while the writer keeps the pipe open.
    """
    reader = SealedBidReader()
    while block := stream.read1(_READ_BLOCK):
        reader.feed(block)
    return reader.finish()


def _inspect(args: argparse.Namespace) -> int:
    source = sys.stdin.fileno() if args.sealed == "-" else args.sealed
    with open(source, "rb", closefd=args.sealed != "-") as stream:
        info = _read_info(stream)
    described = info.describe()
    if args.json:
        print(json.dumps(described, ensure_ascii=False, indent=2))
    else:
        print("valid sealed bid, signature verified (contents not decrypted)")
        for name, value in described.items():
            print(f"{name}: {value}")
    return 0


def _guarded(handler: Handler) -> Handler:
    """Turn every expected failure into one line on stderr and exit status 1."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except InvalidSealedBid as exc:
            # The format's one message, the same in every implementation (section 3).
            print(f"error: {exc}", file=sys.stderr)
        except (CommandError, KeyFileError) as exc:
            print(f"error: {exc}", file=sys.stderr)
        except FileExistsError as exc:
            print(f"error: {exc} (use --force to replace it)", file=sys.stderr)
        except OSError as exc:
            print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
        return 1

    return run


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def register(subparsers: Any) -> None:
    """Add keygen, seal, open and inspect to an argparse subparsers object.

    Each subcommand sets ``func``: call ``args.func(args)`` and exit with
    what it returns (0 on success, 1 on any refusal, with a message on stderr).
    """
    keygen = subparsers.add_parser("keygen", help="make a bidder key pair folder")
    keygen.add_argument("--out", required=True, metavar="KEYDIR")
    keygen.add_argument("--passphrase-file", metavar="FILE")
    keygen.add_argument("--iterations", type=_positive, default=DEFAULT_ITERATIONS)
    keygen.set_defaults(func=_guarded(_keygen))

    seal = subparsers.add_parser("seal", help="seal a bid document to your own key")
    seal.add_argument("document", metavar="DOCUMENT")
    seal.add_argument("--key-dir", required=True, metavar="KEYDIR")
    seal.add_argument("--context", required=True, metavar="TENDER/LOT/BIDDER")
    seal.add_argument("--summary", required=True, metavar="SUMMARY.json")
    seal.add_argument("--out", required=True, metavar="SEALED")
    seal.add_argument("--passphrase-file", metavar="FILE")
    types = seal.add_mutually_exclusive_group()
    types.add_argument(
        "--url",
        metavar="HUB",
        help="type the summary's values by the tender's read-out items, fetched from the hub",
    )
    types.add_argument(
        "--tender-file",
        metavar="TENDER.json",
        help="the same from a saved GET /api/tenders/{id} answer",
    )
    seal.add_argument(
        "--chunk-size",
        type=_positive,
        default=DEFAULT_CHUNK_SIZE,
        help=f"plaintext bytes per chunk, {CHUNK_SIZE_MIN}..{CHUNK_SIZE_MAX}",
    )
    seal.add_argument("--force", action="store_true", help="replace an existing output file")
    seal.set_defaults(func=_guarded(_seal))

    opener = subparsers.add_parser("open", help="decrypt one of your sealed bids")
    opener.add_argument("sealed", metavar="SEALED")
    opener.add_argument("--key-dir", required=True, metavar="KEYDIR")
    opener.add_argument("--out", required=True, metavar="DOCUMENT")
    opener.add_argument("--summary-out", metavar="SUMMARY.json")
    opener.add_argument("--passphrase-file", metavar="FILE")
    opener.add_argument(
        "--expect-context",
        nargs=3,
        metavar=("TENDER", "LOT", "BIDDER"),
        help="refuse a file sealed for any other tender, lot or bidder",
    )
    opener.add_argument("--force", action="store_true", help="replace existing output files")
    opener.set_defaults(func=_guarded(_open))

    inspect = subparsers.add_parser("inspect", help="check a sealed file without decrypting it")
    inspect.add_argument("sealed", metavar="SEALED", help="a sealed file, or - for standard input")
    inspect.add_argument("--json", action="store_true")
    inspect.set_defaults(func=_guarded(_inspect))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bidseal", description="Sealed bids (bidseal/1).")
    register(parser.add_subparsers(required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    handler: Handler = args.func
    return handler(args)
