"""Read every shard of a Kinesis stream and keep each shard's position in PostgreSQL, in the transaction of its rows.

:class:`ShardReader` lists the shards, reads each with GetShardIterator/GetRecords and hands each page of records to
an ``apply`` function inside one transaction that also moves the shard's checkpoint forward and stores the records
``apply`` rejected (with their reason) in ``kinesis_dead_letters``. A restart resumes after the last committed record:
nothing is lost and nothing is applied twice.

- New shards start at TRIM_HORIZON (the oldest retained record), so nothing written before the first run is skipped.
- Resharding: a shard is read only after its parents are finished (read to their end), preserving per-key order;
  a finished shard is marked so and never read again.
- An expired iterator is replaced from the committed checkpoint; a throttled shard is skipped until the next poll.
- Checkpoints only move forward, so a second reader overlapping during a deployment cannot move one back.

Example::

    reader = ShardReader(boto3.client("kinesis"), "telemetry", connect, apply=store_readings)
    reader.prepare()
    while True:
        reader.poll()
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from stacks.processing.database import Connection, transaction

CHECKPOINTS_DDL = """
CREATE TABLE IF NOT EXISTS kinesis_checkpoints (
    stream_name     TEXT NOT NULL,
    shard_id        TEXT NOT NULL,
    sequence_number NUMERIC(128),
    shard_finished  BOOLEAN NOT NULL DEFAULT false,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_name, shard_id)
)
"""

DEAD_LETTERS_DDL = """
CREATE TABLE IF NOT EXISTS kinesis_dead_letters (
    stream_name     TEXT NOT NULL,
    shard_id        TEXT NOT NULL,
    sequence_number NUMERIC(128) NOT NULL,
    partition_key   TEXT NOT NULL,
    reason          TEXT NOT NULL,
    data            BYTEA NOT NULL,
    dead_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_name, shard_id, sequence_number)
)
"""

SAVE_CHECKPOINT_SQL = """
INSERT INTO kinesis_checkpoints AS saved (stream_name, shard_id, sequence_number, shard_finished)
VALUES (:stream_name, :shard, CAST(:sequence AS NUMERIC), :finished)
ON CONFLICT (stream_name, shard_id) DO UPDATE
SET sequence_number = GREATEST(saved.sequence_number, EXCLUDED.sequence_number),
    shard_finished = saved.shard_finished OR EXCLUDED.shard_finished,
    updated_at = now()
"""

SAVE_DEAD_LETTERS_SQL = """
INSERT INTO kinesis_dead_letters (stream_name, shard_id, sequence_number, partition_key, reason, data)
SELECT :stream_name, :shard, CAST(sequence AS NUMERIC), partition_key, reason, decode(data, 'base64')
FROM unnest(CAST(:sequences AS TEXT[]), CAST(:keys AS TEXT[]), CAST(:reasons AS TEXT[]), CAST(:data AS TEXT[]))
    AS rejected (sequence, partition_key, reason, data)
