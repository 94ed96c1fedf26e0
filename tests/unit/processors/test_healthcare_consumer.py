"""The healthcare consumer (Lambda) against a real PostgreSQL, with the audit log group in moto CloudWatch Logs."""

from __future__ import annotations

import base64
import io
import json
import runpy
import traceback
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pg8000.native
import pytest

from stacks.healthcare_pipeline.consumer import patient_events

AUDIT_GROUP = "/healthcare/audit-test"
AUDIT_STREAM = "patient-consumer"
FUNCTION_ARN = "arn:aws:lambda:eu-west-2:123456789012:function:patient-consumer"
CONTEXT = SimpleNamespace(invoked_function_arn=FUNCTION_ARN, aws_request_id="req-1")


@pytest.fixture
def environment(db_env: dict[str, str], aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The function's environment, a cold start, and the audit log group (the stream is the consumer's to create)."""
    boto3.client("logs").create_log_group(logGroupName=AUDIT_GROUP)
    environment = {**db_env, "AUDIT_LOG_GROUP": AUDIT_GROUP, "AUDIT_LOG_STREAM": AUDIT_STREAM}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(patient_events, "_connection", None)
    monkeypatch.setattr(patient_events, "_logs_client", None)
    yield environment
    if patient_events._connection is not None:
        patient_events._connection.close()


def patient_event(number: int, **overrides: Any) -> dict[str, Any]:
    return {
        "event_id": f"evt-{number}",
        "patient_id": f"NHS-943-476-{number:04d}",
        "event_type": "lab-result-hba1c",
        "occurred_at": "2026-12-07T09:30:00+00:00",
        "name": f"Ada Lovelace-{number}",
        "date_of_birth": "1815-12-10",
        "diagnosis": "type 2 diabetes mellitus",
        "result": {"hba1c_micromol_mol": 487_301 + number},
        **overrides,
    }


def kinesis_record(item: Any, sequence: int) -> dict[str, Any]:
    data = item if isinstance(item, bytes) else json.dumps(item).encode()
    return {
        "eventID": f"shardId-000000000000:{sequence}",
        "eventSource": "aws:kinesis",
        "kinesis": {
            "data": base64.b64encode(data).decode(),
            "partitionKey": "p",
            "sequenceNumber": str(sequence),
            "approximateArrivalTimestamp": 1_796_637_600.0,
        },
    }


def batch(items: list[Any], first_sequence: int = 1000) -> dict[str, Any]:
    return {"Records": [kinesis_record(item, first_sequence + index) for index, item in enumerate(items)]}


def audit_lines() -> list[dict[str, Any]]:
    events = boto3.client("logs").get_log_events(logGroupName=AUDIT_GROUP, logStreamName=AUDIT_STREAM)["events"]
    return [json.loads(event["message"]) for event in events]


def stored_ids(db: pg8000.native.Connection) -> list[str]:
    return [row[0] for row in db.run("SELECT event_id FROM patient_events ORDER BY event_id")]


def patient_values(item: dict[str, Any]) -> list[str]:
    """Every value of a patient event but its id, as text (nested values included)."""
    values: list[str] = []
    for key, value in item.items():
        if key == "event_id":
            continue
        values.extend(patient_values(value) if isinstance(value, dict) else [str(value)])
    return values


def test_each_patient_event_becomes_one_row_and_one_audit_event(environment: dict[str, str], db: Any) -> None:
    items = [patient_event(number) for number in range(5)]
    assert patient_events.handler(batch(items), CONTEXT) == {"stored": 5, "duplicates": 0}
    assert stored_ids(db) == [f"evt-{number}" for number in range(5)]
    lines = audit_lines()
    assert [line["what"]["event_id"] for line in lines] == [f"evt-{number}" for number in range(5)]
    assert {line["what"]["action"] for line in lines} == {"insert"}
    assert {line["what"]["table"] for line in lines} == {"patient_events"}
    assert lines[0]["who"] == {"function": FUNCTION_ARN, "request_id": "req-1"}
    assert lines[0]["what"]["sequence_number"] == "1000" and lines[0]["what"]["shard_id"] == "shardId-000000000000"
    assert lines[0]["when"].endswith("+00:00")
    payload = db.run("SELECT payload FROM patient_events WHERE event_id = 'evt-3'")[0][0]
    assert payload == items[3]


def test_the_audit_event_carries_no_patient_field(environment: dict[str, str]) -> None:
    items = [patient_event(number) for number in range(3)]
    patient_events.handler(batch(items), CONTEXT)
    lines = audit_lines()
    assert len(lines) == 3
    for item, line in zip(items, lines, strict=True):
        text = json.dumps(line)
        assert set(line) == {"who", "what", "when"}
        assert set(line["what"]) == {"action", "table", "event_id", "shard_id", "sequence_number"}
        leaked = [value for value in patient_values(item) if value in text]
        assert leaked == [], f"audit event holds patient values {leaked}: {text}"


def test_a_redelivered_batch_stores_nothing_twice_and_audits_the_duplicates(
    environment: dict[str, str], db: Any
) -> None:
    event = batch([patient_event(1), patient_event(2)])
    patient_events.handler(event, CONTEXT)
    assert patient_events.handler(event, CONTEXT) == {"stored": 0, "duplicates": 2}
    assert stored_ids(db) == ["evt-1", "evt-2"]
    assert [line["what"]["action"] for line in audit_lines()] == ["insert"] * 2 + ["duplicate-ignored"] * 2


def run_like_the_event_source_mapping(event: dict[str, Any]) -> list[tuple[str, str]]:
    """What a Kinesis event source mapping with bisect-on-error does with a failing batch: split it in halves until
    each failing record is alone; returns what reaches the on-failure destination (sequence number, reason)."""
    records = event["Records"]
    try:
        patient_events.handler({"Records": records}, CONTEXT)
        return []
    except patient_events.PoisonRecordError as error:
        if len(records) == 1:
            return [(records[0]["kinesis"]["sequenceNumber"], str(error))]
        middle = len(records) // 2
        return run_like_the_event_source_mapping({"Records": records[:middle]}) + run_like_the_event_source_mapping(
            {"Records": records[middle:]}
        )


def test_a_poison_record_is_isolated_to_the_on_failure_destination_with_its_reason_and_the_rest_are_written(
    environment: dict[str, str], db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    items: list[Any] = [patient_event(number) for number in range(7)]
    items[4] = patient_event(4, occurred_at="07/12/2026 09:30")
    failed = run_like_the_event_source_mapping(batch(items))
    assert failed == [("1004", "record 1004: occurred_at missing or not ISO 8601 with a time zone")]
    assert stored_ids(db) == [f"evt-{number}" for number in range(7) if number != 4]
    assert any("record 1004: occurred_at" in message for message in caplog.messages)
    assert "07/12/2026" not in caplog.text


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (b"\xff\xfe not json", "data is not base64-encoded UTF-8 JSON"),
        (["a", "list"], "data is a JSON list, not an object"),
        ({"event_id": "e", "patient_id": "p", "occurred_at": "2026-12-07T09:30:00Z"}, "event_type missing"),
        (patient_event(1, patient_id=""), "patient_id missing"),
        (patient_event(1, name="Ada\x00Lovelace"), "a value holds a NUL character"),
    ],
)
def test_a_poison_record_fails_its_batch_naming_the_field_never_the_value(
    environment: dict[str, str], db: Any, item: Any, reason: str
) -> None:
    with pytest.raises(patient_events.PoisonRecordError, match=reason) as raised:
        patient_events.handler(batch([patient_event(0), item]), CONTEXT)
    assert "Lovelace" not in str(raised.value)
    assert db.run("SELECT to_regclass('patient_events') IS NULL OR NOT EXISTS (SELECT 1 FROM patient_events)")[0][0]


def test_a_row_the_database_refuses_fails_the_batch_with_its_code_and_no_value(
    environment: dict[str, str], db: Any
) -> None:
    patient_events.handler(batch([patient_event(0)]), CONTEXT)
    db.run("ALTER TABLE patient_events ADD CONSTRAINT no_withdrawn CHECK (event_type <> 'consent-withdrawn')")
    with pytest.raises(patient_events.PoisonRecordError) as raised:
        patient_events.handler(batch([patient_event(1, event_type="consent-withdrawn")], 2000), CONTEXT)
    shown = "".join(traceback.format_exception(raised.value))
    assert "refused by the database (SQLSTATE 23514)" in shown
    assert not [value for value in patient_values(patient_event(1)) if value in shown]
    assert stored_ids(db) == ["evt-0"]
    assert len(audit_lines()) == 1


def test_credentials_come_from_the_rds_secret_and_tls_is_verified(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    secret = json.dumps({"username": environment["DB_USER"], "password": environment["DB_PASSWORD"]})
    arn = boto3.client("secretsmanager").create_secret(Name="rds-secret", SecretString=secret)["ARN"]
    monkeypatch.delenv("DB_USER")
    monkeypatch.delenv("DB_PASSWORD")
    monkeypatch.setenv("DB_SECRET_ARN", arn)
    patient_events.handler(batch([patient_event(1)]), CONTEXT)
    connection = patient_events._connection
    assert connection is not None
    assert connection.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0][0] is True
    assert stored_ids(db) == ["evt-1"]


def test_a_lost_connection_is_replaced_on_the_next_invocation(environment: dict[str, str], db: Any) -> None:
    patient_events.handler(batch([patient_event(1)]), CONTEXT)
    first = patient_events._connection
    assert first is not None
    first.close()
    with pytest.raises(patient_events.database.ConnectionLostError):
        patient_events.handler(batch([patient_event(2)], 2000), CONTEXT)
    assert patient_events._connection is None
    patient_events.handler(batch([patient_event(2)], 2000), CONTEXT)
    assert stored_ids(db) == ["evt-1", "evt-2"]


def test_the_consumer_runs_as_a_plain_process_on_an_event_from_stdin(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(batch([patient_event(1)]))))
    runpy.run_module("stacks.healthcare_pipeline.consumer", run_name="__main__")
    assert json.loads(capsys.readouterr().out) == {"stored": 1, "duplicates": 0}
