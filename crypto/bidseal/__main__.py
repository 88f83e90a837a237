"""``python -m bidseal``: the sealed-bid commands without the rest of the platform."""

import sys

from bidseal.cli import main

sys.exit(main())
