"""Who may send each command, and in which phases: the rule table decide checks first."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from . import commands as c
from .errors import IllegalInPhase, NotPermitted, SessionPaused
from .phases import TERMINAL_PHASES, Phase
from .state import OpeningSession
from .values import Role


class Who(Enum):
    HOST = "a host of the session's organisation"
    NEW_HOST = "a host of the organisation named in the command"
    BIDDER = "the bidder named in the command, with a bid in this session"
    SYSTEM = "the system (scheduler)"
    HOST_OR_SYSTEM = "a host of the session's organisation or the system"


@dataclass(frozen=True)
class Rule:
    phases: frozenset[Phase]
    who: Who


# From the deadline until the confirmation window ends bidders may sign in and object.
_ROOM_OPEN = frozenset({Phase.QUORUM_DECISION, Phase.OPENING, Phase.DECRYPTION, Phase.CONFIRMATION})
_ABORTABLE = frozenset(Phase) - TERMINAL_PHASES - {Phase.UNSCHEDULED}
_TIMED = frozenset({Phase.DECRYPTION, Phase.CONFIRMATION})
_PUBLICITY = frozenset({Phase.EVALUATION, Phase.RESULT_PUBLISHED})


def _only(*phases: Phase) -> frozenset[Phase]:
    return frozenset(phases)


RULES: Mapping[type[c.Command], Rule] = {
    c.ScheduleSession: Rule(_only(Phase.UNSCHEDULED), Who.NEW_HOST),
    c.Reschedule: Rule(_only(Phase.SCHEDULED), Who.HOST),
    c.Abort: Rule(_ABORTABLE, Who.HOST),
    # A tick is harmless anywhere: racing schedulers and late ticks must not fail.
    c.Tick: Rule(frozenset(Phase), Who.SYSTEM),
    c.DecideQuorum: Rule(_only(Phase.QUORUM_DECISION), Who.HOST),
    c.StartDecryption: Rule(_only(Phase.OPENING), Who.HOST),
    # Before the deadline sign-ins live in a private table, never in the log.
    c.SignIn: Rule(_ROOM_OPEN, Who.BIDDER),
    c.RecordDecryption: Rule(_only(Phase.DECRYPTION), Who.BIDDER),
    c.RecordDecryptionFailure: Rule(_only(Phase.DECRYPTION), Who.BIDDER),
    c.ExtendDecryption: Rule(_only(Phase.DECRYPTION), Who.HOST),
    c.RecordPlatformFault: Rule(_only(Phase.DECRYPTION), Who.HOST_OR_SYSTEM),
    c.Pause: Rule(_TIMED, Who.HOST),
    c.Resume: Rule(_TIMED, Who.HOST),
    c.CloseDecryption: Rule(_only(Phase.DECRYPTION), Who.HOST),
    c.Confirm: Rule(_only(Phase.CONFIRMATION), Who.BIDDER),
    c.RaiseObjection: Rule(_ROOM_OPEN, Who.BIDDER),
    c.AnswerObjection: Rule(_ROOM_OPEN | {Phase.RECORD_DUE}, Who.HOST),
    c.CloseConfirmation: Rule(_only(Phase.CONFIRMATION), Who.HOST),
    c.PublishRecord: Rule(_only(Phase.RECORD_DUE), Who.HOST),
    c.SetEvaluationStage: Rule(_only(Phase.CLOSED, Phase.EVALUATION), Who.HOST),
    c.PublishResult: Rule(_only(Phase.EVALUATION), Who.HOST),
    # A lot's result is public for objections while other lots are still evaluated, and after.
    c.RaiseResultObjection: Rule(_PUBLICITY, Who.BIDDER),
    c.AnswerResultObjection: Rule(_PUBLICITY, Who.HOST),
}

# Commands that wait while the host has paused the session; objections and answers do not.
BLOCKED_WHILE_PAUSED: frozenset[type[c.Command]] = frozenset(
    {
        c.RecordDecryption,
        c.RecordDecryptionFailure,
        c.CloseDecryption,
        c.Confirm,
        c.CloseConfirmation,
        c.Pause,
    }
)


def authorize(state: OpeningSession, command: c.Command) -> None:
    """Raise unless the phase accepts the command and its actor may send it."""
    rule = RULES[type(command)]
    if state.phase not in rule.phases:
        raise IllegalInPhase(command.name, state.phase)
    if not _actor_fits(state, command, rule.who):
        raise NotPermitted(f"{command.name} may be sent only by {rule.who.value}")
    if state.paused and type(command) in BLOCKED_WHILE_PAUSED:
        raise SessionPaused(f"{command.name} waits until the host resumes the session")


def _actor_fits(state: OpeningSession, command: c.Command, who: Who) -> bool:
    actor = command.actor
    if who is Who.SYSTEM:
        return actor.role is Role.SYSTEM
    # A host actor's id is its organisation's: the same rule as bidopen.service.host_scope.
    if who is Who.HOST:
        return actor.role is Role.HOST and actor.id == state.organisation
    if who is Who.HOST_OR_SYSTEM:
        return actor.role is Role.SYSTEM or (
            actor.role is Role.HOST and actor.id == state.organisation
        )
    if who is Who.NEW_HOST:
        return isinstance(command, c.ScheduleSession) and (
            actor.role is Role.HOST and actor.id == command.organisation
        )
    return (
        isinstance(command, c.BidderCommand)
        and actor.role is Role.BIDDER
        and actor.id == command.bidder
        and command.bidder in state.bidders
    )
