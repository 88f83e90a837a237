"""`bidopen admin`: organisations and host accounts, made by the operator on the server.

Run on a machine that reaches the hub's database (the same `--data-dir` or
`--database-url`, or `BIDOPEN_*` variables, as `bidopen serve`); a running hub sees the
change at once. Only the very first host may come from `BIDOPEN_BOOTSTRAP_HOST`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bidopen.client.cli_common import CommandError, emit, secret, tell
from bidopen.config import ConfigError, load_config

if TYPE_CHECKING:
    from bidopen.store.db import Database

PASSWORD_ENV = "BIDOPEN_NEW_HOST_PASSWORD"
ORGANISATION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")

Action = Callable[["Database", argparse.Namespace], Awaitable[Any]]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser(
        "admin",
        help="管理员 / operator: organisations and host accounts (run on the server)",
        description=(
            "Create organisations (trading centres, tender agencies) and their host "
            "accounts. Each host sees and runs only its organisation's tenders. Runs "
            "against the hub's database: give the same --data-dir or --database-url as "
            "`bidopen serve` (or BIDOPEN_DATA_DIR / BIDOPEN_DATABASE_URL)."
        ),
    )
    kinds = group.add_subparsers(dest="admin_kind", metavar="WHAT", required=True)

    org = kinds.add_parser("org", help="organisations").add_subparsers(
        dest="admin_action", metavar="ACTION", required=True
    )
    add = _action(org, "add", "add an organisation", _org_add)
    add.add_argument("id", help="short id: lower-case letters, digits and '-', e.g. szggzy")
    add.add_argument("name", help="its name as the public sees it, e.g. 深圳公共资源交易中心")
    _action(org, "list", "list organisations", _org_list)
    rename = _action(org, "rename", "rename (tenders already scheduled keep their name)", _rename)
    rename.add_argument("id")
    rename.add_argument("name")

    host = kinds.add_parser("host", help="host accounts").add_subparsers(
        dest="admin_action", metavar="ACTION", required=True
    )
    add = _action(host, "add", "add a host account to an organisation", _host_add)
    add.add_argument("username", help="login name (never shown to the public)")
    add.add_argument("--org", required=True, metavar="ID", help="the organisation's id")
    _password_option(add)
    _action(host, "list", "list host accounts", _host_list)
    disable = _action(host, "disable", "disable an account; its tokens stop at once", _disable)
    disable.add_argument("username")
    password = _action(host, "password", "set a new password; old tokens stop", _password)
    password.add_argument("username")
    _password_option(password)


def _action(
    parent: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    action: Action,
) -> argparse.ArgumentParser:
    parser = parent.add_parser(name, help=help_text)
    parser.add_argument("--data-dir", type=Path, help="the hub's data folder (default ./data)")
    parser.add_argument("--database-url", help="or the hub's database URL")
    parser.set_defaults(func=lambda args: _run(action, args))
    return parser


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help=f"the new password (or ${PASSWORD_ENV}, or asked on the terminal)",
    )


def _run(action: Action, args: argparse.Namespace) -> int:
    from bidopen.errors import HubError
    from bidopen.store.db import Database
    from bidopen.store.migrations import SchemaError

    try:
        config = load_config(data_dir=args.data_dir, database_url=args.database_url)
    except ConfigError as exc:
        print(f"bidopen admin: {exc}", file=sys.stderr)
        return 2

    async def run() -> Any:
        db = Database(config.database_url)
        try:
            await db.create_schema()
            return await action(db, args)
        finally:
            await db.close()

    if config.is_sqlite:
        config.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = asyncio.run(run())
    except (CommandError, SchemaError) as exc:
        print(f"bidopen admin: {exc}", file=sys.stderr)
        return 2
    except HubError as exc:
        print(f"bidopen admin: {exc.message} {exc.message_zh}", file=sys.stderr)
        return 1
    if result is not None:
        emit(result)
    return 0


def _accounts(db: Database) -> Any:
    from bidopen.clock import SystemClock
    from bidopen.service.accounts import Accounts
    from bidopen.service.passwords import PasswordPool
    from bidopen.service.throttle import LoginThrottle

    # An administrator's command hashes one password at a time and signs nobody in.
    return Accounts(
        db,
        SystemClock(),
        audience=None,
        challenge_seconds=60,
        token_hours=1,
        passwords=PasswordPool(threads=1, queue=1),
        throttle=LoginThrottle(per_address_per_minute=1, per_account_per_minute=1),
    )


async def _org_add(db: Database, args: argparse.Namespace) -> dict[str, str]:
    from bidopen.clock import SystemClock
    from bidopen.service.accounts import MAX_ORG_NAME, one_line
    from bidopen.store import organisations as store

    organisation_id = _organisation_id(args.id)
    name = one_line("name", args.name, MAX_ORG_NAME)
    try:
        async with db.write() as conn:
            if await store.get_organisation(conn, organisation_id) is not None:
                raise CommandError(f"an organisation {organisation_id!r} exists")
            await store.add_organisation(conn, organisation_id, name, SystemClock().now())
    except store.NameLooksTaken:
        raise CommandError(f"{name!r} is, or looks like, another organisation's name") from None
    tell(f"organisation {organisation_id} added")
    return {"id": organisation_id, "name": name}


async def _rename(db: Database, args: argparse.Namespace) -> dict[str, str]:
    from bidopen.service.accounts import MAX_ORG_NAME, one_line
    from bidopen.store import organisations as store

    name = one_line("name", args.name, MAX_ORG_NAME)
    try:
        async with db.write() as conn:
            if not await store.rename_organisation(conn, args.id, name):
                raise CommandError(f"no organisation {args.id!r}")
    except store.NameLooksTaken:
        raise CommandError(f"{name!r} is, or looks like, another organisation's name") from None
    return {"id": args.id, "name": name}


async def _org_list(db: Database, args: argparse.Namespace) -> list[dict[str, str]]:
    from bidopen.store import organisations as store

    async with db.read() as conn:
        return [{"id": o.id, "name": o.name} for o in await store.list_organisations(conn)]


async def _host_add(db: Database, args: argparse.Namespace) -> dict[str, str]:
    password = secret(args.password_file, PASSWORD_ENV, f"password for {args.username}: ")
    await _accounts(db).add_host(args.username, password, args.org)
    tell(f"host {args.username} added to {args.org}")
    return {"username": args.username, "organisation": args.org}


async def _host_list(db: Database, args: argparse.Namespace) -> list[dict[str, Any]]:
    from bidopen.clock import iso
    from bidopen.store import accounts as store

    async with db.read() as conn:
        hosts = await store.list_hosts(conn)
    return [
        {
            "username": h.username,
            "organisation": h.organisation_id,
            "disabled_at": None if h.disabled_at is None else iso(h.disabled_at),
        }
        for h in hosts
    ]


async def _disable(db: Database, args: argparse.Namespace) -> dict[str, str]:
    await _accounts(db).disable_host(args.username)
    tell(f"host {args.username} disabled; its tokens are revoked")
    return {"username": args.username, "disabled": "yes"}


async def _password(db: Database, args: argparse.Namespace) -> dict[str, str]:
    password = secret(args.password_file, PASSWORD_ENV, f"new password for {args.username}: ")
    await _accounts(db).set_host_password(args.username, password)
    tell(f"password of {args.username} changed; its earlier tokens are revoked")
    return {"username": args.username, "password": "changed"}


def _organisation_id(value: str) -> str:
    if not ORGANISATION_ID.fullmatch(value):
        raise CommandError(
            "an organisation id is 1..32 lower-case letters, digits and '-', starting with "
            "a letter or digit"
        )
    return value
