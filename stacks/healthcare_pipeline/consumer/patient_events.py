"""Patient events from Kinesis -> one row each in RDS PostgreSQL, and one audit event each in CloudWatch Logs.

Runs in Lambda (handler ``patient_events.handler``) in the isolated subnets, behind a Kinesis event source mapping
with bisect-on-error and an on-failure destination. A batch is all-or-nothing: every record is decoded first, then
the rows and the audit events are written in one transaction. A record that cannot be stored fails its batch; the
mapping bisects the batch until that record is alone, and then sends its position to the on-failure destination. The
reason is logged with the record's sequence number, naming the field at fault and never a patient value. Rows are
idempotent on ``event_id``: a redelivered record is audited as ``duplicate-ignored`` and stored once.

A patient event is a JSON object with ``event_id``, ``patient_id``, ``event_type`` (non-empty strings) and
``occurred_at`` (ISO 8601 with a time zone); the whole object is kept in ``payload``. An audit event holds who (the
function and request), what (action, table, event id, shard and sequence number) and when; never a patient field.

Environment:
    DB_HOST, DB_PORT, DB_NAME, DB_SECRET_ARN (or DB_USER + DB_PASSWORD, DB_CREDENTIALS), DB_CA_BUNDLE
        the database, see ``stacks.processing.database``; DB_CA_BUNDLE may be relative to this file
    AUDIT_LOG_GROUP     the audit log group (required)
    AUDIT_LOG_STREAM    the stream in it to write to (required; created when missing)
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.processing import database
from stacks.processing.logs import log_event

TABLE = "patient_events"

PATIENT_EVENTS_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    event_id        TEXT PRIMARY KEY,
    patient_id      TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    payload         JSONB NOT NULL,
    shard_id        TEXT NOT NULL,
    sequence_number NUMERIC(128) NOT NULL,
    stored_at       TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

INSERT_SQL = f"""
INSERT INTO {TABLE} (event_id, patient_id, event_type, occurred_at, payload, shard_id, sequence_number)
SELECT event_id, patient_id, event_type, CAST(occurred_at AS TIMESTAMPTZ), CAST(payload AS JSONB), shard_id,
       CAST(sequence_number AS NUMERIC)
FROM unnest(CAST(:ids AS TEXT[]), CAST(:patients AS TEXT[]), CAST(:event_types AS TEXT[]), CAST(:times AS TEXT[]),
            CAST(:payloads AS TEXT[]), CAST(:shards AS TEXT[]), CAST(:sequences AS TEXT[]))
    AS batch (event_id, patient_id, event_type, occurred_at, payload, shard_id, sequence_number)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""

REQUIRED_TEXT_FIELDS = ("event_id", "patient_id", "event_type")
MAX_FIELD_LENGTH = 256
#: PutLogEvents takes at most 10,000 events (and 1 MB) per call; audit events are a few hundred bytes.
AUDIT_EVENTS_PER_CALL = 1000

_connection: database.Connection | None = None
_logs_client: Any = None


class PoisonRecordError(ValueError):
    """A record that cannot be stored: fails its batch so bisect-on-error isolates it. Names no patient value."""


@dataclass(frozen=True)
class PatientEvent:
    """A decoded patient event and where it sits in the stream."""

    event_id: str
    patient_id: str
    event_type: str
    occurred_at: str
    payload: str
    shard_id: str
    sequence_number: str


def decode(record: Mapping[str, Any]) -> PatientEvent:
    """The patient event in a Kinesis event record, or :class:`PoisonRecordError` naming the field at fault."""
    kinesis = record["kinesis"]
    sequence = kinesis["sequenceNumber"]
    try:
        event = json.loads(base64.b64decode(kinesis["data"], validate=True))
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors; their text may quote the data
        raise PoisonRecordError(f"record {sequence}: data is not base64-encoded UTF-8 JSON") from None
    if not isinstance(event, dict):
        raise PoisonRecordError(f"record {sequence}: data is a JSON {type(event).__name__}, not an object")
    for name in REQUIRED_TEXT_FIELDS:
        value = event.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_FIELD_LENGTH:
            raise PoisonRecordError(f"record {sequence}: {name} missing, empty, not text or over {MAX_FIELD_LENGTH}")
    if _holds_nul(event):
        raise PoisonRecordError(f"record {sequence}: a value holds a NUL character, which PostgreSQL cannot store")
    return PatientEvent(
        event_id=event["event_id"],
        patient_id=event["patient_id"],
        event_type=event["event_type"],
        occurred_at=_occurred_at(event.get("occurred_at"), sequence),
        payload=json.dumps(event, separators=(",", ":")),
        shard_id=record.get("eventID", "").split(":")[0],
        sequence_number=sequence,
    )


