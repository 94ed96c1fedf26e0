"""Throughput of each processor's write path, side by side: records (or jobs) per second into a local TLS-only
PostgreSQL (and TLS Redis with AUTH for IoT), started by the helpers the tests use; AWS APIs from moto in-process.

    .venv/bin/python -m scripts.processor_benchmark [--records 10000] [--jobs 1000]

What each line times, per batch as the processor runs it:
- IoT: decode a page, one multi-row insert, the Redis compare-and-set pipeline, the checkpoint, commit.
- healthcare: decode a Lambda batch, one multi-row insert, PutLogEvents (moto), commit.
- stream processor: the Lambda handler's store_records for a batch.
- StreamFlix jobs: for a batch of 10 received beforehand, insert, commit, delete (moto SQS).
Timings live here, never in tests.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moto import mock_aws

from stacks.healthcare_pipeline.consumer import patient_events
from stacks.iot_platform.processor import __main__ as iot
from stacks.iot_platform.processor import device_state, readings
from stacks.processing import database, shards
from stacks.stream_processor.handler import processor as stream_processor
from stacks.streamflix.worker import jobs
from tests.support.postgres_server import ThrowawayPostgres
from tests.support.redis_server import ThrowawayRedis

IOT_PAGE = 500
LAMBDA_BATCH = 100  # the event source mapping's batch size (constructs_lib.policy.services.STREAM_BATCH_SIZE)
TARGETS = {
    "IoT telemetry processor": 1000,
    "healthcare consumer": 1000,
    "stream processor": 1000,
    "StreamFlix jobs": 50,
}


@contextmanager
def servers() -> Iterator[tuple[ThrowawayPostgres, ThrowawayRedis]]:
    postgres = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="pg-bench-"))).start()
    cache = ThrowawayRedis(Path(tempfile.mkdtemp(prefix="redis-bench-"))).start()
    try:
        yield postgres, cache
    finally:
        cache.stop()
        postgres.stop()


def database_env(postgres: ThrowawayPostgres, name: str) -> dict[str, str]:
    postgres.create_login(name, "bench-password", name)
    return {
        "DB_HOST": "localhost",
        "DB_PORT": str(postgres.port),
        "DB_NAME": name,
        "DB_USER": name,
        "DB_PASSWORD": "bench-password",
        "DB_CA_BUNDLE": str(postgres.ca_bundle),
    }


def timed(count: int, run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def bench_iot(postgres: ThrowawayPostgres, cache_server: ThrowawayRedis, records: int) -> float:
    env = database_env(postgres, "bench_iot")
    connection = database.connect(env)
    readings.create_table(connection)
    shards.create_tables(connection)
    cache = device_state.connect(
        {"REDIS_HOST": "localhost", "REDIS_PORT": str(cache_server.port), "REDIS_AUTH_TOKEN": cache_server.password,
         "REDIS_CA_BUNDLE": str(cache_server.ca_bundle)}
    )  # fmt: skip
    pages = [
        [
            {
                "Data": json.dumps(
                    {"reading_id": f"r-{n}", "device_id": f"device-{n % 200}", "timestamp": 1_796_637_600 + n / 1000,
                     "temperature": 21.5, "humidity": 40}
                ).encode(),
                "SequenceNumber": str(10**20 + n),
                "PartitionKey": f"device-{n % 200}",
            }
            for n in range(start, min(start + IOT_PAGE, records))
        ]
        for start in range(0, records, IOT_PAGE)
    ]  # fmt: skip

    def run() -> None:
        for page in pages:
            with database.transaction(connection):
                iot.apply_page(connection, cache, "shardId-000000000000", page)
                connection.run(
                    shards.SAVE_CHECKPOINT_SQL, stream_name="bench", shard="shardId-000000000000",
                    sequence=page[-1]["SequenceNumber"], finished=False,
                )  # fmt: skip

    rate = timed(records, run)
    assert connection.run("SELECT count(*) FROM telemetry_readings")[0][0] == records
    connection.close()
    cache.close()
    return rate


def kinesis_event_record(payload: dict[str, Any], sequence: int) -> dict[str, Any]:
    return {
        "eventID": f"shardId-000000000000:{sequence}",
        "kinesis": {
            "data": base64.b64encode(json.dumps(payload).encode()).decode(),
            "partitionKey": "p",
            "sequenceNumber": str(sequence),
            "approximateArrivalTimestamp": 1_796_637_600.0,
        },
    }


def lambda_batches(records: int, payload: Callable[[int], dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [
        [kinesis_event_record(payload(n), 10**20 + n) for n in range(start, min(start + LAMBDA_BATCH, records))]
        for start in range(0, records, LAMBDA_BATCH)
    ]


def bench_healthcare(postgres: ThrowawayPostgres, records: int) -> float:
    import boto3

    env = {**database_env(postgres, "bench_healthcare"), "AUDIT_LOG_GROUP": "/bench/audit", "AUDIT_LOG_STREAM": "s"}
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=env["AUDIT_LOG_GROUP"])
    connection = patient_events.connect(env)
    batches = lambda_batches(
        records,
        lambda n: {"event_id": f"e-{n}", "patient_id": f"p-{n % 500}", "event_type": "observation",
                   "occurred_at": "2026-12-07T09:30:00+00:00", "heart_rate": 60 + n % 40},
    )  # fmt: skip
    who = {"function": "bench", "request_id": "bench"}
    rate = timed(records, lambda: [patient_events.store_batch(connection, logs, env, b, who) for b in batches])
    assert connection.run("SELECT count(*) FROM patient_events")[0][0] == records
    connection.close()
    return rate


def bench_stream_processor(postgres: ThrowawayPostgres, records: int) -> float:
    connection = stream_processor.connect(database_env(postgres, "bench_stream"))
    batches = lambda_batches(records, lambda n: {"device": f"sensor-{n % 50}", "reading": n * 0.5})
    rate = timed(records, lambda: [stream_processor.store_records(connection, batch) for batch in batches])
    assert connection.run("SELECT count(*) FROM stream_records")[0][0] == records
    connection.close()
    return rate


def bench_streamflix_jobs(postgres: ThrowawayPostgres, count: int) -> float:
    """Record and delete batches of 10 received beforehand: moto's ReceiveMessage alone takes 0.1-0.2 s a call."""
    import boto3

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="bench-jobs", Attributes={"VisibilityTimeout": "3600"})["QueueUrl"]
    for start in range(0, count, 10):
        entries = [
            {"Id": str(n), "MessageBody": json.dumps({"job_id": f"j-{n}", "video_id": f"v-{n}", "title": "t",
                                                       "duration_seconds": 60})}
            for n in range(start, min(start + 10, count))
        ]  # fmt: skip
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    received: list[jobs.Job] = []
    while len(received) < count:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=jobs.MAX_MESSAGES).get("Messages", [])
        received.extend(jobs.decode(message) for message in messages)
    connection = database.connect(database_env(postgres, "bench_jobs"))
    jobs.create_table(connection)
    worker = jobs.JobWorker(sqs, url, connection)
    batches = [received[start : start + jobs.MAX_MESSAGES] for start in range(0, count, jobs.MAX_MESSAGES)]
    rate = timed(count, lambda: [worker.record(batch) for batch in batches])
    assert connection.run("SELECT count(*) FROM video_jobs")[0][0] == count
    assert (
        int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
                "ApproximateNumberOfMessagesNotVisible"
            ]
        )
        == 0
    )
    connection.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="records per stream processor")
    parser.add_argument("--jobs", type=int, default=1_000, help="StreamFlix jobs")
    args = parser.parse_args()
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "x",
    }.items():
        os.environ[name] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with servers() as (postgres, cache), mock_aws():
        rates = {
            "IoT telemetry processor": bench_iot(postgres, cache, args.records),
            "healthcare consumer": bench_healthcare(postgres, args.records),
            "stream processor": bench_stream_processor(postgres, args.records),
            "StreamFlix jobs": bench_streamflix_jobs(postgres, args.jobs),
        }
    print(f"{'processor':<26}{'per second':>12}{'target':>10}  verdict")
    for name, rate in rates.items():
        verdict = "meets target" if rate >= TARGETS[name] else "BELOW TARGET"
        print(f"{name:<26}{rate:>12,.0f}{TARGETS[name]:>10,}  {verdict}")


if __name__ == "__main__":
    main()
