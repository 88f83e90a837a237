"""The hostile-party tests use the hub tests' helpers (tests/hub/hubtesting.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hub"))
