"""The one error of the log's pure core: a proof, note, tile or path that does not hold."""

from __future__ import annotations


class LogError(ValueError):
    """Something read from or about the log does not verify; the message says exactly what."""
