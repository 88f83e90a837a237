"""Errors the session core raises, each with a stable code the app maps to HTTP and sockets."""

from typing import ClassVar


class SessionError(Exception):
    """Base of every error of the session core; `code` is stable and part of the API."""

    code: ClassVar[str] = "session_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalInPhase(SessionError):
    """The command is not accepted in the phase the session is in (the message names it)."""

    code = "illegal_in_phase"

    def __init__(self, command: str, phase: str, detail: str = "") -> None:
        suffix = f": {detail}" if detail else ""
        super().__init__(f'Cannot handle {command} in phase "{phase}"{suffix}')
        self.command = command
        self.phase = phase


class NotPermitted(SessionError):
    """The actor may not send this command (wrong role, another host, another bidder, no bid)."""

    code = "not_permitted"


class InvalidArgument(SessionError):
    """A field of the command is malformed or out of range; nothing was changed.

    `field` names the field when the check knows it, so the wire error can name it too.
    """

    code = "invalid_argument"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownBid(SessionError):
    """The bidder has no bid in the named lot of this session."""

    code = "unknown_bid"


class LotStopped(SessionError):
    """The lot was stopped at the quorum decision and takes no further part."""

    code = "lot_stopped"


class NotSignedIn(SessionError):
    """The bidder must sign in to the session before it decrypts, confirms or objects."""

    code = "not_signed_in"


class TenderedByLaw(SessionError):
    """A lot of a project that must be tendered by law (依法必须招标) with fewer than three
    bids may not be opened (实施条例 art. 44): it can only be stopped and re-tendered."""

    code = "tendered_by_law"


class AlreadyDecrypted(SessionError):
    """The bid was already decrypted; a data key is handed over once."""

    code = "already_decrypted"


class DecryptionIncomplete(SessionError):
    """The host may close decryption early only once every live bid is decrypted."""

    code = "decryption_incomplete"


class WindowClosed(SessionError):
    """The decryption or confirmation window has ended; the scheduler's tick will close it."""

    code = "window_closed"


class SessionPaused(SessionError):
    """The host paused the session; this command waits until it resumes."""

    code = "session_paused"


class NotPaused(SessionError):
    """Resume was sent but the session is not paused."""

    code = "not_paused"


class AlreadyConfirmed(SessionError):
    """The bidder already confirmed the opening record."""

    code = "already_confirmed"


class ConfirmationIncomplete(SessionError):
    """The host may close confirmation early only once every participating bidder confirmed."""

    code = "confirmation_incomplete"


class ObjectionUnknown(SessionError):
    """No objection with this id was raised in this session."""

    code = "objection_unknown"


class ObjectionAlreadyAnswered(SessionError):
    """The objection already has its answer; answers are part of the record and final."""

    code = "objection_already_answered"


class ObjectionRepeated(SessionError):
    """The bidder already raised an objection under this nonce: a replay, not a new one."""

    code = "objection_repeated"


class ObjectionsUnanswered(SessionError):
    """The record cannot be published while an objection has no answer."""

    code = "objections_unanswered"


class ResultNotPublished(SessionError):
    """The lot has no published result (yet) to object to."""

    code = "result_not_published"


class PublicityOver(SessionError):
    """The result's publicity period has ended; objections to it are no longer taken."""

    code = "publicity_over"


class EventRejected(SessionError):
    """An event cannot follow the state (a corrupt or misordered log): a bug, not a user error."""

    code = "event_rejected"


class MalformedEvent(SessionError):
    """A stored event payload does not decode to its kind (unknown kind, missing or bad field)."""

    code = "malformed_event"


ERROR_TYPES: tuple[type[SessionError], ...] = (
    IllegalInPhase,
    NotPermitted,
    InvalidArgument,
    UnknownBid,
    LotStopped,
    TenderedByLaw,
    NotSignedIn,
    AlreadyDecrypted,
    DecryptionIncomplete,
    WindowClosed,
    SessionPaused,
    NotPaused,
    AlreadyConfirmed,
    ConfirmationIncomplete,
    ObjectionUnknown,
    ObjectionAlreadyAnswered,
    ObjectionRepeated,
    ObjectionsUnanswered,
    ResultNotPublished,
    PublicityOver,
    EventRejected,
    MalformedEvent,
)

# Every code the core can raise, in one place for the app's error mapping and its docs.
ERROR_CODES: tuple[str, ...] = tuple(error.code for error in ERROR_TYPES)
