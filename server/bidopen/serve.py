"""`bidopen serve`: run one hub process, optionally with a demo opening a newcomer can watch."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from bidopen.config import Config, ConfigError, convert_setting, load_config, settings

DEMO_HOST = "demo:demo-host-passphrase"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the hub (SQLite and local files by default)",
        description=(
            "Run the hub. With no options it keeps everything in ./data (SQLite and the "
            "sealed files); give --database-url and --redis-url to run several nodes. "
            "Host accounts: there is no sign-up. The first may come from "
            "BIDOPEN_BOOTSTRAP_HOST=USER:PASSWORD (--demo makes one); every other is made "
            "by the operator, in its organisation: `bidopen admin org add ID NAME`, then "
            "`bidopen admin host add USER --org ID` (see `bidopen admin --help`)."
        ),
    )
    parser.add_argument("--data-dir", type=Path, help="data folder (default ./data)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8080)")
    parser.add_argument("--database-url", help="sqlite+aiosqlite:///… or postgresql+asyncpg://…")
    parser.add_argument("--redis-url", help="redis://… to fan out between several nodes")
    parser.add_argument(
        "--allowed-origin",
        action="append",
        dest="allowed_origins",
        metavar="ORIGIN",
        help="an extra browser origin allowed to connect (repeatable)",
    )
    parser.add_argument(
        "--access-log",
        metavar="FILE",
        help="append the access log to FILE (- prints it); by default there is none",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run simulated bidders through one opening after another, to watch",
    )
    video = parser.add_argument_group(
        "live video", "each also as BIDOPEN_VIDEO_…; docs/operations.md and docs/video.md"
    )
    for name in VIDEO_SETTINGS:
        video.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            metavar="VALUE",
            help=f"(default {_default(name)})",
        )
    parser.set_defaults(func=run_serve)


# Every video setting has its flag, read like its environment variable.
VIDEO_SETTINGS = tuple(name for name in settings() if name.startswith("video_"))


def _default(name: str) -> object:
    return next(f.default for f in dataclasses.fields(Config) if f.name == name)


def config_from_args(args: argparse.Namespace) -> Config:
    origins = tuple(args.allowed_origins) if args.allowed_origins else None
    explicit: dict[str, object] = {
        "data_dir": args.data_dir,
        "host": args.host,
        "port": args.port,
        "database_url": args.database_url,
        "redis_url": args.redis_url,
        "allowed_origins": origins,
        "access_log": args.access_log,
    }
    if args.demo:
        explicit["demo"] = True
    for name in VIDEO_SETTINGS:
        text = getattr(args, name, None)
        if text is not None:
            explicit[name] = convert_setting(name, text)
    config = load_config(**explicit)
    if config.demo and config.bootstrap_host is None:
        config = load_config(**explicit, bootstrap_host=DEMO_HOST)
    return config


def local_url(host: str, port: int) -> str:
    """A URL of the hub that works from this machine (0.0.0.0 and :: are no address to visit)."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _demo_ctx(base_url: str, speed: int) -> object:
    async def demo(app: web.Application) -> AsyncIterator[None]:
        from bidopen.demo import DemoPace, run_demo

        stop = asyncio.Event()

        async def when_listening() -> None:
            # cleanup contexts run before the site listens: wait for our own port.
            import aiohttp

            async with aiohttp.ClientSession() as http:
                while True:
                    try:
                        async with http.get(f"{base_url}/api/server-key") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.2)
            await run_demo(base_url, stop, DemoPace(speed))

        task = asyncio.create_task(when_listening(), name="demo")
        yield
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    return demo


def keep_banner(data_dir: Path, banner: str) -> Path:
    """Write the banner where a newcomer finds it after it scrolled away (it may hold the
    demo password, so only the hub's user may read it)."""
    path = data_dir / "banner.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(banner + "\n")
    return path


def run_serve(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(f"bidopen serve: {exc}", file=sys.stderr)
        return 2
    from bidopen.app import STOP_GRACE_SECONDS, configure_logging, create_app
    from bidopen.appkeys import CONNECTIONS, PUBLIC_LOG
    from bidopen.errors import StartRefused
    from bidopen.http.accesslog import access_logger
    from bidopen.http.serving import run_hub

    # The same levels as `python -m bidopen.app`: libraries that would name bidders or log
    # every departing client stay quiet.
    configure_logging(config.log_level)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(config)
    base_url = local_url(config.host, config.port)
    if config.demo:
        app.cleanup_ctx.append(_demo_ctx(base_url, config.demo_speed))  # type: ignore[arg-type]
    banner = (
        f"bidopen hub on {base_url}\n"
        f"  首页 tenders and big screens: {base_url}/\n"
        f"  投标人 bidder room: {base_url}/bidder\n"
        f"  主持人 host console: {base_url}/host\n"
        f"  公开日志 public log: {base_url}/log/checkpoint\n"
        f"  日志验证公钥 log verifier key: {app[PUBLIC_LOG].vkey}"
    )
    if config.demo:
        user, _, password = (config.bootstrap_host or DEMO_HOST).partition(":")
        banner += f"\n  demo host login: {user} / {password}"

    def announce() -> None:
        # Called once the hub listens, so after the database was checked: a
        # refusal at start is never preceded by addresses that do not answer.
        kept = keep_banner(config.data_dir, banner)
        print(f"{banner}\n  (again in {kept}; Ctrl-C stops the hub)", flush=True)

    # Ctrl-C while the demo runs ends aiohttp's main task by cancellation rather than by
    # its GracefulExit (the cleanup contexts have run by then): a normal stop, not a crash
    # to print a traceback for.
    try:
        with contextlib.suppress(asyncio.CancelledError):
            run_hub(
                app,
                app[CONNECTIONS],
                host=config.host,
                port=config.port,
                announce=announce,
                access_log=access_logger(config.access_log),
                shutdown_timeout=STOP_GRACE_SECONDS,
            )
    except StartRefused as exc:
        # A refusal at start (a database of a newer release, a lost database or key, a log
        # that does not verify): the operator's next step is in the message, a traceback
        # would only hide it.
        print(f"bidopen serve: {exc}", file=sys.stderr)
        return 1
    return 0
