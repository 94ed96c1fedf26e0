"""Ingest events from the Kinesis ingest stream: one row each, idempotent on ``event_id``.

An ingest event is a JSON object with ``event_id``, ``video_id`` and ``event_type`` (non-empty strings) and
``occurred_at`` (ISO 8601 with a time zone, or seconds since the epoch); the whole object is kept in ``payload``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stacks.processing import database
from stacks.processing.fields import InvalidFieldError, epoch_microseconds, identifier, json_object
from stacks.processing.shards import Rejected

INGEST_EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS ingest_events (
    event_id        TEXT PRIMARY KEY,
    video_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    payload         JSONB NOT NULL,
    shard_id        TEXT NOT NULL,
    sequence_number NUMERIC(128) NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

INSERT_EVENTS_SQL = """
INSERT INTO ingest_events (event_id, video_id, event_type, occurred_at, payload, shard_id, sequence_number)
SELECT event_id, video_id, event_type, to_timestamp(occurred_at_us / 1e6), CAST(payload AS JSONB), :shard,
       CAST(sequence_number AS NUMERIC)
FROM unnest(CAST(:ids AS TEXT[]), CAST(:videos AS TEXT[]), CAST(:kinds AS TEXT[]), CAST(:times AS BIGINT[]),
            CAST(:payloads AS TEXT[]), CAST(:sequences AS TEXT[]))
    AS page (event_id, video_id, event_type, occurred_at_us, payload, sequence_number)
ON CONFLICT (event_id) DO NOTHING
"""


@dataclass(frozen=True)
class IngestEvent:
    event_id: str
    video_id: str
    event_type: str
    occurred_at_us: int
    payload: str
    record: dict[str, Any]


def decode(record: dict[str, Any]) -> IngestEvent:
    """The ingest event in a Kinesis record (GetRecords shape), or :class:`InvalidFieldError` saying why not."""
    payload = json_object(record["Data"])
    return IngestEvent(
        event_id=identifier(payload, "event_id"),
        video_id=identifier(payload, "video_id"),
        event_type=identifier(payload, "event_type"),
        occurred_at_us=epoch_microseconds(payload.get("occurred_at"), "occurred_at"),
        payload=json.dumps(payload, separators=(",", ":")),
        record=record,
    )


def create_table(connection: database.Connection) -> None:
    connection.run(INGEST_EVENTS_DDL)


def apply_page(connection: database.Connection, shard_id: str, records: Sequence[dict[str, Any]]) -> list[Rejected]:
    """Store a page's events inside the reader's transaction; returns the records to dead-letter, with reasons."""
    events: list[IngestEvent] = []
    rejected: list[Rejected] = []
    for record in records:
        try:
            events.append(decode(record))
        except InvalidFieldError as error:
            rejected.append(Rejected(record, str(error)))
    if not events:
        return rejected

    def insert(conn: database.Connection, page: Sequence[IngestEvent]) -> None:
        conn.run(
            INSERT_EVENTS_SQL,
            shard=shard_id,
            ids=[event.event_id for event in page],
            videos=[event.video_id for event in page],
            kinds=[event.event_type for event in page],
            times=[event.occurred_at_us for event in page],
            payloads=[event.payload for event in page],
            sequences=[event.record["SequenceNumber"] for event in page],
        )

    _, refused = database.insert_isolating_refusals(connection, events, insert)
    reasons = [f"refused by the database: {database.server_message(error)}" for _, error in refused]
    return rejected + [Rejected(event.record, reason) for (event, _), reason in zip(refused, reasons, strict=True)]