ON CONFLICT DO NOTHING
"""

LOAD_CHECKPOINTS_SQL = """
SELECT shard_id, CAST(sequence_number AS TEXT), shard_finished FROM kinesis_checkpoints WHERE stream_name = :stream_name
"""

#: GetRecords returns at most 10,000 records or 10 MB; a smaller page keeps each transaction short.
DEFAULT_PAGE_LIMIT = 1000
#: ListShards is limited to 100 calls per second per stream; the shard set changes only on resharding.
SHARD_LIST_MAX_AGE_SECONDS = 60.0
#: What the stream answers when a shard's read limit (5 calls, 2 MB per second) is exceeded: retry next poll.
THROTTLED = "ProvisionedThroughputExceededException"
EXPIRED = "ExpiredIteratorException"


@dataclass(frozen=True)
class Rejected:
    """A record ``apply`` could not use, and why (the reason is stored beside the record's bytes)."""

    record: dict[str, Any]
    reason: str


#: ``apply(connection, shard_id, records)`` writes what it can inside the open transaction and returns the rejects.
Apply = Callable[[Connection, str, Sequence[dict[str, Any]]], list[Rejected]]


@dataclass(frozen=True)
class Checkpoint:
    """Where a shard's reading stands: the last applied sequence number, and whether the shard was read to its end."""

    sequence_number: str | None = None
    finished: bool = False


def create_tables(connection: Connection) -> None:
    """The checkpoint and dead-letter tables, if missing."""
    connection.run(CHECKPOINTS_DDL)
    connection.run(DEAD_LETTERS_DDL)


def load_checkpoints(connection: Connection, stream_name: str) -> dict[str, Checkpoint]:
    """Committed checkpoints of ``stream_name`` by shard id."""
    rows = connection.run(LOAD_CHECKPOINTS_SQL, stream_name=stream_name)
    return {shard: Checkpoint(sequence, finished) for shard, sequence, finished in rows}


@dataclass
class ShardReader:
    """Reads every shard of ``stream_name`` and applies its records exactly once (see the module docstring)."""

    kinesis: Any
    stream_name: str
    connection: Connection
    apply: Apply
    page_limit: int = DEFAULT_PAGE_LIMIT
    _iterators: dict[str, str] = field(default_factory=dict)
    _shards: list[dict[str, Any]] = field(default_factory=list)
    _shards_listed_at: float = float("-inf")

    def prepare(self) -> None:
        """Create the checkpoint and dead-letter tables."""
        create_tables(self.connection)

    def poll(self) -> int:
        """One page from every readable shard; returns how many records were applied or dead-lettered."""
        checkpoints = load_checkpoints(self.connection, self.stream_name)
        handled = 0
        for shard_id in self.readable_shards(checkpoints):
            handled += self._poll_shard(shard_id, checkpoints.get(shard_id, Checkpoint()))
        return handled

    def readable_shards(self, checkpoints: dict[str, Checkpoint]) -> list[str]:
        """Shards not finished whose parents are finished or gone from the stream (past its retention)."""
        shards = self._list_shards()
        listed = {shard["ShardId"] for shard in shards}

        def done(shard_id: str | None) -> bool:
            return not shard_id or shard_id not in listed or checkpoints.get(shard_id, Checkpoint()).finished

        return [
            shard["ShardId"]
            for shard in shards
            if not done(shard["ShardId"])
            and done(shard.get("ParentShardId"))
            and done(shard.get("AdjacentParentShardId"))
        ]

    def _list_shards(self) -> list[dict[str, Any]]:
        if time.monotonic() - self._shards_listed_at > SHARD_LIST_MAX_AGE_SECONDS:
            shards: list[dict[str, Any]] = []
            page = self.kinesis.list_shards(StreamName=self.stream_name)
            shards.extend(page["Shards"])
            while page.get("NextToken"):
                page = self.kinesis.list_shards(NextToken=page["NextToken"])
                shards.extend(page["Shards"])
            self._shards, self._shards_listed_at = shards, time.monotonic()
        return self._shards

    def _poll_shard(self, shard_id: str, checkpoint: Checkpoint) -> int:
        page = self._get_records(shard_id, checkpoint)
        if page is None:
            return 0
        records, next_iterator = page["Records"], page.get("NextShardIterator")
        finished = next_iterator is None
        if records or finished:
            try:
                self._commit(shard_id, records, finished)
            except BaseException:
                self._iterators.pop(shard_id, None)  # start again from the committed checkpoint
                raise
        if finished:
            self._iterators.pop(shard_id, None)
            self._shards_listed_at = float("-inf")  # its children become readable: list them now
        else:
            self._iterators[shard_id] = next_iterator
        return len(records)

    def _get_records(self, shard_id: str, checkpoint: Checkpoint) -> dict[str, Any] | None:
        iterator = self._iterators.get(shard_id) or self._iterator_after(shard_id, checkpoint)
        try:
            return self.kinesis.get_records(ShardIterator=iterator, Limit=self.page_limit)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == THROTTLED:
                return None
            if code != EXPIRED:
                raise
        iterator = self._iterator_after(shard_id, checkpoint)
        return self.kinesis.get_records(ShardIterator=iterator, Limit=self.page_limit)

    def _iterator_after(self, shard_id: str, checkpoint: Checkpoint) -> str:
        position: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        if checkpoint.sequence_number is not None:
            position = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": checkpoint.sequence_number,
            }
        response = self.kinesis.get_shard_iterator(StreamName=self.stream_name, ShardId=shard_id, **position)
        return str(response["ShardIterator"])

    def _commit(self, shard_id: str, records: list[dict[str, Any]], finished: bool) -> None:
        with transaction(self.connection) as connection:
            rejected = self.apply(connection, shard_id, records) if records else []
            if rejected:
                self._save_dead_letters(shard_id, rejected)
            connection.run(
                SAVE_CHECKPOINT_SQL,
                stream_name=self.stream_name,
                shard=shard_id,
                sequence=records[-1]["SequenceNumber"] if records else None,
                finished=finished,
            )

    def _save_dead_letters(self, shard_id: str, rejected: list[Rejected]) -> None:
        self.connection.run(
            SAVE_DEAD_LETTERS_SQL,
            stream_name=self.stream_name,
            shard=shard_id,
            sequences=[item.record["SequenceNumber"] for item in rejected],
            keys=[item.record["PartitionKey"] for item in rejected],
            reasons=[item.reason for item in rejected],
            data=[base64.b64encode(item.record["Data"]).decode() for item in rejected],
        )
