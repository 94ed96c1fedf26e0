"""``python -m scripts.emulator.images <docker arguments>``: see :mod:`scripts.emulator.images.cli`."""

import sys

from scripts.emulator.images.cli import main

sys.exit(main())
