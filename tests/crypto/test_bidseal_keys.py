"""Key pairs, public bundles and passphrase-encrypted key files."""

from __future__ import annotations

import json
import os
import stat
import unicodedata
from pathlib import Path

import pytest
from bidseal_testing import FAST_ITERATIONS, KEYS
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from bidseal import (
    KeyFileError,
    PublicBundle,
    load_private_key_file,
    load_public_bundle,
    read_passphrase_file,
    write_key_dir,
)
from bidseal.codec import b64u_decode, b64u_encode
from bidseal.keys import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    decrypt_key_file,
    encrypt_key_file,
)

PASSPHRASE = "正确的口令 correct horse"
REFUSED = "wrong passphrase or damaged key file"


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    write_key_dir(folder, KEYS, PASSPHRASE, iterations=FAST_ITERATIONS)
    return folder


def test_key_dir_round_trip(key_dir: Path) -> None:
    assert sorted(p.name for p in key_dir.iterdir()) == [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]
    loaded = load_private_key_file(key_dir / PRIVATE_KEY_FILE, PASSPHRASE)
    assert loaded.public == KEYS.public
    assert loaded.scalars() == KEYS.scalars()
    assert load_public_bundle(key_dir) == KEYS.public
    assert stat.S_IMODE((key_dir / PRIVATE_KEY_FILE).stat().st_mode) == 0o600


def test_key_file_refuses_to_overwrite(key_dir: Path) -> None:
    before = (key_dir / PRIVATE_KEY_FILE).read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        write_key_dir(key_dir, KEYS, "other", iterations=FAST_ITERATIONS)
    assert (key_dir / PRIVATE_KEY_FILE).read_bytes() == before


def test_wrong_passphrase_leaves_the_file_unchanged(key_dir: Path) -> None:
    path = key_dir / PRIVATE_KEY_FILE
    before = path.read_bytes(), path.stat().st_mtime_ns
    with pytest.raises(KeyFileError) as caught:
        load_private_key_file(path, PASSPHRASE + "x")
    assert str(caught.value) == REFUSED
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_passphrase_is_nfc_normalised() -> None:
    composed = "café"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    data = encrypt_key_file(KEYS, composed, iterations=FAST_ITERATIONS)
    assert decrypt_key_file(data, decomposed).public == KEYS.public


def _tampered_variants() -> dict[str, bytes]:
    document = json.loads(encrypt_key_file(KEYS, PASSPHRASE, iterations=FAST_ITERATIONS))
    ciphertext = bytearray(b64u_decode(document["ciphertext"]))
    ciphertext[5] ^= 1
    variants = {
        "ciphertext bit": {**document, "ciphertext": b64u_encode(bytes(ciphertext))},
        "iterations changed": {**document, "kdf": {**document["kdf"], "iterations": 1001}},
        "iterations too low": {**document, "kdf": {**document["kdf"], "iterations": 999}},
        "iterations not int": {**document, "kdf": {**document["kdf"], "iterations": "1000"}},
        "salt changed": {**document, "kdf": {**document["kdf"], "salt": b64u_encode(bytes(16))}},
        "swapped points": {
            **document,
            "encryption_key": document["signing_key"],
            "signing_key": document["encryption_key"],
        },
        "other public key": {
            **document,
            "signing_key": b64u_encode(
                PublicBundle.from_json(KEYS.public.to_json()).encryption_key
            ),
        },
        "format": {**document, "format": "bidseal-private-key/2"},
        "cipher name": {**document, "cipher": {**document["cipher"], "name": "AES-128-GCM"}},
        "missing ciphertext": {k: v for k, v in document.items() if k != "ciphertext"},
    }
    out = {name: json.dumps(value).encode() for name, value in variants.items()}
    out["not json"] = b"{"
    out["empty"] = b""
    return out


TAMPERED = _tampered_variants()


