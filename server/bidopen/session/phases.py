"""The phases an opening session passes through, in order."""

from enum import StrEnum


class Phase(StrEnum):
    """Where an opening session stands; the value is what the log and the pages show."""

    UNSCHEDULED = "unscheduled"
    SCHEDULED = "scheduled"
    QUORUM_DECISION = "quorum_decision"
    OPENING = "opening"
    DECRYPTION = "decryption"
    CONFIRMATION = "confirmation"
    RECORD_DUE = "record_due"
    CLOSED = "closed"
    EVALUATION = "evaluation"
    RESULT_PUBLISHED = "result_published"
    STOPPED = "stopped"
    ABORTED = "aborted"


# Nothing moves a session on from these phases; a harmless Tick is accepted, and after a
# published result the objections to it and their answers (during its publicity).
TERMINAL_PHASES = frozenset({Phase.RESULT_PUBLISHED, Phase.STOPPED, Phase.ABORTED})

# Windows that a host may pause and that end with a Tick.
TIMED_PHASES = frozenset({Phase.DECRYPTION, Phase.CONFIRMATION})
