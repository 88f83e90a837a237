"""Host password hashes: scrypt with a per-password salt, on a bounded pool of its own."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bidopen.errors import HubError
from bidseal.codec import b64u_decode, b64u_encode

# scrypt N=2^15, r=8, p=1 costs about 32 MiB and tens of milliseconds: slow for a guesser,
# cheap for a login. The parameters travel with the hash so they can be raised later.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024

T = TypeVar("T")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${b64u_encode(salt)}${b64u_encode(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        name, n, r, p, salt, digest = stored.split("$")
        if name != "scrypt":
            return False
        actual = _derive(password, b64u_decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(actual, b64u_decode(digest))
    except ValueError:
        return False


class PasswordPool:
    """scrypt runs here and nowhere else: `threads` hashes at once, at most `queue` waiting.

    Its threads are its own, so a flood of sign-ins never delays an upload's fsync or a
    database call (they use other threads); beyond the queue a sign-in is refused at once
    (`busy`, with Retry-After) instead of waiting behind thousands of guesses.
    """

    def __init__(self, *, threads: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="scrypt")
        self._capacity = threads + queue
        self._in_use = 0

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        if self._in_use >= self._capacity:
            raise HubError(
                "busy", "Too many sign-ins at once.", "同时登录的请求过多。", retry_after=1
            )
        self._in_use += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            self._in_use -= 1

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password: str, stored: str) -> bool:
        return await self._run(verify_password, password, stored)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


# Verifying against this keeps an unknown user name as slow as a wrong password.
DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
