"""Telemetry readings: decoding a Kinesis record into a reading, and storing a page of readings with one statement.

A reading is a JSON object with ``reading_id`` and ``device_id`` (non-empty strings) and ``timestamp`` (ISO 8601
with a time zone, or seconds since the epoch); every other field is kept as it came, in ``payload``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stacks.processing.database import Connection, insert_isolating_refusals, server_message
from stacks.processing.shards import Rejected

READINGS_DDL = """
CREATE TABLE IF NOT EXISTS telemetry_readings (
    reading_id      TEXT PRIMARY KEY,
    device_id       TEXT NOT NULL,
    measured_at     TIMESTAMPTZ NOT NULL,
    payload         JSONB NOT NULL,
    shard_id        TEXT NOT NULL,
    sequence_number NUMERIC(128) NOT NULL,
    stored_at       TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

INSERT_READINGS_SQL = """
INSERT INTO telemetry_readings (reading_id, device_id, measured_at, payload, shard_id, sequence_number)
SELECT reading_id, device_id, to_timestamp(measured_at_us / 1e6), CAST(payload AS JSONB), :shard,
       CAST(sequence_number AS NUMERIC)
FROM unnest(CAST(:ids AS TEXT[]), CAST(:devices AS TEXT[]), CAST(:times AS BIGINT[]), CAST(:payloads AS TEXT[]),
            CAST(:sequences AS TEXT[])) AS page (reading_id, device_id, measured_at_us, payload, sequence_number)
ON CONFLICT (reading_id) DO NOTHING
"""

MAX_ID_LENGTH = 256
#: Readings from 1970 up to 2100: anything else is a device clock or encoding fault, not a measurement.
LATEST_TIMESTAMP = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC).timestamp()


class InvalidReadingError(ValueError):
    """A record that is not a reading; the message is the reason stored with it."""


@dataclass(frozen=True)
class Reading:
    """One decoded reading, and the Kinesis record it came from."""

    reading_id: str
    device_id: str
    measured_at_us: int
    payload: str
    record: dict[str, Any]


def decode(record: dict[str, Any]) -> Reading:
    """The reading in a Kinesis record (GetRecords shape), or :class:`InvalidReadingError` saying why not."""
    try:
        payload = json.loads(record["Data"])
    except ValueError as error:  # UnicodeDecodeError is a ValueError
        raise InvalidReadingError(f"not UTF-8 JSON: {error}") from error
    if not isinstance(payload, dict):
        raise InvalidReadingError(f"not a JSON object but {type(payload).__name__}")
    return Reading(
        reading_id=_identifier(payload, "reading_id"),
        device_id=_identifier(payload, "device_id"),
        measured_at_us=_epoch_microseconds(payload.get("timestamp")),
        payload=json.dumps(payload, separators=(",", ":")),
        record=record,
    )


def _identifier(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidReadingError(f"{name} missing or not a non-empty string")
    if len(value) > MAX_ID_LENGTH or "\x00" in value:
        raise InvalidReadingError(f"{name} longer than {MAX_ID_LENGTH} characters or holding a NUL character")
    return value


def _epoch_microseconds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidReadingError("timestamp missing or neither ISO 8601 text nor seconds since the epoch")
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError as error:
            raise InvalidReadingError(f"timestamp is not ISO 8601: {error}") from error
        if moment.tzinfo is None:
            raise InvalidReadingError("timestamp has no time zone")
        seconds = moment.timestamp()
    else:
        seconds = float(value)
    if not 0 <= seconds < LATEST_TIMESTAMP:
        raise InvalidReadingError("timestamp outside 1970-01-01 .. 2100-01-01")
    return round(seconds * 1_000_000)


def decode_page(records: Sequence[dict[str, Any]]) -> tuple[list[Reading], list[Rejected]]:
    """The readings of a page, and the records that are not readings with their reason."""
    readings: list[Reading] = []
    rejected: list[Rejected] = []
    for record in records:
        try:
            readings.append(decode(record))
        except InvalidReadingError as error:
            rejected.append(Rejected(record, str(error)))
    return readings, rejected


def create_table(connection: Connection) -> None:
    connection.run(READINGS_DDL)


def _insert(connection: Connection, shard_id: str, readings: Sequence[Reading]) -> None:
    connection.run(
        INSERT_READINGS_SQL,
        shard=shard_id,
        ids=[reading.reading_id for reading in readings],
        devices=[reading.device_id for reading in readings],
        times=[reading.measured_at_us for reading in readings],
        payloads=[reading.payload for reading in readings],
        sequences=[reading.record["SequenceNumber"] for reading in readings],
    )


def store(connection: Connection, shard_id: str, readings: Sequence[Reading]) -> tuple[list[Reading], list[Rejected]]:
    """Insert the readings (a reading already stored is skipped); returns the stored ones and those refused."""
    if not readings:
        return [], []
    stored, refused = insert_isolating_refusals(connection, readings, lambda conn, page: _insert(conn, shard_id, page))
    reasons = [
        Rejected(reading.record, f"refused by the database: {server_message(error)}") for reading, error in refused
    ]
    return stored, reasons
