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


# No command but a harmless Tick is accepted in these phases.
TERMINAL_PHASES = frozenset({Phase.RESULT_PUBLISHED, Phase.STOPPED, Phase.ABORTED})

# Windows that a host may pause and that end with a Tick.
TIMED_PHASES = frozenset({Phase.DECRYPTION, Phase.CONFIRMATION})
