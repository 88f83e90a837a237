"""`python -m bidopen`: the same as the `bidopen` command."""

import sys

from bidopen.cli import main

sys.exit(main())
