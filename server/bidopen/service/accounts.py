"""Sign-in of hosts (password) and bidders (signed challenge), registration, bearer tokens."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bidopen.clock import Clock
from bidopen.errors import HubError
from bidopen.service.passwords import DUMMY_HASH, PasswordPool
from bidopen.service.throttle import LoginThrottle
from bidopen.session.text import normalise, refused_character
from bidopen.session.values import DEFAULT_ORGANISATION
from bidopen.store import accounts as account_store
from bidopen.store import bidders as bidder_store
from bidopen.store import organisations as organisation_store
from bidopen.store.accounts import Principal
from bidopen.store.bidders import BidderAccount
from bidopen.store.db import Database
from bidopen.store.organisations import Organisation
from bidopen.store.schema import DEFAULT_ORGANISATION_NAME
from bidseal import PublicBundle, verify_challenge_signature
from bidseal.codec import b64u_decode, b64u_encode

HOST = "host"
BIDDER = "bidder"
# How long this process trusts a token it checked without asking again: a logout on
# another node, or a token's expiry, takes effect here at most this much later.
PRINCIPAL_SECONDS = 5.0
_REMEMBERED = 100_000
MAX_ORG_NAME = 200
MAX_CONTACT = 200
MIN_PASSWORD = 8
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
# Bidder ids: "BD" and ten upper-case hex digits. The logs' redaction (bidopen.logsecrecy)
# finds them by this pattern, so the two must change together.
BIDDER_ID = re.compile(r"BD[0-9A-F]{10}")


def new_bidder_id() -> str:
    return f"BD{secrets.token_hex(5).upper()}"


def host_username(value: object) -> str:
    """A host's login name: letters, digits, `.`, `_`, `@`, `-`, at most 64; never public."""
    if not isinstance(value, str) or not _USERNAME.fullmatch(value):
        raise HubError(
            "validation_failed",
            "username must be 1..64 letters, digits, '.', '_', '@' or '-', starting with a "
            "letter or digit.",
        )
    return value


