"""Names shared by the report tests (a plain module: the test folders are not packages)."""

from __future__ import annotations

from collections.abc import Callable

from constructs_lib.model import Stack

PROFILES = ("dev", "prod")
#: The five reference systems, by their ``System`` tag.
SYSTEMS = ("iot-platform", "healthcare-pipeline", "stream-processor", "streamflix", "pci-platform")

#: The ``cfn`` / ``tf`` fixtures: build a small stack of either format from its resources.
CfnBuilder = Callable[..., Stack]
TfBuilder = Callable[..., Stack]
