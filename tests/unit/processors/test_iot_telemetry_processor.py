"""The IoT telemetry processor against a real PostgreSQL and a real TLS Redis, reading a moto Kinesis stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pg8000.native
import pytest
import redis

from stacks.iot_platform.processor import __main__ as processor
from stacks.iot_platform.processor import device_state, readings

STREAM = "iot-telemetry-test"
SHARDS = 2


@pytest.fixture
def kinesis(aws: None) -> Any:
    client = boto3.client("kinesis")
    client.create_stream(StreamName=STREAM, ShardCount=SHARDS)
    return client


@pytest.fixture
def environment(db_env: dict[str, str], redis_env: dict[str, str]) -> dict[str, str]:
    return {**db_env, **redis_env, "STREAM_NAME": STREAM}


@pytest.fixture
def step(environment: dict[str, str], kinesis: Any) -> Iterator[processor.TelemetryStep]:
    built = processor.TelemetryStep.build(environment, kinesis)
    try:
        yield built
    finally:
        built.close()


def reading(number: int, device: str, second: int, **extra: Any) -> dict[str, Any]:
    return {
        "reading_id": f"r-{number}",
        "device_id": device,
        "timestamp": f"2026-12-07T10:00:{second:02d}+00:00",
        "temperature": 20 + number,
        **extra,
    }


def put(kinesis: Any, items: list[Any]) -> None:
    for index, item in enumerate(items):
        data = item if isinstance(item, bytes) else json.dumps(item).encode()
        key = item.get("device_id", str(index)) if isinstance(item, dict) else str(index)
        kinesis.put_record(StreamName=STREAM, Data=data, PartitionKey=str(key))


def drain(step: processor.TelemetryStep) -> int:
    """Poll until a poll handles nothing; the number of records handled."""
    total = 0
    while handled := step():
        total += handled
    return total


def row_ids(db: pg8000.native.Connection) -> list[str]:
    return [row[0] for row in db.run("SELECT reading_id FROM telemetry_readings ORDER BY reading_id")]


def dead_letters(db: pg8000.native.Connection) -> list[tuple[str, bytes]]:
    return [(row[0], bytes(row[1])) for row in db.run("SELECT reason, data FROM kinesis_dead_letters ORDER BY reason")]


def test_n_readings_from_every_shard_become_n_rows_and_each_device_keeps_its_latest_state(
    step: processor.TelemetryStep, kinesis: Any, db: pg8000.native.Connection, cache: redis.Redis
) -> None:
    devices = [f"device-{index}" for index in range(6)]
    items = [reading(number, devices[number % 6], number) for number in range(48)]
    put(kinesis, items)
    assert drain(step) == 48
    assert sorted(row_ids(db)) == sorted(f"r-{number}" for number in range(48))
    read_shards = {row[0] for row in db.run("SELECT shard_id FROM kinesis_checkpoints")}
    assert len(read_shards) == SHARDS
    for device in devices:
        newest = max((item for item in items if item["device_id"] == device), key=lambda item: item["timestamp"])
        latest = device_state.read_latest(cache, device)
        assert latest["reading_id"] == newest["reading_id"]
        assert json.loads(latest["reading"]) == newest


def test_a_restart_resumes_after_the_checkpoint_and_reapplies_nothing(
    environment: dict[str, str], kinesis: Any, step: processor.TelemetryStep, db: pg8000.native.Connection
) -> None:
    put(kinesis, [reading(number, "device-a", number) for number in range(10)])
    assert drain(step) == 10
    step.close()
    restarted = processor.TelemetryStep.build(environment, kinesis)
    try:
        assert drain(restarted) == 0
        put(kinesis, [reading(number, "device-a", number) for number in range(10, 13)])
        assert drain(restarted) == 3
    finally:
        restarted.close()
    assert len(row_ids(db)) == 13


def test_rows_and_checkpoint_commit_together_so_a_failed_page_is_read_again(
    step: processor.TelemetryStep, kinesis: Any, db: pg8000.native.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(kinesis, [reading(number, "device-b", number) for number in range(5)])

    def redis_down(*_: Any) -> int:
        raise redis.ConnectionError("cache unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(device_state, "update_latest", redis_down)
        with pytest.raises(redis.ConnectionError):
            step()
    assert row_ids(db) == []
    assert db.run("SELECT count(*) FROM kinesis_checkpoints WHERE sequence_number IS NOT NULL")[0][0] == 0
    assert drain(step) == 5
    assert len(row_ids(db)) == 5


def test_poison_records_reach_the_dead_letter_table_with_their_reason_while_the_rest_are_written(
    step: processor.TelemetryStep, kinesis: Any, db: pg8000.native.Connection, cache: redis.Redis
) -> None:
    poison = [
        b"not json at all",
        json.dumps(["a", "list"]).encode(),
        json.dumps({"reading_id": "r-x", "timestamp": 1_765_000_000}).encode(),
        json.dumps({"reading_id": "r-y", "device_id": "d", "timestamp": "2026-12-07T10:00:00"}).encode(),
        json.dumps(reading(98, "device-c", 30, note="nul \x00 inside")).encode(),
    ]
    good = [reading(number, "device-c", number) for number in range(4)]
    put(kinesis, [good[0], good[1], *poison, good[2], good[3]])
    assert drain(step) == len(good) + len(poison)
    assert row_ids(db) == ["r-0", "r-1", "r-2", "r-3"]
    reasons = [reason for reason, _ in dead_letters(db)]
    assert len(reasons) == len(poison)
    assert {data for _, data in dead_letters(db)} == set(poison)
    for expected in ("not UTF-8 JSON", "not a JSON object", "device_id missing", "has no time zone", "SQLSTATE 22P05"):
        assert any(expected in reason for reason in reasons), (expected, reasons)
    assert device_state.read_latest(cache, "device-c")["reading_id"] == "r-3"


def test_only_a_newer_reading_replaces_a_devices_state(cache: redis.Redis) -> None:
    def decoded(number: int, second: int) -> readings.Reading:
        record = {"Data": json.dumps(reading(number, "device-d", second)).encode(), "SequenceNumber": str(number)}
        return readings.decode(record)

    assert device_state.update_latest(cache, [decoded(1, 10), decoded(2, 30), decoded(3, 20)]) == 1
    assert device_state.read_latest(cache, "device-d")["reading_id"] == "r-2"
    assert device_state.update_latest(cache, [decoded(4, 29), decoded(5, 30)]) == 0
    assert device_state.read_latest(cache, "device-d")["reading_id"] == "r-2"
    assert device_state.update_latest(cache, [decoded(6, 31)]) == 1
    assert device_state.read_latest(cache, "device-d")["reading_id"] == "r-6"


@pytest.mark.parametrize(
    ("timestamp", "expected_us"),
    [("2026-12-07T10:00:00.5Z", 1_796_637_600_500_000), (1_796_637_600.25, 1_796_637_600_250_000)],
)
def test_timestamps_are_iso_8601_with_a_zone_or_epoch_seconds(timestamp: object, expected_us: int) -> None:
    record = {"Data": json.dumps({"reading_id": "r", "device_id": "d", "timestamp": timestamp}).encode()}
    assert readings.decode(record).measured_at_us == expected_us


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"reading_id": "r", "device_id": "d", "timestamp": True}, "timestamp missing"),
        ({"reading_id": "r", "device_id": "d", "timestamp": "yesterday"}, "timestamp is not ISO 8601"),
        ({"reading_id": "r", "device_id": "d", "timestamp": 5_000_000_000}, "timestamp outside"),
        ({"reading_id": "r" * 300, "device_id": "d", "timestamp": 0}, "reading_id longer than 256"),
        ({"reading_id": " ", "device_id": "d", "timestamp": 0}, "reading_id missing"),
    ],
)
def test_a_record_that_is_not_a_reading_says_why(payload: dict[str, Any], reason: str) -> None:
    with pytest.raises(readings.InvalidReadingError, match=reason):
        readings.decode({"Data": json.dumps(payload).encode()})


def test_redis_is_reached_over_tls_with_the_auth_token_and_a_verified_certificate(
    redis_env: dict[str, str], aws: None
) -> None:
    client = device_state.connect(redis_env)
    assert client.ping()
    assert client.connection_pool.connection_kwargs["ssl_cert_reqs"] == "required"
    client.close()
    with pytest.raises(redis.AuthenticationError):
        device_state.connect({**redis_env, "REDIS_AUTH_TOKEN": "wrong"}).ping()
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        device_state.connect({**redis_env, "REDIS_CA_BUNDLE": ""}).ping()


def test_the_auth_token_can_come_from_its_secret(redis_env: dict[str, str], aws: None) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="redis-auth", SecretString=redis_env["REDIS_AUTH_TOKEN"])
    environment = {**redis_env, "REDIS_AUTH_TOKEN": "", "REDIS_AUTH_SECRET_ARN": arn["ARN"]}
    client = device_state.connect(environment)
    try:
        assert client.ping()
    finally:
        client.close()


def test_main_polls_the_configured_stream_until_stopped(
    environment: dict[str, str], kinesis: Any, db: pg8000.native.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(kinesis, [reading(number, "device-e", number) for number in range(3)])
    steps: list[int] = []

    def run_once(name: str, build: Any, stop: Any, idle: float) -> None:
        step = build()
        steps.append(step())
        step.close()

    monkeypatch.setattr(processor.runner, "run_until_stopped", run_once)
    monkeypatch.setattr(processor.runner, "stop_on_signals", lambda: None)
    processor.main(environment)
    assert sum(steps) == 3
    assert len(row_ids(db)) == 3
