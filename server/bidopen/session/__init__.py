"""The pure opening-session core: commands in, events out, state folded from events."""

from . import commands, errors, events
from .decide import decide
from .events import Event, event_from_payload
from .evolve import evolve, replay
from .phases import Phase
from .record import NO_LEAVES, Leaves, build_record, state_readout_sha256
from .state import EMPTY, OpeningSession
from .views import bidder_view, host_view, public_view

__all__ = [
    "EMPTY",
    "NO_LEAVES",
    "Event",
    "Leaves",
    "OpeningSession",
    "Phase",
    "bidder_view",
    "build_record",
    "commands",
    "decide",
    "errors",
    "event_from_payload",
    "events",
    "evolve",
    "host_view",
    "public_view",
    "replay",
    "state_readout_sha256",
]