def _occurred_at(value: object, sequence: str) -> str:
    try:
        moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise PoisonRecordError(f"record {sequence}: occurred_at missing or not ISO 8601 with a time zone")
    return moment.isoformat()


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def create_table(connection: database.Connection) -> None:
    connection.run(PATIENT_EVENTS_DDL)


def insert(connection: database.Connection, events: Sequence[PatientEvent]) -> set[str]:
    """Insert the events (an event id already stored is skipped); the ids inserted now."""
    if not events:
        return set()
    try:
        rows = connection.run(
            INSERT_SQL,
            ids=[event.event_id for event in events],
            patients=[event.patient_id for event in events],
            event_types=[event.event_type for event in events],
            times=[event.occurred_at for event in events],
            payloads=[event.payload for event in events],
            shards=[event.shard_id for event in events],
            sequences=[event.sequence_number for event in events],
        )
    except database.DatabaseError as error:  # the server's message may quote a patient value: keep only its code
        span = f"{events[0].sequence_number}..{events[-1].sequence_number}"
        raise PoisonRecordError(f"records {span}: refused by the database ({database.sqlstate(error)})") from None
    return {row[0] for row in rows}


def audit_event(who: Mapping[str, str], action: str, event: PatientEvent, when: datetime.datetime) -> dict[str, Any]:
    """One audit event: who, what and when, built only from ids and positions (never from the payload)."""
    return {
        "who": dict(who),
        "what": {
            "action": action,
            "table": TABLE,
            "event_id": event.event_id,
            "shard_id": event.shard_id,
            "sequence_number": event.sequence_number,
        },
        "when": when.isoformat(timespec="milliseconds"),
    }


def write_audit(logs: Any, group: str, stream: str, audit_events: Sequence[dict[str, Any]]) -> None:
    """PutLogEvents to ``group``/``stream`` (created when missing), in calls of at most AUDIT_EVENTS_PER_CALL."""
    entries = [
        {
            "timestamp": int(datetime.datetime.fromisoformat(item["when"]).timestamp() * 1000),
            "message": json.dumps(item),
        }
        for item in audit_events
    ]
    for start in range(0, len(entries), AUDIT_EVENTS_PER_CALL):
        chunk = entries[start : start + AUDIT_EVENTS_PER_CALL]
        try:
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=chunk)
        except logs.exceptions.ResourceNotFoundException:
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):  # another invocation made it
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=chunk)


def _epoch_ms(moment: str) -> int:
    return int(datetime.datetime.fromisoformat(moment).timestamp() * 1000)


def store_batch(
    connection: database.Connection,
    logs: Any,
    environ: Mapping[str, str],
    records: Sequence[Mapping[str, Any]],
    who: Mapping[str, str],
) -> dict[str, int]:
    """Decode every record (a poison record stores nothing), then rows and audit events in one transaction."""
    try:
        events = [decode(record) for record in records]
    except PoisonRecordError as error:
        log_event("patient_record_rejected", logging.ERROR, reason=str(error))
        raise
    group, stream = database.required(environ, "AUDIT_LOG_GROUP"), database.required(environ, "AUDIT_LOG_STREAM")
    with database.transaction(connection):
        inserted = insert(connection, events)
        when = datetime.datetime.now(datetime.UTC)
        actions = ["insert" if event.event_id in inserted else "duplicate-ignored" for event in events]
        write_audit(logs, group, stream, [audit_event(who, a, e, when) for a, e in zip(actions, events, strict=True)])
    return {"stored": len(inserted), "duplicates": len(events) - len(inserted)}


def connect(environ: Mapping[str, str]) -> database.Connection:
    """A connection to the configured database, the table in place; a relative DB_CA_BUNDLE is read beside this file."""
    env = dict(environ)
    if env.get("DB_CA_BUNDLE") and not Path(env["DB_CA_BUNDLE"]).is_absolute():
        env["DB_CA_BUNDLE"] = str(Path(__file__).parent / env["DB_CA_BUNDLE"])
    connection = database.connect(env)
    create_table(connection)
    return connection


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, int]:
    """Lambda entry point for a Kinesis batch; the connection and the Logs client are kept between invocations."""
    global _connection, _logs_client
    if _logs_client is None:
        import boto3

        _logs_client = boto3.client("logs")
    if _connection is None:
        _connection = connect(os.environ)
    who = {
        "function": getattr(context, "invoked_function_arn", None) or os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""),
        "request_id": getattr(context, "aws_request_id", ""),
    }
    try:
        return store_batch(_connection, _logs_client, os.environ, event.get("Records", []), who)
    except database.ConnectionLostError:
        database.close(_connection)
        _connection = None  # the next invocation reconnects
        raise
