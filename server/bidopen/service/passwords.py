"""Host password hashes: scrypt with a per-password salt, in a self-describing text form."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

from bidseal.codec import b64u_decode, b64u_encode

# scrypt N=2^15, r=8, p=1 costs about 32 MiB and tens of milliseconds: slow for a guesser,
# cheap for a login. The parameters travel with the hash so they can be raised later.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024


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


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, stored: str) -> bool:
    return await asyncio.to_thread(verify_password, password, stored)


# Verifying against this keeps an unknown user name as slow as a wrong password.
DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