def check_password(value: object) -> str:
    if not isinstance(value, str) or len(value) < MIN_PASSWORD:
        raise HubError(
            "validation_failed", f"password must have at least {MIN_PASSWORD} characters."
        )
    return value


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class IssuedChallenge:
    challenge: str
    audience: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def one_line(name: str, value: object, limit: int) -> str:
    """A name or a short line of text as stored: NFC, trimmed, nothing invisible in it."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise HubError(
            "validation_failed", f"{name} must be text of 1..{limit} characters.", field=name
        )
    text = normalise(value).strip()
    bad = refused_character(text)
    if bad is not None:
        raise HubError(
            "text_refused",
            f"{name} holds {bad}, an invisible, control or direction-changing character.",
            f"{name} 含有不可见字符、控制字符或改变文字方向的字符（{bad}）。",
            field=name,
        )
    return text


class Accounts:
    """Everything about who is calling; an audience binds each challenge to this platform.

    `audience` is the operator's configured origin, or None when the hub names itself per
    request (`bidopen.http.audience`); each challenge keeps the audience it was issued with.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        audience: str | None,
        challenge_seconds: int,
        token_hours: int,
        passwords: PasswordPool,
        throttle: LoginThrottle,
    ) -> None:
        self._db = db
        self.passwords = passwords
        self._throttle = throttle
        self._clock = clock
        self.audience = audience
        self._challenge_ttl = timedelta(seconds=challenge_seconds)
        self._principals: dict[str, tuple[Principal, float]] = {}
        self._bidders: dict[str, BidderAccount] = {}
        self._token_ttl = timedelta(hours=token_hours)

    async def ensure_host(self, username: str, password: str) -> bool:
        """The bootstrap account: created in the default organisation unless any host exists.

        Only the first account comes from the bootstrap setting; every other host is made
        by an administrator (`bidopen admin host add`), in the organisation it belongs to.
        """
        async with self._db.read() as conn:
            if await account_store.list_hosts(conn):
                return False
        try:
            await self.add_host(username, password, DEFAULT_ORGANISATION)
        except IntegrityError:  # another node started at the same moment and made it
            return False
        return True

    async def add_host(self, username: str, password: str, organisation: str) -> None:
        """A new host account of `organisation` (made, when it is the default, on first use)."""
        name = host_username(username)
        password_hash = await self.passwords.hash(check_password(password))
        now = self._clock.now()
        async with self._db.write() as conn:
            if await organisation_store.get_organisation(conn, organisation) is None:
                if organisation != DEFAULT_ORGANISATION:
                    raise HubError("not_found", f"No organisation {organisation!r}.")
                await organisation_store.add_organisation(
                    conn, DEFAULT_ORGANISATION, DEFAULT_ORGANISATION_NAME, now
                )
            if await account_store.host_by_username(conn, name) is not None:
                raise HubError("conflict", f"A host named {name!r} exists.")
            await account_store.add_host(conn, name, password_hash, organisation, now)

    async def disable_host(self, username: str) -> None:
        """Disable a host: it cannot sign in, and every token it holds stops working now."""
        now = self._clock.now()
        async with self._db.write() as conn:
            if not await account_store.update_host(conn, username, disabled_at=now):
                raise HubError("not_found", f"No host {username!r}.")
            await account_store.revoke_tokens_of(conn, HOST, username, now)

    async def set_host_password(self, username: str, password: str) -> None:
        """A new password; tokens issued under the old one are revoked."""
        password_hash = await self.passwords.hash(check_password(password))
        now = self._clock.now()
        async with self._db.write() as conn:
            if not await account_store.update_host(conn, username, password_hash=password_hash):
                raise HubError("not_found", f"No host {username!r}.")
            await account_store.revoke_tokens_of(conn, HOST, username, now)

    async def organisation(self, organisation_id: str | None) -> Organisation:
        async with self._db.read() as conn:
            found = await organisation_store.get_organisation(conn, organisation_id or "")
        if found is None:
            raise HubError("not_found", "No such organisation.")
        return found

    async def _issue(self, principal: Principal) -> IssuedToken:
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        expires_at = now + self._token_ttl
        async with self._db.write() as conn:
            await account_store.add_token(conn, token_hash(token), principal, now, expires_at)
        return IssuedToken(token, expires_at)

    async def host_login(self, username: object, password: object, *, address: str) -> IssuedToken:
        """Check the password (on the password pool) unless `address` spent its budget."""
        if not isinstance(username, str) or not isinstance(password, str):
            raise HubError("validation_failed", "username and password are required.")
        self._throttle.check(address, username)
        async with self._db.read() as conn:
            account = await account_store.host_by_username(conn, username)
        stored = account.password_hash if account else DUMMY_HASH
        if not await self.passwords.verify(password, stored) or account is None:
            self._throttle.failed(address, username)
            raise HubError("login_failed")
        # A disabled account fails like a wrong password: no answer tells who is disabled.
        if account.disabled_at is not None:
            self._throttle.failed(address, username)
            raise HubError("login_failed")
        self._throttle.succeeded(address, username)
        return await self._issue(Principal(HOST, account.username, account.organisation_id))

    async def logout(self, token: str) -> None:
        hashed = token_hash(token)
        self._principals.pop(hashed, None)
        async with self._db.write() as conn:
            await account_store.revoke_token(conn, hashed, self._clock.now())

    async def authenticate(self, token: str | None) -> Principal:
        """The token's principal; remembered for PRINCIPAL_SECONDS, so that a burst of
        requests (a deadline rush) does not queue a database read in front of each."""
        if not token:
            raise HubError("unauthenticated")
        hashed = token_hash(token)
        now = time.monotonic()
        known = self._principals.get(hashed)
        if known is not None and known[1] > now:
            return known[0]
        async with self._db.read() as conn:
            principal = await account_store.principal_for(conn, hashed, self._clock.now())
        if principal is None:
            raise HubError("unauthenticated", "The token is unknown, expired or revoked.")
        # Only bidders' tokens are remembered (their bursts at a deadline are what the memory
        # is for): a host disabled by `bidopen admin` is out at once, on every node.
        if principal.role != HOST:
            if len(self._principals) >= _REMEMBERED:
                self._principals.clear()
            self._principals[hashed] = (principal, now + PRINCIPAL_SECONDS)
        return principal

    async def register_bidder(
        self, org_name: object, contact: object, public_bundle: object
    ) -> BidderAccount:
        """Register a bidder (no review); the signing key may be registered once only."""
        org = one_line("org_name", org_name, MAX_ORG_NAME)
        contact_text = one_line("contact", contact, MAX_CONTACT)
        try:
            bundle = PublicBundle.from_json(
                public_bundle if isinstance(public_bundle, str) else _json(public_bundle)
            )
        except ValueError as exc:
            raise HubError(
                "validation_failed",
                "public_bundle is not a valid key bundle.",
                field="public_bundle",
            ) from exc
        async with self._db.read() as conn:
            look_alike = await bidder_store.name_looking_like(conn, org)
        if look_alike is not None:
            raise HubError(
                "name_looks_taken",
                "org_name looks like an organisation already registered but differs from it.",
                "org_name 与已登记的单位名称极为相似但不相同。",
                field="org_name",
            )
        bidder = BidderAccount(
            id=new_bidder_id(),
            org_name=org,
            contact=contact_text,
            encryption_key=b64u_encode(bundle.encryption_key),
            signing_key=b64u_encode(bundle.signing_key),
            key_id=bundle.key_id,
        )
        try:
            async with self._db.write() as conn:
                await bidder_store.add_bidder(conn, bidder, self._clock.now())
        except IntegrityError as exc:
            raise HubError("conflict", "This signing key is already registered.") from exc
        return bidder

    async def bidder(self, bidder_id: str) -> BidderAccount:
        known = self._bidders.get(bidder_id)
        if known is not None:
            return known
        async with self._db.read() as conn:
            bidder = await bidder_store.get_bidder(conn, bidder_id)
        if bidder is None:
            raise HubError("bidder_not_found")
        # A bidder's registration never changes, so it can be kept.
        if len(self._bidders) >= _REMEMBERED:
            self._bidders.clear()
        self._bidders[bidder_id] = bidder
        return bidder

    async def challenge(self, bidder_id: str, audience: str) -> IssuedChallenge:
        """A single-use challenge for `audience`, the origin the bidder signs into."""
        await self.bidder(bidder_id)
        challenge = b64u_encode(secrets.token_bytes(32))
        expires_at = self._clock.now() + self._challenge_ttl
        async with self._db.write() as conn:
            await bidder_store.add_challenge(conn, challenge, bidder_id, expires_at, audience)
        return IssuedChallenge(challenge, audience, expires_at)

    async def bidder_login(
        self, bidder_id: str, challenge: object, signature: object
    ) -> IssuedToken:
        if not isinstance(challenge, str) or not isinstance(signature, str):
            raise HubError("validation_failed", "challenge and signature are required.")
        bidder = await self.bidder(bidder_id)
        async with self._db.read() as conn:
            audience = await bidder_store.challenge_audience(conn, challenge, bidder_id)
        if audience is None:
            raise HubError("challenge_invalid")
        # Against the audience issued, never one the login request implies: a signature
        # made for another origin (a relay's) fails here.
        if not verify_challenge_signature(
            _point(bidder.signing_key), challenge, audience, signature
        ):
            raise HubError("signature_invalid")
        # The challenge is spent only by a valid signature, so a forger cannot burn it.
        async with self._db.write() as conn:
            if not await bidder_store.use_challenge(conn, challenge, bidder_id, self._clock.now()):
                raise HubError("challenge_invalid")
        return await self._issue(Principal(BIDDER, bidder_id))


def _point(b64u: str) -> bytes:
    return b64u_decode(b64u)


def _json(value: object) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise HubError(
            "validation_failed", "public_bundle must be a JSON object.", field="public_bundle"
        ) from exc
