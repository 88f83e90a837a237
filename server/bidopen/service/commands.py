"""Host and bidder commands from their wire form: the name in the URL and a declared body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bidopen.errors import HubError, from_session_error
from bidopen.session import commands as c
from bidopen.session import state_readout_sha256
from bidopen.session.errors import SessionError
from bidopen.session.state import OpeningSession
from bidopen.session.validate import as_utc
from bidopen.session.values import Actor
from bidopen.wire import bodies as b
from bidseal.statements import (
    confirmation_message,
    objection_message,
    result_objection_message,
    verify_statement,
)

_BUILDERS: dict[str, Callable[[Actor, Any], c.Command]] = {
    "start_decryption": lambda a, _: c.StartDecryption(actor=a),
    "decide_quorum": lambda a, body: c.DecideQuorum(
        actor=a, lot=body.lot, choice=body.choice, reason=body.reason
    ),
    "extend_decryption": lambda a, body: c.ExtendDecryption(
        actor=a, seconds=body.seconds, reason=body.reason
    ),
    "pause": lambda a, body: c.Pause(actor=a, reason=body.reason),
    "resume": lambda a, _: c.Resume(actor=a),
    "record_platform_fault": lambda a, body: c.RecordPlatformFault(
        actor=a, bidder=body.bidder, reason=body.reason
    ),
    "answer_objection": lambda a, body: c.AnswerObjection(
        actor=a, objection_id=body.objection_id, text=body.text
    ),
    "close_confirmation": lambda a, _: c.CloseConfirmation(actor=a),
    "abort": lambda a, body: c.Abort(actor=a, reason=body.reason),
    "reschedule": lambda a, body: c.Reschedule(
        actor=a, deadline=as_utc(body.deadline), reason=body.reason
    ),
    "set_evaluation_stage": lambda a, body: c.SetEvaluationStage(actor=a, stage=body.stage),
    "answer_result_objection": lambda a, body: c.AnswerResultObjection(
        actor=a, objection_id=body.objection_id, text=body.text
    ),
}

# Commands the service layer builds itself, because they need private tables or signing.
SPECIAL = ("close_decryption", "publish_record", "publish_result")
HOST_COMMANDS: tuple[str, ...] = (*_BUILDERS, *SPECIAL)
assert set(HOST_COMMANDS) == set(b.HOST_COMMAND_BODIES), "every host command declares its body"


def host_command(actor: Actor, name: str, body: b.Body) -> c.Command:
    """The command `name` with the fields of its declared body."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise HubError("not_found", f"No host command {name!r}.")
    try:
        return builder(actor, body)
    except SessionError as exc:
        raise from_session_error(exc) from exc


def bidder_command(
    actor: Actor, name: str, body: b.Body, state: OpeningSession, signing_key: bytes
) -> c.Command:
    """A bidder's command about itself (`confirm`, `object`, `object_to_result`); each is
    signed, checked against the bidder's registered signing key over what it says in this
    session (`state`)."""
    try:
        if isinstance(body, b.RaiseObjection) and name == "object":
            message = objection_message(state.tender_id, actor.id, body.lot, body.nonce, body.text)
            _check_signed(signing_key, message, body.signature)
            return c.RaiseObjection(
                actor=actor,
                bidder=actor.id,
                lot=body.lot,
                text=body.text,
                nonce=body.nonce,
                signature=body.signature,
            )
        if isinstance(body, b.Confirm) and name == "confirm":
            digest = state_readout_sha256(state)
            _check_signed(
                signing_key, confirmation_message(state.tender_id, actor.id, digest), body.signature
            )
            return c.Confirm(actor=actor, bidder=actor.id, signature=body.signature)
        if isinstance(body, b.RaiseResultObjection) and name == "object_to_result":
            message = result_objection_message(
                state.tender_id, actor.id, body.lot, body.nonce, body.text
            )
            _check_signed(signing_key, message, body.signature)
            return c.RaiseResultObjection(
                actor=actor,
                bidder=actor.id,
                lot=body.lot,
                text=body.text,
                nonce=body.nonce,
                signature=body.signature,
            )
    except SessionError as exc:
        raise from_session_error(exc) from exc
    raise HubError("not_found", f"No bidder command {name!r}.")


def _check_signed(signing_key: bytes, message: bytes, signature: str) -> None:
    if not signature:
        raise HubError(
            "signature_invalid",
            "The bidder's signature is missing.",
            "缺少投标人签名。",
            field="signature",
        )
    if not verify_statement(signing_key, message, signature):
        raise HubError(
            "signature_invalid",
            "The signature is not the bidder's over this statement.",
            "签名不是该投标人对本声明的签名。",
            field="signature",
        )
