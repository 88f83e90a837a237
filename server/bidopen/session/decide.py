"""decide(state, command, now) -> events: the pure rules of an opening session."""

from datetime import datetime

from . import commands as c
from . import confirmation, decryption, evaluation, publicity, scheduling
from .events import Event
from .permissions import authorize
from .phases import Phase
from .state import OpeningSession
from .validate import as_utc


def decide(state: OpeningSession, command: c.Command, now: datetime) -> list[Event]:
    """The events that `command` causes at `now`; raises a SessionError and decides nothing."""
    now = as_utc(now)
    authorize(state, command)
    match command:
        case c.ScheduleSession():
            return scheduling.schedule(command, now)
        case c.Reschedule():
            return scheduling.reschedule(state, command, now)
        case c.Abort():
            return scheduling.abort(state, command, now)
        case c.Tick():
            return _tick(state, command, now)
        case c.DecideQuorum():
            return scheduling.decide_quorum(state, command, now)
        case c.StartDecryption():
            return decryption.start(state, now)
        case c.SignIn():
            return decryption.sign_in(state, command, now)
        case c.RecordDecryption():
            return decryption.record_decryption(state, command, now)
        case c.RecordDecryptionFailure():
            return decryption.record_failure(state, command, now)
        case c.ExtendDecryption():
            return decryption.extend(state, command, now)
        case c.RecordPlatformFault():
            return decryption.record_fault(state, command, now)
        case c.Pause():
            return decryption.pause(state, command, now)
        case c.Resume():
            return decryption.resume(state, now)
        case c.CloseDecryption():
            return decryption.close_by_host(state, command, now)
        case c.Confirm():
            return confirmation.confirm(state, command, now)
        case c.RaiseObjection():
            return confirmation.raise_objection(state, command, now)
        case c.AnswerObjection():
            return confirmation.answer_objection(state, command, now)
        case c.CloseConfirmation():
            return confirmation.close_by_host(state, now)
        case c.PublishRecord():
            return confirmation.publish_record(state, command, now)
        case c.SetEvaluationStage():
            return evaluation.set_stage(state, command, now)
        case c.PublishResult():
            return evaluation.publish_result(state, command, now)
        case c.RaiseResultObjection():
            return publicity.raise_objection(state, command, now)
        case c.AnswerResultObjection():
            return publicity.answer_objection(state, command, now)
    raise TypeError(f"no rule for {type(command).__name__}")


def _tick(state: OpeningSession, tick: c.Tick, now: datetime) -> list[Event]:
    """What is due at `now`; [] (not an error) when nothing is, so double ticks are harmless."""
    if state.paused:
        return []
    if state.phase is Phase.SCHEDULED:
        return scheduling.pass_deadline(state, tick, now)
    if state.phase is Phase.DECRYPTION:
        return decryption.close_on_tick(state, tick, now)
    if state.phase is Phase.CONFIRMATION:
        return confirmation.close_on_tick(state, now)
    return []
