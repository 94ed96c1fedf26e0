"""Telemetry readings: decoding a Kinesis record into a reading, and storing a page of readings with one statement.

A reading is a JSON object with ``reading_id`` and ``device_id`` (non-empty strings) and ``timestamp`` (ISO 8601
with a time zone, or seconds since the epoch); every other field is kept as it came, in ``payload``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stacks.processing.database import Connection, insert_isolating_refusals, server_message
from stacks.processing.fields import InvalidFieldError, epoch_microseconds, identifier, json_object
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


class InvalidReadingError(InvalidFieldError):
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
        payload = json_object(record["Data"])
        return Reading(
            reading_id=identifier(payload, "reading_id"),
            device_id=identifier(payload, "device_id"),
            measured_at_us=epoch_microseconds(payload.get("timestamp"), "timestamp"),
            payload=json.dumps(payload, separators=(",", ":")),
            record=record,
        )
    except InvalidFieldError as error:
        raise InvalidReadingError(str(error)) from error


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
