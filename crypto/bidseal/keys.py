"""Bidder key pairs, key ids, public bundles and passphrase-encrypted key files (docs section 1)."""

from __future__ import annotations

import json
import os
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from bidseal.codec import b64u_decode, b64u_encode
from bidseal.errors import KeyFileError
from bidseal.files import write_new_file
from bidseal.p256 import (
    SCALAR_LEN,
    key_id,
    load_point,
    point_of,
    private_from_scalar,
    scalar_of,
)
from bidseal.strictjson import read_json

__all__ = [
    "DEFAULT_ITERATIONS",
    "ITERATIONS_MAX",
    "ITERATIONS_MIN",
    "PRIVATE_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "BidderKeys",
    "PublicBundle",
    "decrypt_key_file",
    "encrypt_key_file",
    "generate_keys",
    "load_private_key_file",
    "load_public_bundle",
    "read_passphrase_file",
    "write_key_dir",
]

PRIVATE_KEY_FORMAT = "bidseal-private-key/1"
PUBLIC_KEY_FORMAT = "bidseal-public-key/1"
PRIVATE_KEY_FILE = "bidder-key.json"
PUBLIC_KEY_FILE = "bidder-public.json"
DEFAULT_ITERATIONS = 600_000
ITERATIONS_MIN = 1_000
ITERATIONS_MAX = 10_000_000
_SALT_LEN = 16
_NONCE_LEN = 12
_KEY_FILE_REFUSED = "wrong passphrase or damaged key file"
_KDF_MEMBERS = frozenset({"name", "iterations", "salt"})
_CIPHER_MEMBERS = frozenset({"name", "nonce"})


