"""``python -m scripts.deployer``: see :mod:`scripts.deployer`."""

import sys

from scripts.deployer.cli import main

sys.exit(main())
