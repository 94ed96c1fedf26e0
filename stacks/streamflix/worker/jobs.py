"""Video jobs from SQS: store each job's metadata, then delete exactly the messages whose rows committed.

A job message body is a JSON object with ``job_id`` and ``video_id`` (non-empty strings); optional ``title`` (text)
and ``duration_seconds`` (a number >= 0); the whole object is kept in ``metadata``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stacks.processing import database
from stacks.processing.fields import InvalidFieldError, identifier, json_object
from stacks.processing.logs import log_event

VIDEO_JOBS_DDL = """
CREATE TABLE IF NOT EXISTS video_jobs (
    job_id           TEXT PRIMARY KEY,
    video_id         TEXT NOT NULL,
    title            TEXT,
    duration_seconds DOUBLE PRECISION,
    metadata         JSONB NOT NULL,
    message_id       TEXT NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

INSERT_JOBS_SQL = """
INSERT INTO video_jobs (job_id, video_id, title, duration_seconds, metadata, message_id)
SELECT job_id, video_id, title, duration_seconds, CAST(metadata AS JSONB), message_id
FROM unnest(CAST(:ids AS TEXT[]), CAST(:videos AS TEXT[]), CAST(:titles AS TEXT[]),
            CAST(:durations AS DOUBLE PRECISION[]), CAST(:metadata AS TEXT[]), CAST(:messages AS TEXT[]))
    AS batch (job_id, video_id, title, duration_seconds, metadata, message_id)
ON CONFLICT (job_id) DO NOTHING
"""

#: SQS long polling: wait up to 20 s (the maximum) for messages, and take up to 10 (the maximum) per receive.
WAIT_TIME_SECONDS = 20
MAX_MESSAGES = 10


@dataclass(frozen=True)
class Job:
    """A decoded job and the message it came in."""

    job_id: str
    video_id: str
    title: str | None
    duration_seconds: float | None
    metadata: str
    message: dict[str, Any]


def decode(message: dict[str, Any]) -> Job:
    """The job in an SQS message, or :class:`InvalidFieldError` saying why not."""
    body = json_object(message["Body"])
    title, duration = body.get("title"), body.get("duration_seconds")
    if title is not None and not isinstance(title, str):
        raise InvalidFieldError("title is not text")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0):
        raise InvalidFieldError("duration_seconds is not a number >= 0")
    return Job(
        job_id=identifier(body, "job_id"),
        video_id=identifier(body, "video_id"),
        title=title,
        duration_seconds=None if duration is None else float(duration),
        metadata=json.dumps(body, separators=(",", ":")),
        message=message,
    )


def create_table(connection: database.Connection) -> None:
    connection.run(VIDEO_JOBS_DDL)


def _insert(connection: database.Connection, jobs: Sequence[Job]) -> None:
    connection.run(
        INSERT_JOBS_SQL,
        ids=[job.job_id for job in jobs],
        videos=[job.video_id for job in jobs],
        titles=[job.title for job in jobs],
        durations=[job.duration_seconds for job in jobs],
        metadata=[job.metadata for job in jobs],
        messages=[job.message["MessageId"] for job in jobs],
    )


def _left_on_queue(message: dict[str, Any], reason: str) -> None:
    """Log why a job stays on the queue (the redrive policy moves it to the dead-letter queue in the end)."""
    receives = message.get("Attributes", {}).get("ApproximateReceiveCount")
    log_event("job_left_on_queue", logging.WARNING, message_id=message["MessageId"], receives=receives, reason=reason)


@dataclass
class JobWorker:
    """One receive-record-delete round per call; ``close`` releases the database connection."""

    sqs: Any
    queue_url: str
    connection: database.Connection

    def __call__(self) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=MAX_MESSAGES,
            WaitTimeSeconds=WAIT_TIME_SECONDS,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        jobs: list[Job] = []
        for message in messages:
            try:
                jobs.append(decode(message))
            except InvalidFieldError as error:
                _left_on_queue(message, str(error))
                self._retry_now(message)
        self.record(jobs)
        return len(messages)

    def _retry_now(self, message: dict[str, Any]) -> None:
        """A malformed job fails the same way every time: visible again at once, it reaches the dead-letter queue
        after maxReceiveCount receives instead of after as many visibility timeouts."""
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )

    def record(self, jobs: Sequence[Job]) -> list[Job]:
        """Store the jobs in one transaction, then delete the messages of those stored; returns them."""
        if not jobs:
            return []
        with database.transaction(self.connection):
            stored, refused = database.insert_isolating_refusals(self.connection, jobs, _insert)
        for job, error in refused:
            _left_on_queue(job.message, f"refused by the database: {database.server_message(error)}")
        self._delete(stored)
        return stored

    def _delete(self, jobs: Sequence[Job]) -> None:
        if not jobs:
            return
        entries = [{"Id": str(index), "ReceiptHandle": job.message["ReceiptHandle"]} for index, job in enumerate(jobs)]
        failed = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries).get("Failed", [])
        for failure in failed:  # the job comes back and is stored again as a no-op: idempotent on job_id
            log_event("job_delete_failed", logging.WARNING, message_id=jobs[int(failure["Id"])].message["MessageId"])

    def close(self) -> None:
        database.close(self.connection)
