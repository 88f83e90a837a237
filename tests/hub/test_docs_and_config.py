"""The promises are tested: every setting and error code is documented; settings parse strictly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bidopen.config import Config, ConfigError, load_config, settings
from bidopen.errors import CODES, HubError, error_payload, from_session_error
from bidopen.service.views import NAMED_AFTER_READ_OUT, REDACTED
from bidopen.session.errors import ERROR_CODES, IllegalInPhase, InvalidArgument

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "operations.md").read_text()
    missing = [name for name in settings() if f"`{name}`" not in text]
    assert not missing


def test_every_error_code_is_documented() -> None:
    text = (DOCS / "protocol.md").read_text()
    missing = [code for code in CODES if f"`{code}`" not in text]
    assert not missing


def test_what_bidders_and_the_public_receive_of_each_event_is_documented() -> None:
    text = (DOCS / "protocol.md").read_text()
    section = text[text.index("### 5.3") : text.index("### 5.4")]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| `")]
    for kind, kept in REDACTED.items():
        cells = [fields for kinds, fields in rows if f"`{kind}`" in kinds]
        assert len(cells) == 1, kind
        for field in (*kept, *NAMED_AFTER_READ_OUT.get(kind, ())):
            assert f"`{field}`" in cells[0], (kind, field)


def test_every_session_error_code_maps_to_itself() -> None:
    # A field out of range is one cause on the wire, whoever checked it: validation_failed.
    assert set(ERROR_CODES) - {"invalid_argument"} <= set(CODES)
    assert "invalid_argument" not in CODES
    error = from_session_error(IllegalInPhase("start_decryption", "scheduled"))
    assert error.code == "illegal_in_phase" and "scheduled" in error.message
    refused = from_session_error(InvalidArgument("lot must be an id", field="lot"))
    assert (refused.code, refused.field) == ("validation_failed", "lot")


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_error_has_one_shape(code: str) -> None:
    payload = error_payload(HubError(code, "detail"))
    assert set(payload) == {"error"}
    assert set(payload["error"]) == {"code", "message", "message_zh"}
    assert error_payload(HubError(code, field="x"))["error"]["field"] == "x"
    assert payload["error"]["code"] == code and payload["error"]["message_zh"]
    assert 400 <= HubError(code).status < 600


def test_environment_and_explicit_settings(tmp_path: Path) -> None:
    env = {
        "BIDOPEN_DATA_DIR": str(tmp_path),
        "BIDOPEN_PORT": "9001",
        "BIDOPEN_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        "BIDOPEN_DEMO": "yes",
        "BIDOPEN_REDIS_URL": "",
    }
    config = load_config(env, port=9002)
    assert config.port == 9002 and config.demo is True and config.redis_url is None
    assert config.allowed_origins == ("https://a.example", "https://b.example")
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'bidopen.db'}"
    assert Config().database_url.endswith("data/bidopen.db")


@pytest.mark.parametrize(
    "env",
    [
        {"BIDOPEN_PORT": "eighty"},
        {"BIDOPEN_PORT": "70000"},
        {"BIDOPEN_DEMO": "maybe"},
        {"BIDOPEN_MAX_BID_BYTES": "10"},
        {"BIDOPEN_DATABASE_URL": "mysql://x"},
        {"BIDOPEN_ALLOWED_ORIGINS": "https://a.example/"},
        {"BIDOPEN_BOOTSTRAP_HOST": "no-password"},
        {"BIDOPEN_HEARTBEAT_MS": "0"},
    ],
)
def test_bad_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_config(env)


def test_unknown_explicit_setting_is_refused() -> None:
    with pytest.raises(ConfigError):
        load_config({}, colour="blue")