@pytest.mark.parametrize("data", TAMPERED.values(), ids=TAMPERED.keys())
def test_tampered_key_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / PRIVATE_KEY_FILE
    path.write_bytes(data)
    with pytest.raises(KeyFileError) as caught:
        load_private_key_file(path, PASSPHRASE)
    assert str(caught.value) == REFUSED
    assert path.read_bytes() == data


def test_iterations_below_the_floor_are_refused_even_when_the_file_is_sound(tmp_path: Path) -> None:
    # A file an attacker re-encrypted with a cheap KDF: it would open, but it must not.
    document = json.loads(encrypt_key_file(KEYS, PASSPHRASE, iterations=FAST_ITERATIONS))
    salt, nonce = b64u_decode(document["kdf"]["salt"]), b64u_decode(document["cipher"]["nonce"])
    wrap_key = PBKDF2HMAC(hashes.SHA256(), 32, salt, 999).derive(PASSPHRASE.encode())
    aad = b"bidseal-private-key/1" + KEYS.public.encryption_key + KEYS.public.signing_key
    ciphertext = AESGCM(wrap_key).encrypt(nonce, b"".join(KEYS.scalars()), aad)
    document["kdf"]["iterations"] = 999
    document["ciphertext"] = b64u_encode(ciphertext)
    with pytest.raises(KeyFileError, match=REFUSED):
        decrypt_key_file(json.dumps(document).encode(), PASSPHRASE)
    document["kdf"]["iterations"] = 1000  # the control: the same recipe at the floor opens
    wrap_key = PBKDF2HMAC(hashes.SHA256(), 32, salt, 1000).derive(PASSPHRASE.encode())
    document["ciphertext"] = b64u_encode(
        AESGCM(wrap_key).encrypt(nonce, b"".join(KEYS.scalars()), aad)
    )
    assert decrypt_key_file(json.dumps(document).encode(), PASSPHRASE).public == KEYS.public


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(KeyFileError, match="empty"):
        encrypt_key_file(KEYS, "", iterations=FAST_ITERATIONS)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"secret\n", "secret"),
        (b"secret\r\n", "secret"),
        (b"secret", "secret"),
        (b"a b\n\n", "a b\n"),
    ],
)
def test_passphrase_file(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "pass"
    path.write_bytes(content)
    assert read_passphrase_file(path) == expected


def test_passphrase_file_refusals(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"\n")
    (tmp_path / "latin1").write_bytes(b"caf\xe9")
    with pytest.raises(KeyFileError, match="empty"):
        read_passphrase_file(tmp_path / "empty")
    with pytest.raises(KeyFileError, match="UTF-8"):
        read_passphrase_file(tmp_path / "latin1")
    with pytest.raises(KeyFileError, match="cannot read"):
        read_passphrase_file(tmp_path / "missing")


def test_public_bundle_json_round_trip_and_key_id() -> None:
    bundle = PublicBundle.from_json(KEYS.public.to_json())
    assert bundle == KEYS.public
    assert len(bundle.key_id) == 64
    assert bundle.key_id != bundle.encryption_key_id


@pytest.mark.parametrize(
    "text",
    [
        '{"format":"bidseal-public-key/2","encryption_key":"A","signing_key":"A"}',
        '{"format":"bidseal-public-key/1"}',
        '{"format":"bidseal-public-key/1","encryption_key":"AAAA","signing_key":"AAAA"}',
        "[]",
    ],
)
def test_public_bundle_refusals(text: str) -> None:
    with pytest.raises(ValueError, match="public key bundle"):
        PublicBundle.from_json(text)


def test_public_bundle_ignores_other_members() -> None:
    members = json.loads(KEYS.public.to_json()) | {"label": "x"}
    assert PublicBundle.from_json(json.dumps(members)) == KEYS.public


def test_private_keys_do_not_show_in_repr() -> None:
    text = repr(KEYS)
    for scalar in KEYS.scalars():
        assert scalar.hex() not in text
    assert KEYS.key_id in text


def test_no_temp_files_left_behind(key_dir: Path) -> None:
    assert not [name for name in os.listdir(key_dir) if name.startswith(".")]
