"""Entry point: ``python -m stacks.streamflix.worker`` (configuration in the package docstring).

The jobs loop runs in the main thread and the ingest loop in a second one, each with its own database connection;
SIGTERM stops both after the batch in hand.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stacks.processing import database, runner
from stacks.processing.logs import configure_for_container
from stacks.processing.shards import ShardReader
from stacks.streamflix.worker import ingest, jobs


def build_job_worker(environ: Mapping[str, str], sqs: Any) -> jobs.JobWorker:
    connection = database.connect(environ)
    jobs.create_table(connection)
    return jobs.JobWorker(sqs, database.required(environ, "JOB_QUEUE_URL"), connection)


@dataclass
class IngestStep:
    """One poll of every ingest shard."""

    reader: ShardReader

    @classmethod
    def build(cls, environ: Mapping[str, str], kinesis: Any) -> IngestStep:
        connection = database.connect(environ)
        ingest.create_table(connection)
        reader = ShardReader(kinesis, database.required(environ, "STREAM_NAME"), connection, ingest.apply_page)
        reader.prepare()
        return cls(reader)

    def __call__(self) -> int:
        return self.reader.poll()

    def close(self) -> None:
        database.close(self.reader.connection)


def main(environ: Mapping[str, str] | None = None) -> None:
    import boto3

    env = dict(os.environ if environ is None else environ)
    configure_for_container()
    stop = runner.stop_on_signals()
    sqs, kinesis = boto3.client("sqs"), boto3.client("kinesis")
    idle = float(env.get("POLL_IDLE_SECONDS") or 1.0)
    ingest_failures: list[Exception] = []

    def run_ingest() -> None:
        try:
            runner.run_until_stopped("ingest_poll", lambda: IngestStep.build(env, kinesis), stop, idle)
        except Exception as error:  # the process exits with it: ECS starts a fresh task
            ingest_failures.append(error)
            stop.set()

    ingest_thread = threading.Thread(target=run_ingest, name="ingest")
    ingest_thread.start()
    try:
        runner.run_until_stopped("job_receive", lambda: build_job_worker(env, sqs), stop, 0.0)
    finally:
        stop.set()
        ingest_thread.join()
    if ingest_failures:
        raise ingest_failures[0]


if __name__ == "__main__":
    main()
