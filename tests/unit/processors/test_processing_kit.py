"""What the processors share (stacks/processing): the shard reader across resharding and expired iterators, the
credential forms ECS and Lambda provide, and the run loop."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from stacks.processing import database, runner, shards


class ReshardedStream:
    """A stream whose parent shard was split: the parent is closed (its last page has no NextShardIterator)."""

    def __init__(self) -> None:
        self.records = {
            "parent": [(1, b"p1"), (2, b"p2")],
            "child-a": [(10, b"a1"), (11, b"a2")],
            "child-b": [(20, b"b1")],
        }
        self.reads: list[str] = []
        self.expire_next = False

    def list_shards(self, **_: Any) -> dict[str, Any]:
        return {
            "Shards": [
                {"ShardId": "parent"},
                {"ShardId": "child-a", "ParentShardId": "parent"},
                {"ShardId": "child-b", "ParentShardId": "parent", "AdjacentParentShardId": "gone-past-retention"},
            ]
        }

    def get_shard_iterator(self, ShardId: str, ShardIteratorType: str, **kwargs: Any) -> dict[str, str]:  # noqa: N803
        after = int(kwargs.get("StartingSequenceNumber", 0)) if ShardIteratorType == "AFTER_SEQUENCE_NUMBER" else 0
        return {"ShardIterator": json.dumps([ShardId, after])}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:  # noqa: N803
        if self.expire_next:
            self.expire_next = False
            raise ClientError({"Error": {"Code": "ExpiredIteratorException", "Message": "expired"}}, "GetRecords")
        shard, after = json.loads(ShardIterator)
        self.reads.append(shard)
        page = [(seq, data) for seq, data in self.records[shard] if seq > after][:1]
        last = page[-1][0] if page else after
        closed = shard == "parent" and last == self.records["parent"][-1][0] and not page
        response: dict[str, Any] = {
            "Records": [{"SequenceNumber": str(seq), "Data": data, "PartitionKey": "k"} for seq, data in page]
        }
        if not closed:
            response["NextShardIterator"] = json.dumps([shard, last])
        return response


def collect(applied: list[tuple[str, bytes]]) -> shards.Apply:
    def apply(_: Any, shard_id: str, records: Any) -> list[shards.Rejected]:
        applied.extend((shard_id, record["Data"]) for record in records)
        return []

    return apply


def drain(reader: shards.ShardReader) -> None:
    for _ in range(20):
        reader.poll()


def test_children_are_read_only_after_their_parent_is_read_to_its_end(db: Any) -> None:
    stream, applied = ReshardedStream(), []
    reader = shards.ShardReader(stream, "s", db, collect(applied))
    reader.prepare()
    drain(reader)
    assert [data for shard, data in applied if shard == "parent"] == [b"p1", b"p2"]
    first_child_read = min(stream.reads.index("child-a"), stream.reads.index("child-b"))
    assert "parent" not in stream.reads[first_child_read:]
    assert sorted(data for _, data in applied) == [b"a1", b"a2", b"b1", b"p1", b"p2"]
    finished = db.run("SELECT shard_id FROM kinesis_checkpoints WHERE shard_finished")
    assert finished == [["parent"]]


def test_an_expired_iterator_is_replaced_from_the_checkpoint_without_loss_or_repeat(db: Any) -> None:
    stream, applied = ReshardedStream(), []
    reader = shards.ShardReader(stream, "s", db, collect(applied))
    reader.prepare()
    reader.poll()
    stream.expire_next = True
    drain(reader)
    assert sorted(data for _, data in applied) == [b"a1", b"a2", b"b1", b"p1", b"p2"]


def test_a_throttled_shard_is_skipped_until_the_next_poll(db: Any) -> None:
    class Throttled(ReshardedStream):
        def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:  # noqa: N803
            raise ClientError({"Error": {"Code": shards.THROTTLED, "Message": "slow down"}}, "GetRecords")

    reader = shards.ShardReader(Throttled(), "s", db, collect([]))
    reader.prepare()
    assert reader.poll() == 0


def test_other_kinesis_errors_propagate(db: Any) -> None:
    class Broken(ReshardedStream):
        def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:  # noqa: N803
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetRecords")

    reader = shards.ShardReader(Broken(), "s", db, collect([]))
    reader.prepare()
    with pytest.raises(ClientError, match="AccessDenied"):
        reader.poll()


def test_checkpoints_never_move_back(db: Any) -> None:
    shards.create_tables(db)
    for sequence in ("500", "400", None):
        db.run(shards.SAVE_CHECKPOINT_SQL, stream_name="s", shard="a", sequence=sequence, finished=False)
    assert shards.load_checkpoints(db, "s") == {"a": shards.Checkpoint("500", False)}


def test_credentials_from_the_whole_secret_ecs_injects(db_env: dict[str, str]) -> None:
    secret = json.dumps({"username": db_env["DB_USER"], "password": db_env["DB_PASSWORD"], "engine": "postgres"})
    environment = {**db_env, "DB_USER": "", "DB_PASSWORD": "", "DB_CREDENTIALS": secret}
    connection = database.connect(environment)
    try:
        assert connection.run("SELECT current_user")[0][0] == db_env["DB_USER"]
    finally:
        database.close(connection)
        database.close(connection)  # closing twice is harmless


def test_credentials_from_the_secret_arn(db_env: dict[str, str], aws: None) -> None:
    secret = json.dumps({"username": db_env["DB_USER"], "password": db_env["DB_PASSWORD"]})
    arn = boto3.client("secretsmanager").create_secret(Name="db", SecretString=secret)["ARN"]
    assert database.credentials({"DB_SECRET_ARN": arn}) == (db_env["DB_USER"], db_env["DB_PASSWORD"])


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "database credentials missing"),
        ({"DB_CREDENTIALS": "not json"}, "DB_CREDENTIALS is not an RDS secret"),
        ({"DB_CREDENTIALS": '{"username": "u"}'}, "DB_CREDENTIALS is not an RDS secret"),
    ],
)
def test_missing_or_malformed_credentials_say_what_to_set(environment: dict[str, str], message: str) -> None:
    with pytest.raises(database.ConfigurationError, match=message):
        database.credentials(environment)


def test_a_missing_host_names_the_variable() -> None:
    with pytest.raises(database.ConfigurationError, match="DB_HOST is required"):
        database.connect({"DB_USER": "u", "DB_PASSWORD": "p"})


def test_tls_is_verify_full_with_a_bundle_and_require_without(db_env: dict[str, str]) -> None:
    import ssl

    assert database.tls_context({"DB_CA_BUNDLE": db_env["DB_CA_BUNDLE"]}).check_hostname
    assert database.tls_context({}).verify_mode == ssl.CERT_NONE


class CountingStep:
    def __init__(self, results: list[Any], stop: threading.Event) -> None:
        self.results, self.stop, self.closed = results, stop, 0

    def __call__(self) -> int:
        result = self.results.pop(0)
        if not self.results:
            self.stop.set()
        if isinstance(result, Exception):
            raise result
        return int(result)

    def close(self) -> None:
        self.closed += 1


def test_the_run_loop_rebuilds_a_failed_step_and_stops_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "MAX_BACKOFF_SECONDS", 0.0)
    stop = threading.Event()
    steps: list[CountingStep] = []
    results: list[Any] = [3, RuntimeError("db gone"), 0, 2]

    def build() -> CountingStep:
        steps.append(CountingStep(results, stop))
        return steps[-1]

    runner.run_until_stopped("test", build, stop, idle_seconds=0.0)
    assert len(steps) == 2 and [step.closed for step in steps] == [1, 1]


def test_the_run_loop_gives_up_after_repeated_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "MAX_BACKOFF_SECONDS", 0.0)
    monkeypatch.setattr(runner, "MAX_CONSECUTIVE_FAILURES", 3)
    stop = threading.Event()

    def build() -> Any:
        raise ConnectionRefusedError("no database")

    with pytest.raises(ConnectionRefusedError):
        runner.run_until_stopped("test", build, stop, idle_seconds=0.0)


def test_sigterm_sets_the_stop_event() -> None:
    import os
    import signal

    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        stop = runner.stop_on_signals()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
