"""Checks for the fields of JSON records: identifiers and timestamps, each refusal a reason fit for a dead letter."""

from __future__ import annotations

import datetime
import json
from typing import Any

MAX_ID_LENGTH = 256
#: Times from 1970 up to 2100: anything else is a clock or encoding fault, not an event.
LATEST_TIMESTAMP = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC).timestamp()


class InvalidFieldError(ValueError):
    """A record that cannot be used; the message says why."""


def json_object(data: bytes | str) -> dict[str, Any]:
    """The JSON object in ``data``."""
    try:
        value = json.loads(data)
    except ValueError as error:  # UnicodeDecodeError is a ValueError
        raise InvalidFieldError(f"not UTF-8 JSON: {error}") from error
    if not isinstance(value, dict):
        raise InvalidFieldError(f"not a JSON object but {type(value).__name__}")
    return value


def identifier(payload: dict[str, Any], name: str) -> str:
    """``payload[name]`` as a non-empty string of at most MAX_ID_LENGTH characters without NUL."""
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidFieldError(f"{name} missing or not a non-empty string")
    if len(value) > MAX_ID_LENGTH or "\x00" in value:
        raise InvalidFieldError(f"{name} longer than {MAX_ID_LENGTH} characters or holding a NUL character")
    return value


def epoch_microseconds(value: object, name: str) -> int:
    """ISO 8601 text with a time zone, or seconds since the epoch, as microseconds since the epoch."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidFieldError(f"{name} missing or neither ISO 8601 text nor seconds since the epoch")
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError as error:
            raise InvalidFieldError(f"{name} is not ISO 8601: {error}") from error
        if moment.tzinfo is None:
            raise InvalidFieldError(f"{name} has no time zone")
        seconds = moment.timestamp()
    else:
        seconds = float(value)
    if not 0 <= seconds < LATEST_TIMESTAMP:
        raise InvalidFieldError(f"{name} outside 1970-01-01 .. 2100-01-01")
    return round(seconds * 1_000_000)
