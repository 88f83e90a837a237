"""`bidopen simulate`: a whole opening with simulated bidders and a crowd of public viewers."""

from bidopen.simulate.command import register

__all__ = ["register"]
