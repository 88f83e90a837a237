"""Hub configuration: defaults, `BIDOPEN_*` environment variables and explicit arguments."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bidopen.video.settings import VideoSettings

ENV_PREFIX = "BIDOPEN_"
GIB = 1024**3
# Ten years: far enough for any tender, near enough that every sum of instants stays finite.
MAX_DEADLINE_DAYS = 3660

# The web pages ship beside the server package in the source tree.
DEFAULT_WEB_ROOT = Path(__file__).resolve().parents[2] / "client_web"


_NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ConfigError(ValueError):
    """A setting has a value the hub cannot run with."""


@dataclass(frozen=True)
class Config:
    """Every setting of one hub process; see docs/operations.md for each one."""

    data_dir: Path = Path("data")
    database_url: str = ""
    redis_url: str | None = None
    redis_channel: str = "bidopen"
    node_name: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    allowed_origins: tuple[str, ...] = ()
    max_bid_bytes: int = 2 * GIB
    bidder_quota_bytes: int = 10 * GIB
    bidder_quota_replacements: int = 20
    storage_reserve_bytes: int = 1 * GIB
    public_requests_per_minute: int = 600
    public_messages_per_minute: int = 30
    public_max_message_bytes: int = 512
    public_max_connections_per_ip: int = 50
    signin_requests_per_minute: int = 3000
    account_requests_per_minute: int = 6000
    login_failures_per_minute: int = 20
    login_failures_per_account_per_minute: int = 5
    password_hash_threads: int = 2
    password_hash_queue: int = 32
    intake_threads: int = 0
    max_connections: int = 0
    max_connections_per_address: int = 512
    max_socket_sessions_per_address: int = 512
    namespace_failures_per_minute: int = 60
    trusted_proxies: tuple[str, ...] = ()
    max_deadline_days: int = 366
    deadline_settle_seconds: int = 30
    socket_max_message_bytes: int = 64 * 1024
    challenge_seconds: int = 120
    token_hours: int = 12
    deadline_grace_ms: int = 1500
    heartbeat_ms: int = 5000
    # The live evaluation video (docs/video.md, `bidopen.video.settings.VideoSettings`).
    video_max_viewers: int = 0
    video_shared_encoding: bool = True
    video_shared_bitrate: int = 1_000_000
    video_view_requests_per_minute: int = 30
    video_view_burst: int = 10
    video_viewer_connect_seconds: float = 15.0
    video_media_timeout_seconds: float = 2.0
    video_slate_fps: float = 2.0
    video_slate_width: int = 640
    video_slate_height: int = 480
    video_max_sdp_bytes: int = 64 * 1024
    video_watch_elsewhere: str = ""
    bootstrap_host: str | None = None
    demo: bool = False
    demo_speed: int = 1
    web_root: Path = DEFAULT_WEB_ROOT
    log_level: str = "WARNING"
    access_log: str | None = None
    public_log_name: str = ""
    public_log_checkpoint_ms: int = 1000
    public_log_witnesses: tuple[str, ...] = ()
    public_log_witness_quorum: int = 0
    pdf_font: str = ""

    def __post_init__(self) -> None:
        if not self.database_url:
            url = f"sqlite+aiosqlite:///{self.data_dir / 'bidopen.db'}"
            object.__setattr__(self, "database_url", url)
        if not self.node_name:
            # Distinct for every node of a deployment: one per host, or per port on a host.
            object.__setattr__(self, "node_name", f"{socket.gethostname()}-{self.port}")
        if not _NODE_NAME.fullmatch(self.node_name):
            raise ConfigError("node_name must be 1 to 64 of A-Z a-z 0-9 . _ -")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is outside 0..65535")
        if self.max_bid_bytes < 1024:
            raise ConfigError("max_bid_bytes must be at least 1024")
        for name in (
            "public_requests_per_minute",
            "public_messages_per_minute",
            "public_max_message_bytes",
            "public_max_connections_per_ip",
            "socket_max_message_bytes",
            "challenge_seconds",
            "token_hours",
            "heartbeat_ms",
            "demo_speed",
            "signin_requests_per_minute",
            "account_requests_per_minute",
            "login_failures_per_minute",
            "login_failures_per_account_per_minute",
            "password_hash_threads",
            "password_hash_queue",
            "max_connections_per_address",
            "max_socket_sessions_per_address",
            "namespace_failures_per_minute",
            "deadline_settle_seconds",
            "public_log_checkpoint_ms",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.bidder_quota_bytes < self.max_bid_bytes:
            raise ConfigError("bidder_quota_bytes must be at least max_bid_bytes")
        for name in ("bidder_quota_replacements", "storage_reserve_bytes"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative")
        if self.intake_threads < 0 or self.max_connections < 0:
            raise ConfigError("intake_threads and max_connections must not be negative (0: auto)")
        if not 1 <= self.max_deadline_days <= MAX_DEADLINE_DAYS:
            raise ConfigError(f"max_deadline_days must be from 1 to {MAX_DEADLINE_DAYS}")
        for network in self.trusted_proxies:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ConfigError(f"trusted proxy {network!r} is no address or network") from exc
        if self.deadline_grace_ms < 0:
            raise ConfigError("deadline_grace_ms must not be negative")
        if not self.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ConfigError("database_url must be sqlite+aiosqlite:// or postgresql+asyncpg://")
        for origin in self.allowed_origins:
            if not origin.startswith(("http://", "https://")) or origin.endswith("/"):
                raise ConfigError(f"allowed origin {origin!r} must look like https://host[:port]")
        try:
            self.video()
        except ValueError as exc:
            raise ConfigError(f"video: {exc}") from None
        if self.bootstrap_host is not None and ":" not in self.bootstrap_host:
            raise ConfigError("bootstrap_host must be USER:PASSWORD")
        self._check_public_log()

    def _check_public_log(self) -> None:
        if not self.public_log_name:
            object.__setattr__(self, "public_log_name", _default_log_name(self.allowed_origins))
        if (
            not self.public_log_name
            or "+" in self.public_log_name
            or any(c.isspace() for c in self.public_log_name)
        ):
            raise ConfigError(
                "public_log_name must be one word without '+' (e.g. kaibiao.example.cn/log)"
            )
        for witness in self.public_log_witnesses:
            if len(witness.split()) != 2:
                raise ConfigError(f"log witness {witness!r} must be 'URL VKEY'")
        if not 0 <= self.public_log_witness_quorum <= len(self.public_log_witnesses):
            raise ConfigError(
                "public_log_witness_quorum must be between 0 and the number of witnesses"
            )

    def video(self) -> VideoSettings:
        """The video settings (`video_*`); 0 viewers means the measured budget of one core."""
        # Imported here: the bidopen.video package imports the hub, which imports this module.
        from bidopen.video.settings import VideoSettings

        return VideoSettings(
            max_viewers=self.video_max_viewers or None,
            shared_encoding=self.video_shared_encoding,
            shared_bitrate=self.video_shared_bitrate,
            view_requests_per_minute=self.video_view_requests_per_minute,
            view_burst=self.video_view_burst,
            viewer_connect_seconds=self.video_viewer_connect_seconds,
            media_timeout_seconds=self.video_media_timeout_seconds,
            slate_fps=self.video_slate_fps,
            slate_width=self.video_slate_width,
            slate_height=self.video_slate_height,
            max_sdp_bytes=self.video_max_sdp_bytes,
            watch_elsewhere=self.video_watch_elsewhere,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def bids_dir(self) -> Path:
        return self.data_dir / "bids"

    @property
    def log_key_path(self) -> Path:
        return self.data_dir / "log-key.pem"


def _default_log_name(allowed_origins: tuple[str, ...]) -> str:
    """`<host of the first allowed origin>/log`; a deployment should set its own name."""
    if allowed_origins:
        return allowed_origins[0].split("://", 1)[1] + "/log"
    return "bidopen.invalid/log"


def settings() -> tuple[str, ...]:
    """The names of every setting, in declaration order (the documentation test reads this)."""
    return tuple(f.name for f in dataclasses.fields(Config))


def env_name(setting: str) -> str:
    return ENV_PREFIX + setting.upper()


def _convert(name: str, text: str, kind: Any) -> object:
    try:
        if kind is Path or kind == "Path":
            return Path(text)
        if kind is bool or kind == "bool":
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        if kind is int or kind == "int":
            return int(text)
        if kind is float or kind == "float":
            return float(text)
        if kind == "tuple[str, ...]":
            return tuple(part.strip() for part in text.split(",") if part.strip())
        if kind == "str | None":
            return text or None
        return text
    except ValueError as exc:
        raise ConfigError(f"{env_name(name)}={text!r} is not a valid {kind}") from exc


def convert_setting(name: str, text: str) -> object:
    """A setting's value from its text, as its environment variable is read."""
    kinds = {f.name: f.type for f in dataclasses.fields(Config)}
    if name not in kinds:
        raise ConfigError(f"unknown setting {name!r}")
    return _convert(name, text, kinds[name])


def load_config(env: Mapping[str, str] | None = None, /, **explicit: object) -> Config:
    """Defaults, overridden by `BIDOPEN_*` variables, overridden by explicit arguments."""
    source = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Config):
        text = source.get(env_name(f.name))
        if text is not None:
            values[f.name] = _convert(f.name, text, f.type)
    unknown = set(explicit) - set(settings())
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    values.update({k: v for k, v in explicit.items() if v is not None})
    return Config(**values)
