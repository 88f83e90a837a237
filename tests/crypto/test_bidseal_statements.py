"""The bidder's statements as docs/protocol.md 5.2.1 spells them: each domain string its own,
the canonical JSON of what is said; the browser's twin is held to the same bytes
(client_web/test/bundle-verify.test.mjs)."""

from __future__ import annotations

from bidseal.keys import generate_keys
from bidseal.statements import (
    objection_message,
    result_objection_message,
    sign_statement,
    verify_statement,
)

RESULT_OBJECTION = "bidopen-result-objection/1\n" + (
    '{"bidder":"B1","lot":"1","nonce":"n0","session":"T1","text":"异议"}'
)


def test_an_objection_to_a_result_is_its_own_statement() -> None:
    message = result_objection_message("T1", "B1", "1", "n0", "异议")
    assert message == RESULT_OBJECTION.encode()
    keys = generate_keys()
    signature = sign_statement(keys, message)
    assert verify_statement(keys.public.signing_key, message, signature)
    # Not an objection at the opening with the same words, nor another text or lot.
    assert not verify_statement(
        keys.public.signing_key, objection_message("T1", "B1", "1", "n0", "异议"), signature
    )
    for changed in (("T1", "B1", "1", "n0", "撤回"), ("T1", "B1", "2", "n0", "异议")):
        assert not verify_statement(
            keys.public.signing_key, result_objection_message(*changed), signature
        )
