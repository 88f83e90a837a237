"""Names and free text: NFC, nothing invisible or direction-changing, no look-alike names.

Against a real hub: what other parties will read (a bidder's organisation name, a tender's
title and lots, objections and answers) is stored composed (NFC), and a character that
cannot be seen or that reorders the text around it is refused with `text_refused`. A name
that differs from a registered one only in what the eye cannot tell is refused with
`name_looks_taken`; the very same name again is allowed (a company's new keys).
"""

from __future__ import annotations

import json
import unicodedata

import aiohttp
import pytest
from hubtesting import HubApi

from bidopen.session.text import look_alike_key, refused_character
from bidseal import generate_keys
from hubprocess import HubProcess

REAL = "华夏建设集团有限公司"
HOSTILE = {
    "right-to-left override": "华夏建设\u202e司公限有",
    "zero-width space": REAL + "\u200b",
    "zero-width joiner": "华夏\u200d建设",
    "left-to-right isolate": "\u2066华夏建设\u2069",
    "byte order mark": "\ufeff华夏建设",
    "line separator": "华夏\u2028建设",
    "bell": "华夏\x07建设",
    "Hangul filler": "华夏\u3164建设",
    "variation selector": "华夏\ufe0f建设",
    "private use": "华夏\ue000建设",
}
LOOK_ALIKES = {
    "full-width letters": ("Huaxia 建设有限公司", "Ｈｕａｘｉａ 建设有限公司"),
    "Cyrillic a": ("Huaxia Construction", "Huaxiа Construction"),
    "extra spaces": ("华夏建设集团有限公司", "华夏建设 集团有限公司"),
    "case": ("ABC Engineering Ltd", "abc engineering ltd"),
    "digit for letter": ("Lianhe 1st Build", "Lianhe lst Build"),
    "ideographic zero": ("第〇建设公司", "第○建设公司"),
}


def _registration(name: str) -> dict[str, object]:
    keys = generate_keys()
    return {
        "org_name": name,
        "contact": "联系人",
        "public_bundle": json.loads(keys.public.to_json()),
    }


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_each_hostile_character_is_refused(kind: str) -> None:
    assert refused_character(HOSTILE[kind]) is not None


@pytest.mark.parametrize("kind", sorted(LOOK_ALIKES))
def test_look_alikes_share_a_key(kind: str) -> None:
    real, copy = LOOK_ALIKES[kind]
    assert real != copy and look_alike_key(real) == look_alike_key(copy)


def test_different_names_keep_different_keys() -> None:
    names = ["华夏建设集团有限公司", "华夏建设有限公司", "公司01", "公司10", "公司02", "甲", "乙"]
    assert len({look_alike_key(n) for n in names}) == len(names)


async def test_the_hub_refuses_hidden_characters_and_look_alikes(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession
) -> None:
    api = HubApi(hub_client)
    for kind, name in HOSTILE.items():
        status, body = await api.call("POST", "/api/bidders", json=_registration(name))
        # The body's declared schema already refuses C0 controls in a name.
        expected = "validation_failed" if kind == "bell" else "text_refused"
        assert (status, body["error"]["code"]) == (422, expected), kind

    decomposed = unicodedata.normalize("NFD", "Société Générale Génie Civil")
    _, made = await api.call("POST", "/api/bidders", json=_registration(decomposed), expect=201)
    for kind, (real, copy) in LOOK_ALIKES.items():
        await api.call("POST", "/api/bidders", json=_registration(real), expect=201)
        status, body = await api.call("POST", "/api/bidders", json=_registration(copy))
        assert (status, body["error"]["code"]) == (409, "name_looks_taken"), kind
        # The same name again is a company registering new keys.
        await api.call("POST", "/api/bidders", json=_registration(real), expect=201)

    # Stored composed: the composed spelling is the same name, not a look-alike of it.
    status, body = await api.call(
        "POST", "/api/bidders", json=_registration(unicodedata.normalize("NFC", decomposed))
    )
    assert status == 201 and made["bidder_id"] != body["bidder_id"]

    # Free text of the host: the title, a lot's name, a reason, an answer.
    await api.login_host(hub_process.host_user, hub_process.host_password)
    tender = await api.create_tender()
    for field, value in (
        ("title", "某某道路\u202e程工造改"),
        ("lots", [{"id": "1", "name": "标段\u200b一"}]),
    ):
        body = {
            "title": "某某道路改造工程",
            "lots": [{"id": "1", "name": "一标段"}],
            "deadline": tender["deadline"],
            field: value,
        }
        status, answer = await api.call("POST", "/api/tenders", headers=api.host_auth, json=body)
        assert (status, answer["error"]["code"]) == (422, "text_refused"), field
        # The refusal names the member, so a form can mark its control.
        assert answer["error"]["field"] == {"title": "title", "lots": "lots[0].name"}[field]
    status, answer = await api.host(
        tender["id"],
        "reschedule",
        {"deadline": tender["deadline"], "reason": "延期\u202e"},
        expect=None,
    )
    assert (status, answer["error"]["code"]) == (422, "text_refused")
    # A line feed is a paragraph, not a hidden character.
    await api.host(tender["id"], "abort", {"reason": "第一段\r\n第二段"}, expect=200)
    events = await api.events(tender["id"])
    assert events[-1]["data"]["reason"] == "第一段\n第二段"