@dataclass(frozen=True, slots=True)
class PublicBundle:
    """A bidder's two public keys as 65-byte points; what the platform registers."""

    encryption_key: bytes
    signing_key: bytes

    def __post_init__(self) -> None:
        load_point(self.encryption_key)
        load_point(self.signing_key)

    @property
    def key_id(self) -> str:
        """The bidder key id: the key id of the signing key."""
        return key_id(self.signing_key)

    @property
    def encryption_key_id(self) -> str:
        return key_id(self.encryption_key)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": PUBLIC_KEY_FORMAT,
                "encryption_key": b64u_encode(self.encryption_key),
                "signing_key": b64u_encode(self.signing_key),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> PublicBundle:
        """Parse a bundle; ValueError if it is not a ``bidseal-public-key/1`` with valid points.

        Bytes must be UTF-8; either way the text is read under the JSON profile (section 0.1).
        """
        try:
            members = read_json(text)
            if not isinstance(members, dict) or members.get("format") != PUBLIC_KEY_FORMAT:
                raise ValueError("format")
            return cls(
                encryption_key=b64u_decode(members["encryption_key"]),
                signing_key=b64u_decode(members["signing_key"]),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError("not a valid bidseal public key bundle") from exc


# eq=False: cryptography's key objects have no value equality; compare .scalars() or .public.
@dataclass(frozen=True, slots=True, eq=False)
class BidderKeys:
    """A bidder's private keys: one for unwrapping data keys, one for signing sealed files."""

    encryption_private: ec.EllipticCurvePrivateKey
    signing_private: ec.EllipticCurvePrivateKey

    @classmethod
    def from_scalars(cls, encryption_scalar: bytes, signing_scalar: bytes) -> BidderKeys:
        return cls(private_from_scalar(encryption_scalar), private_from_scalar(signing_scalar))

    @property
    def public(self) -> PublicBundle:
        return PublicBundle(point_of(self.encryption_private), point_of(self.signing_private))

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def scalars(self) -> tuple[bytes, bytes]:
        """The two 32-byte private scalars (encryption, signing); for key files and vectors."""
        return scalar_of(self.encryption_private), scalar_of(self.signing_private)

    def __repr__(self) -> str:
        # Never let a private key reach a log line through repr().
        return f"BidderKeys(key_id={self.key_id!r})"


def generate_keys() -> BidderKeys:
    return BidderKeys(
        ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    )


def _wrap_key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    normalized = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(normalized)


def _key_file_aad(public: PublicBundle) -> bytes:
    return PRIVATE_KEY_FORMAT.encode("ascii") + public.encryption_key + public.signing_key


def encrypt_key_file(
    keys: BidderKeys,
    passphrase: str,
    *,
    iterations: int = DEFAULT_ITERATIONS,
    salt: bytes | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """The ``bidder-key.json`` bytes; ``salt`` and ``nonce`` are fixed only for test vectors."""
    if not passphrase:
        raise KeyFileError("the passphrase must not be empty")
    if not ITERATIONS_MIN <= iterations <= ITERATIONS_MAX:
        raise KeyFileError(f"iterations must be {ITERATIONS_MIN}..{ITERATIONS_MAX}")
    salt = secrets.token_bytes(_SALT_LEN) if salt is None else salt
    nonce = secrets.token_bytes(_NONCE_LEN) if nonce is None else nonce
    if len(salt) != _SALT_LEN or len(nonce) != _NONCE_LEN:
        raise ValueError("salt is 16 bytes and nonce 12 bytes")
    public = keys.public
    plaintext = b"".join(keys.scalars())
    ciphertext = AESGCM(_wrap_key(passphrase, salt, iterations)).encrypt(
        nonce, plaintext, _key_file_aad(public)
    )
    document = {
        "format": PRIVATE_KEY_FORMAT,
        "encryption_key": b64u_encode(public.encryption_key),
        "signing_key": b64u_encode(public.signing_key),
        "kdf": {"name": "PBKDF2-SHA256", "iterations": iterations, "salt": b64u_encode(salt)},
        "cipher": {"name": "AES-256-GCM", "nonce": b64u_encode(nonce)},
        "ciphertext": b64u_encode(ciphertext),
    }
    return (json.dumps(document, indent=1) + "\n").encode("utf-8")


def _text(members: Mapping[str, object], name: str) -> str:
    value = members[name]
    if not isinstance(value, str):
        raise ValueError(name)
    return value


def _object(
    members: Mapping[str, object], name: str, required: frozenset[str]
) -> Mapping[str, object]:
    # Exactly these members: an unknown one would name a parameter of the key
    # derivation or cipher that this reader does not apply (section 1.2).
    value = members[name]
    if not isinstance(value, dict) or set(value) != required:
        raise ValueError(name)
    return value


def _integer(members: Mapping[str, object], name: str) -> int:
    value = members[name]
    if type(value) is not int:
        raise ValueError(name)
    return value


def decrypt_key_file(data: bytes, passphrase: str) -> BidderKeys:
    """The private keys of ``bidder-key.json`` bytes; KeyFileError on any failure."""
    try:
        # No number but iterations, an integer: JavaScript would read 1000.0 as 1000.
        members = read_json(data, integers_only=True)
        if not isinstance(members, dict) or members.get("format") != PRIVATE_KEY_FORMAT:
            raise ValueError("format")
        public = PublicBundle(
            encryption_key=b64u_decode(_text(members, "encryption_key")),
            signing_key=b64u_decode(_text(members, "signing_key")),
        )
        kdf = _object(members, "kdf", _KDF_MEMBERS)
        cipher = _object(members, "cipher", _CIPHER_MEMBERS)
        if kdf["name"] != "PBKDF2-SHA256" or cipher["name"] != "AES-256-GCM":
            raise ValueError("algorithms")
        iterations = _integer(kdf, "iterations")
        if not ITERATIONS_MIN <= iterations <= ITERATIONS_MAX:
            raise ValueError("iterations")
        salt = b64u_decode(_text(kdf, "salt"))
        nonce = b64u_decode(_text(cipher, "nonce"))
        ciphertext = b64u_decode(_text(members, "ciphertext"))
        if len(salt) != _SALT_LEN or len(nonce) != _NONCE_LEN:
            raise ValueError("salt or nonce")
        plaintext = AESGCM(_wrap_key(passphrase, salt, iterations)).decrypt(
            nonce, ciphertext, _key_file_aad(public)
        )
        if len(plaintext) != 2 * SCALAR_LEN:
            raise ValueError("plaintext length")
        keys = BidderKeys.from_scalars(plaintext[:SCALAR_LEN], plaintext[SCALAR_LEN:])
        # The AAD already binds the points; this catches a writer that paired them wrongly.
        if keys.public != public:
            raise ValueError("points do not match the scalars")
    except (ValueError, TypeError, KeyError, InvalidTag) as exc:
        raise KeyFileError(_KEY_FILE_REFUSED) from exc
    return keys


def load_private_key_file(path: str | os.PathLike[str], passphrase: str) -> BidderKeys:
    """Read and decrypt ``bidder-key.json`` (or a key folder holding it); never writes."""
    file = Path(path)
    if file.is_dir():
        file = file / PRIVATE_KEY_FILE
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {file}: {exc.strerror}") from exc
    return decrypt_key_file(data, passphrase)


def load_public_bundle(source: str | os.PathLike[str] | bytes) -> PublicBundle:
    """A public bundle from JSON text/bytes, a ``bidder-public.json`` path or a key folder."""
    if isinstance(source, bytes):
        return PublicBundle.from_json(source)
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return PublicBundle.from_json(source)
    file = Path(source)
    if file.is_dir():
        file = file / PUBLIC_KEY_FILE
    return PublicBundle.from_json(file.read_bytes())


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The whole file as UTF-8 with one trailing ``\\n`` or ``\\r\\n`` removed."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise KeyFileError(f"cannot read passphrase file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise KeyFileError(f"passphrase file {path} is not UTF-8") from exc
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise KeyFileError(f"passphrase file {path} is empty")
    return text


def write_key_dir(
    directory: str | os.PathLike[str],
    keys: BidderKeys,
    passphrase: str,
    iterations: int = DEFAULT_ITERATIONS,
) -> tuple[Path, Path]:
    """Write ``bidder-key.json`` (mode 0600) and ``bidder-public.json``; never overwrites."""
    folder = Path(directory)
    private_path = folder / PRIVATE_KEY_FILE
    public_path = folder / PUBLIC_KEY_FILE
    for existing in (private_path, public_path):
        if existing.exists():
            raise KeyFileError(f"{existing} already exists; refusing to overwrite a key file")
    private_data = encrypt_key_file(keys, passphrase, iterations=iterations)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_new_file(private_path, private_data, mode=0o600)
    try:
        write_new_file(public_path, (keys.public.to_json() + "\n").encode("utf-8"), mode=0o644)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return private_path, public_path
