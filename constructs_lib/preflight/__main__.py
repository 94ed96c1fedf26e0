"""``python -m constructs_lib.preflight``: see :mod:`constructs_lib.preflight.cli`."""

import sys

from constructs_lib.preflight.cli import main

sys.exit(main())
