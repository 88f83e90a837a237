"""The error codes are the API the app maps: unique, listed in one place, documented."""

import re

from session_kit import HOST, run_to

from bidopen.session import Phase, decide, errors
from bidopen.session import commands as c
from bidopen.session.errors import ERROR_CODES, ERROR_TYPES, IllegalInPhase, SessionError


def _subclasses(cls: type[SessionError]) -> set[type[SessionError]]:
    found: set[type[SessionError]] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_every_error_is_listed_once_with_a_unique_code() -> None:
    assert set(ERROR_TYPES) == _subclasses(SessionError)
    assert len(set(ERROR_CODES)) == len(ERROR_CODES) == len(ERROR_TYPES)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in ERROR_CODES)


def test_every_error_is_documented() -> None:
    for error in ERROR_TYPES:
        assert error.__doc__ and error.__doc__ != SessionError.__doc__, error.__name__
        assert error.__module__ == errors.__name__


def test_illegal_in_phase_names_the_phase_it_found() -> None:
    run = run_to(Phase.SCHEDULED)
    try:
        decide(run.state, c.StartDecryption(actor=HOST), run.now)
    except IllegalInPhase as error:
        assert str(error) == 'Cannot handle start_decryption in phase "scheduled"'
        assert (error.code, error.phase, error.command) == (
            "illegal_in_phase",
            "scheduled",
            "start_decryption",
        )
    else:
        raise AssertionError("start_decryption was accepted before the deadline")
