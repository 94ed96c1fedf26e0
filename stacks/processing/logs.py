"""Structured log lines: one JSON object per event, so CloudWatch Logs Insights and metric filters can use fields."""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger("processor")


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``{"event": event, **fields}`` as one JSON line."""
    logger.log(level, json.dumps({"event": event, **fields}, default=str, sort_keys=True))


def configure_for_container() -> None:
    """Plain processes and containers: INFO and above to stderr, the message only (it is already JSON)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
