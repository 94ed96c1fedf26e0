"""``python -m constructs_lib.report``: see :mod:`constructs_lib.report.cli`."""

import sys

from constructs_lib.report.cli import main

sys.exit(main())
