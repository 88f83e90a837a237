"""Host commands from their wire form: the name in the URL and a JSON body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bidopen.clock import parse_iso
from bidopen.errors import HubError
from bidopen.session import commands as c
from bidopen.session.errors import SessionError
from bidopen.session.values import Actor, EvaluationStage, QuorumChoice


def _f(body: dict[str, Any], name: str) -> Any:
    """A field as sent; the command's own checks give the clear error for a wrong one."""
    return body.get(name)


def _instant(value: object) -> Any:
    try:
        return parse_iso(value) if isinstance(value, str) else value
    except ValueError:
        return value


_BUILDERS: dict[str, Callable[[Actor, dict[str, Any]], c.Command]] = {
    "start_decryption": lambda a, b: c.StartDecryption(actor=a),
    "decide_quorum": lambda a, b: c.DecideQuorum(
        actor=a, lot=_f(b, "lot"), choice=QuorumChoice(_f(b, "choice")), reason=_f(b, "reason")
    ),
    "extend_decryption": lambda a, b: c.ExtendDecryption(
        actor=a, minutes=_f(b, "minutes"), reason=_f(b, "reason")
    ),
    "pause": lambda a, b: c.Pause(actor=a, reason=_f(b, "reason")),
    "resume": lambda a, b: c.Resume(actor=a),
    "record_platform_fault": lambda a, b: c.RecordPlatformFault(
        actor=a, bidder=_f(b, "bidder"), reason=_f(b, "reason")
    ),
    "answer_objection": lambda a, b: c.AnswerObjection(
        actor=a, objection_id=_f(b, "objection_id"), text=_f(b, "text")
    ),
    "close_confirmation": lambda a, b: c.CloseConfirmation(actor=a),
    "abort": lambda a, b: c.Abort(actor=a, reason=_f(b, "reason")),
    "reschedule": lambda a, b: c.Reschedule(
        actor=a, deadline=_instant(_f(b, "deadline")), reason=_f(b, "reason")
    ),
    "set_evaluation_stage": lambda a, b: c.SetEvaluationStage(
        actor=a, stage=EvaluationStage(_f(b, "stage"))
    ),
}

# Commands the service layer builds itself, because they need private tables or signing.
SPECIAL = ("close_decryption", "publish_record", "publish_result")
HOST_COMMANDS: tuple[str, ...] = (*_BUILDERS, *SPECIAL)


def host_command(actor: Actor, name: str, body: dict[str, Any]) -> c.Command:
    """The command `name` with fields from `body`; one clear error for a wrong field."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise HubError("not_found", f"No host command {name!r}.")
    try:
        return builder(actor, body)
    except SessionError as exc:
        raise HubError("validation_failed", str(exc)) from exc
    except ValueError as exc:
        raise HubError("validation_failed", f"{name}: {exc}") from exc
