"""The StreamFlix worker against a real PostgreSQL: jobs from a moto SQS queue with a redrive policy, ingest events
from a moto Kinesis stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pg8000.native
import pytest

from stacks.processing import runner
from stacks.streamflix.worker import __main__ as worker
from stacks.streamflix.worker import jobs

STREAM = "streamflix-ingest-test"
MAX_RECEIVES = 2


@pytest.fixture
def queues(aws: None) -> dict[str, str]:
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)})
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    return {"jobs": url, "dlq": dlq}


@pytest.fixture
def environment(db_env: dict[str, str], queues: dict[str, str]) -> dict[str, str]:
    boto3.client("kinesis").create_stream(StreamName=STREAM, ShardCount=2)
    return {**db_env, "JOB_QUEUE_URL": queues["jobs"], "STREAM_NAME": STREAM}


@pytest.fixture
def job_worker(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[jobs.JobWorker]:
    monkeypatch.setattr(jobs, "WAIT_TIME_SECONDS", 0)  # moto answers at once; the real value is asserted below
    built = worker.build_job_worker(environment, boto3.client("sqs"))
    try:
        yield built
    finally:
        built.close()


def job(number: int, **overrides: Any) -> dict[str, Any]:
    return {
        "job_id": f"job-{number}",
        "video_id": f"vid-{number}",
        "title": f"Episode {number}",
        "duration_seconds": 42.5,
        **overrides,
    }


def send(queue_url: str, bodies: list[Any]) -> None:
    sqs = boto3.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body if isinstance(body, str) else json.dumps(body))


def queue_depth(queue_url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def job_ids(db: pg8000.native.Connection) -> list[str]:
    return [row[0] for row in db.run("SELECT job_id FROM video_jobs ORDER BY job_id")]


def test_each_job_is_recorded_once_and_its_message_deleted(
    job_worker: jobs.JobWorker, queues: dict[str, str], db: pg8000.native.Connection
) -> None:
    send(queues["jobs"], [job(number) for number in range(12)] + [job(3)])
    while job_worker():
        pass
    assert job_ids(db) == sorted(f"job-{number}" for number in range(12))
    assert queue_depth(queues["jobs"]) == 0
    title, duration, metadata = db.run("SELECT title, duration_seconds, metadata FROM video_jobs WHERE job_id='job-7'")[
        0
    ]
    assert (title, duration, metadata) == ("Episode 7", 42.5, job(7))


def test_messages_are_received_by_long_polling_in_batches_of_ten(environment: dict[str, str]) -> None:
    calls: list[dict[str, Any]] = []

    class RecordingSqs:
        def receive_message(self, **kwargs: Any) -> dict[str, Any]:
            calls.append(kwargs)
            return {}

    connection = worker.database.connect(environment)
    jobs.JobWorker(RecordingSqs(), "queue", connection)()
    connection.close()
    assert calls[0]["WaitTimeSeconds"] == 20 and calls[0]["MaxNumberOfMessages"] == 10


def test_a_message_is_deleted_only_after_its_row_commits(
    job_worker: jobs.JobWorker, queues: dict[str, str], db: pg8000.native.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(queues["jobs"], [job(1), job(2)])
    order: list[str] = []
    real_run, real_delete = job_worker.connection.run, job_worker.sqs.delete_message_batch

    def run(sql: str, **params: Any) -> Any:
        if sql == "COMMIT":
            order.append("commit")
        return real_run(sql, **params)

    def delete_message_batch(**kwargs: Any) -> Any:
        order.append(f"delete {len(kwargs['Entries'])}")
        assert job_ids(db) == ["job-1", "job-2"], "deleted before the rows were visible"
        return real_delete(**kwargs)

    monkeypatch.setattr(job_worker.connection, "run", run)
    monkeypatch.setattr(job_worker.sqs, "delete_message_batch", delete_message_batch)
    assert job_worker() == 2
    assert order == ["commit", "delete 2"]


def test_when_the_commit_fails_no_message_is_deleted(
    job_worker: jobs.JobWorker, queues: dict[str, str], db: pg8000.native.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(queues["jobs"], [job(1), job(2)])
    real_run = job_worker.connection.run

    def run(sql: str, **params: Any) -> Any:
        if sql == "COMMIT":
            raise worker.database.ConnectionLostError("network gone at commit")
        return real_run(sql, **params)

    monkeypatch.setattr(job_worker.connection, "run", run)
    with pytest.raises(worker.database.ConnectionLostError):
        job_worker()
    assert queue_depth(queues["jobs"]) == 2


def test_a_failing_job_stays_on_the_queue_until_redrive_while_the_rest_of_its_batch_is_recorded(
    job_worker: jobs.JobWorker, queues: dict[str, str], db: pg8000.native.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    db.run(jobs.VIDEO_JOBS_DDL)
    db.run("ALTER TABLE video_jobs ADD CONSTRAINT sane_duration CHECK (duration_seconds < 86400)")
    poison = [job(5, duration_seconds=10**9), "{not json", job(6, video_id=7)]
    send(queues["jobs"], [job(1), poison[0], job(2), poison[1], job(3), poison[2], job(4)])
    for _ in range(MAX_RECEIVES + 1):
        job_worker()
    assert job_ids(db) == ["job-1", "job-2", "job-3", "job-4"]
    assert queue_depth(queues["jobs"]) == 0
    assert queue_depth(queues["dlq"]) == len(poison)
    reasons = [json.loads(message)["reason"] for message in caplog.messages if "job_left_on_queue" in message]
    assert len(reasons) == len(poison) * MAX_RECEIVES
    for expected in ("SQLSTATE 23514", "not UTF-8 JSON", "video_id missing"):
        assert any(expected in reason for reason in reasons), (expected, reasons)


def test_ingest_events_from_every_shard_are_recorded_once_and_poison_ones_dead_lettered(
    environment: dict[str, str], db: pg8000.native.Connection
) -> None:
    kinesis = boto3.client("kinesis")
    events: list[Any] = [
        {"event_id": f"e-{n}", "video_id": f"v-{n % 3}", "event_type": "uploaded", "occurred_at": 1_796_637_600 + n}
        for n in range(20)
    ]
    events.insert(7, {"event_id": "e-bad", "video_id": "v", "event_type": "uploaded", "occurred_at": "noon"})
    for index, event in enumerate(events):
        kinesis.put_record(StreamName=STREAM, Data=json.dumps(event).encode(), PartitionKey=f"k{index}")
    step = worker.IngestStep.build(environment, kinesis)
    try:
        while step():
            pass
    finally:
        step.close()
    restarted = worker.IngestStep.build(environment, kinesis)
    try:
        assert restarted() == 0
    finally:
        restarted.close()
    assert db.run("SELECT count(*) FROM ingest_events")[0][0] == 20
    assert db.run("SELECT count(DISTINCT shard_id) FROM kinesis_checkpoints")[0][0] == 2
    dead = db.run("SELECT reason, convert_from(data, 'UTF8') FROM kinesis_dead_letters")
    assert len(dead) == 1 and dead[0][0].startswith("occurred_at is not ISO 8601")
    assert json.loads(dead[0][1])["event_id"] == "e-bad"


def test_main_runs_both_loops_until_stopped(
    environment: dict[str, str], queues: dict[str, str], db: pg8000.native.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(queues["jobs"], [job(1)])
    boto3.client("kinesis").put_record(
        StreamName=STREAM,
        Data=json.dumps({"event_id": "e", "video_id": "v", "event_type": "t", "occurred_at": 0}).encode(),
        PartitionKey="k",
    )
    monkeypatch.setattr(jobs, "WAIT_TIME_SECONDS", 0)
    ran: list[str] = []

    def run_once(name: str, build: Any, stop: Any, idle: float) -> None:
        step = build()
        step()
        step.close()
        ran.append(name)

    monkeypatch.setattr(runner, "run_until_stopped", run_once)
    monkeypatch.setattr(runner, "stop_on_signals", lambda: __import__("threading").Event())
    worker.main(environment)
    assert sorted(ran) == ["ingest_poll", "job_receive"]
    assert job_ids(db) == ["job-1"]
    assert db.run("SELECT count(*) FROM ingest_events")[0][0] == 1


def test_a_malformed_job_is_made_visible_again_at_once_so_it_reaches_the_dlq_without_waiting(
    job_worker: jobs.JobWorker, queues: dict[str, str], db: pg8000.native.Connection
) -> None:
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=queues["jobs"], Attributes={"VisibilityTimeout": "300"})
    send(queues["jobs"], ["{not json"])
    for _ in range(MAX_RECEIVES + 1):
        job_worker()
    assert queue_depth(queues["jobs"]) == 0
    assert queue_depth(queues["dlq"]) == 1
