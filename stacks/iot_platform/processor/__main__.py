"""Entry point: ``python -m stacks.iot_platform.processor`` (configuration in the package docstring)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from stacks.iot_platform.processor import device_state, readings
from stacks.processing import database, runner
from stacks.processing.logs import configure_for_container
from stacks.processing.shards import Rejected, ShardReader


def apply_page(
    connection: database.Connection, cache: redis.Redis, shard_id: str, records: Sequence[dict[str, Any]]
) -> list[Rejected]:
    """Store a page's readings, offer the stored ones to Redis, and return the records to dead-letter."""
    decoded, rejected = readings.decode_page(records)
    stored, refused = readings.store(connection, shard_id, decoded)
    device_state.update_latest(cache, stored)
    return rejected + refused


@dataclass
class TelemetryStep:
    """One poll of every shard, with its own database connection and Redis client."""

    reader: ShardReader
    cache: redis.Redis

    @classmethod
    def build(cls, environ: Mapping[str, str], kinesis: Any) -> TelemetryStep:
        connection = database.connect(environ)
        cache = device_state.connect(environ)
        readings.create_table(connection)
        reader = ShardReader(
            kinesis,
            database.required(environ, "STREAM_NAME"),
            connection,
            apply=lambda conn, shard, page: apply_page(conn, cache, shard, page),
        )
        reader.prepare()
        return cls(reader, cache)

    def __call__(self) -> int:
        return self.reader.poll()

    def close(self) -> None:
        database.close(self.reader.connection)
        self.cache.close()


def main(environ: Mapping[str, str] | None = None) -> None:
    import boto3

    env = dict(os.environ if environ is None else environ)
    configure_for_container()
    stop = runner.stop_on_signals()
    kinesis = boto3.client("kinesis")
    idle = float(env.get("POLL_IDLE_SECONDS") or 1.0)
    runner.run_until_stopped("telemetry_poll", lambda: TelemetryStep.build(env, kinesis), stop, idle)


if __name__ == "__main__":
    main()
