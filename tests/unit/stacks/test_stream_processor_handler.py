"""The stream processor's Lambda handler: decoding Kinesis records and writing them once, in one transaction.

These run without a database (a recording connection); tests/integration runs the same handler against a real
PostgreSQL server.
"""

from __future__ import annotations

import base64
import json
import ssl
from typing import Any

import pytest

from stacks.stream_processor.handler import processor


def kinesis_record(payload: object, sequence: str = "4959", raw: str | None = None) -> dict[str, Any]:
    data = raw if raw is not None else base64.b64encode(json.dumps(payload).encode()).decode()
    return {
        "eventSource": "aws:kinesis",
        "kinesis": {
            "data": data,
            "partitionKey": "device-7",
            "sequenceNumber": sequence,
            "approximateArrivalTimestamp": 1_700_000_000.25,
        },
    }


class RecordingConnection:
    def __init__(self, fail_on_insert: bool = False) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []
        self.fail_on_insert = fail_on_insert

    def run(self, sql: str, **params: Any) -> None:
        self.statements.append((sql.strip().split()[0], params))
        if self.fail_on_insert and sql.strip().startswith("INSERT"):
            raise RuntimeError("insert failed")


def test_record_is_decoded_into_a_row() -> None:
    row = processor.decode_record(kinesis_record({"temperature": 21.5}, sequence="1"))
    assert row == {
        "sequence_number": "1",
        "partition_key": "device-7",
        "payload": json.dumps({"temperature": 21.5}),
        "arrived_at": 1_700_000_000.25,
    }


@pytest.mark.parametrize("raw", ["not base64!", base64.b64encode(b"not json").decode()])
def test_record_that_is_not_base64_json_fails_the_batch(raw: str) -> None:
    with pytest.raises(processor.RecordDecodeError, match="record 4959 is not base64 JSON"):
        processor.decode_record(kinesis_record(None, raw=raw))


def test_batch_is_written_in_one_transaction() -> None:
    connection = RecordingConnection()
    stored = processor.store_records(connection, [kinesis_record({"a": 1}, "1"), kinesis_record({"a": 2}, "2")])
    assert stored == 2
    assert [verb for verb, _ in connection.statements] == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    assert connection.statements[2][1]["sequence_number"] == "2"


def test_poison_record_writes_nothing() -> None:
    connection = RecordingConnection()
    with pytest.raises(processor.RecordDecodeError):
        processor.store_records(connection, [kinesis_record({"a": 1}, "1"), kinesis_record(None, "2", raw="@@")])
    assert connection.statements == []


def test_failed_insert_rolls_back() -> None:
    connection = RecordingConnection(fail_on_insert=True)
    with pytest.raises(RuntimeError, match="insert failed"):
        processor.store_records(connection, [kinesis_record({"a": 1})])
    assert [verb for verb, _ in connection.statements] == ["BEGIN", "INSERT", "ROLLBACK"]


def test_insert_is_idempotent_on_the_sequence_number() -> None:
    assert "ON CONFLICT (sequence_number) DO NOTHING" in processor.INSERT_SQL


def test_tls_is_required_without_verification_when_no_ca_bundle_is_configured() -> None:
    context = processor._ssl_context({})
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


def test_a_ca_bundle_turns_on_verify_full() -> None:
    bundle = ssl.get_default_verify_paths().cafile or ssl.get_default_verify_paths().openssl_cafile
    context = processor._ssl_context({"DB_CA_BUNDLE": bundle})
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_handler_connects_once_and_reports_what_it_stored(monkeypatch) -> None:
    connection = RecordingConnection()
    connects: list[int] = []
    monkeypatch.setattr(processor, "_connection", None)
    monkeypatch.setattr(processor, "connect", lambda: connects.append(1) or connection)
    assert processor.handler({"Records": [kinesis_record({"a": 1})]}) == {"stored": 1}
    assert processor.handler({"Records": []}) == {"stored": 0}
    assert connects == [1]
