"""Both languages say everything: the same keys in zh-CN and English, and every key a page uses."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "client_web"
ENTRY = re.compile(r'^\s*"([a-z_]+(?:\.[a-z0-9_]+)+)":\s*"((?:[^"\\]|\\.)*)",\s*$', re.MULTILINE)
# Keys named literally in the page modules: t("…"), tOr("…"), tIn(lang, "…"), AccountError("…"),
# the host controls' titleKey/buttonKey/confirmKey and field("…", …).
USED_IN_JS = re.compile(
    r"""(?:\bt|\btOr|\btIn\([^,()]+,|AccountError|titleKey:|buttonKey:|confirmKey:|\bfield)"""
    r"""\(?\s*"([a-z_]+(?:\.[a-z0-9_]+)+)\""""
)
USED_IN_HTML = re.compile(r'data-i18n(?:-[a-z-]+)?="([^"]+)"')
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def dictionary(name: str) -> dict[str, str]:
    text = (WEB / "static" / "js" / "i18n" / name).read_text(encoding="utf-8")
    entries = ENTRY.findall(text)
    assert len(entries) == text.count('":'), f"{name}: a line is not one key and one string"
    keys = [key for key, _ in entries]
    assert len(keys) == len(set(keys)), f"{name}: a key appears twice"
    return dict(entries)


def used_keys() -> set[str]:
    used: set[str] = set()
    for path in (WEB / "static" / "js").rglob("*.js"):
        if "i18n" not in path.parts:
            used.update(USED_IN_JS.findall(path.read_text(encoding="utf-8")))
    for path in (WEB / "pages").glob("*.html"):
        used.update(USED_IN_HTML.findall(path.read_text(encoding="utf-8")))
    return used


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    chinese, english = dictionary("zh-CN.js"), dictionary("en.js")
    assert sorted(chinese) == sorted(english)
    for key, text in chinese.items():
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), key


def test_every_key_a_page_names_exists() -> None:
    used = used_keys()
    assert len(used) > 100  # the scan found the pages' keys, not nothing
    assert sorted(used - set(dictionary("zh-CN.js"))) == []


def test_every_phase_status_and_event_has_words() -> None:
    chinese = dictionary("zh-CN.js")
    server = Path(__file__).resolve().parents[2] / "server" / "bidopen" / "session"
    phases = re.findall(r'^\s+[A-Z_]+ = "([a-z_]+)"$', (server / "phases.py").read_text(), re.M)
    kinds = re.findall(r'^\s+kind = "([a-z_]+)"$', (server / "events.py").read_text(), re.M)
    assert phases and kinds
    missing = [f"phase.{p}" for p in phases if f"phase.{p}" not in chinese]
    missing += [f"event.{k}" for k in kinds if f"event.{k}" not in chinese]
    assert missing == []


def test_every_cause_has_a_short_word_for_the_hall() -> None:
    """The hall's rows say a bid's cause in a word or two, whatever the cause (but success)."""
    chinese = dictionary("zh-CN.js")
    values = Path(__file__).resolve().parents[2] / "server" / "bidopen" / "session" / "values.py"
    block = values.read_text().split("class OutcomeCause", 1)[1].split("\nclass ", 1)[0]
    causes = re.findall(r'^\s+[A-Z_]+ = "([a-z_]+)"$', block, re.M)
    assert "platform_fault" in causes
    said = [c for c in causes if c != "decrypted"]
    assert [c for c in said if f"hall.cause_{c}" not in chinese] == []
    # Short: no longer than the whole cause, which is what the hall could not fit.
    assert [c for c in said if len(chinese[f"hall.cause_{c}"]) > len(chinese[f"cause.{c}"])] == []
