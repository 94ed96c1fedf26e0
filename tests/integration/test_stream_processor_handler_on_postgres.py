"""The stream processor's Lambda handler against a real PostgreSQL server (TLS only), fed real Kinesis records.

Lambda code cannot run in the emulator, so the handler runs here, in-process, as Lambda would run it: the records
come from the deployed stream (put, then read back with GetRecords and shaped as the Kinesis event source does), the
credentials from the deployed RDS-managed secret through DB_SECRET_ARN, and the database is a throwaway PostgreSQL
server with that secret's user. The tests without the deployment use the handler's DB_USER/DB_PASSWORD path.
"""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pg8000.native
import pytest
from deployed_stacks import DeployedStack

from stacks.stream_processor.handler import processor
from tests.support.certificates import self_signed_certificate
from tests.support.postgres_server import ThrowawayPostgres

STACK = "StreamProcessor"
LOCAL_USER = "handler_test"
LOCAL_DATABASE = "handler_test"


@pytest.fixture(scope="module")
def postgres() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="pg-handler-"))).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def local_login(postgres: ThrowawayPostgres) -> dict[str, str]:
    """The DB_USER/DB_PASSWORD path: a role made here, no AWS involved."""
    password = uuid.uuid4().hex
    postgres.create_login(LOCAL_USER, password, LOCAL_DATABASE)
    return {
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(postgres.port),
        "DB_NAME": LOCAL_DATABASE,
        "DB_USER": LOCAL_USER,
        "DB_PASSWORD": password,
    }


@pytest.fixture(scope="module")
def stack_environment(stack: DeployedStack, postgres: ThrowawayPostgres) -> Iterator[dict[str, str]]:
    """The deployed function's own environment, with only the host and port pointed at the local server.

    The server gets the role the deployed secret names, with the secret's password, so the handler authenticates
    exactly as it would against RDS: by reading DB_SECRET_ARN from Secrets Manager.
    """
    function = stack.client("lambda").get_function_configuration(FunctionName=stack.output("ConsumerFunctionName"))
    environment = dict(function["Environment"]["Variables"])
    secret = json.loads(
        stack.client("secretsmanager").get_secret_value(SecretId=environment["DB_SECRET_ARN"])["SecretString"]
    )
    postgres.create_login(secret["username"], secret["password"], environment["DB_NAME"])
    environment.update(DB_HOST="127.0.0.1", DB_PORT=str(postgres.port))
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):  # as Lambda sets them: the handler's boto3 reads them
            patch.setenv(name, stack.region)
        for name, value in environment.items():
            patch.setenv(name, value)
        yield environment


@pytest.fixture
def fresh_handler() -> Iterator[None]:
    """Each test starts as a cold Lambda: no cached connection."""
    processor._connection = None
    yield
    if processor._connection is not None:
        processor._connection.close()
    processor._connection = None


def kinesis_event(stack: DeployedStack, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Records returned by GetRecords, shaped as the Lambda Kinesis event source delivers them."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode(),
                    "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::000000000000:role/unused",
                "awsRegion": stack.region,
                "eventSourceARN": stack.output("StreamArn"),
            }
            for record in records
        ]
    }


def put_and_read(stack: DeployedStack, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put ``payloads`` on the deployed stream and read exactly those records back."""
    kinesis, name = stack.client("kinesis"), stack.output("StreamName")
    puts = [
        kinesis.put_record(StreamName=name, Data=json.dumps(payload).encode(), PartitionKey=f"device-{index}")
        for index, payload in enumerate(payloads)
    ]
    wanted = {put["SequenceNumber"] for put in puts}
    found: dict[str, dict[str, Any]] = {}
    for shard_id in {put["ShardId"] for put in puts}:
        first = min((put for put in puts if put["ShardId"] == shard_id), key=lambda put: int(put["SequenceNumber"]))
        iterator = kinesis.get_shard_iterator(
            StreamName=name,
            ShardId=shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=first["SequenceNumber"],
        )["ShardIterator"]
        for _ in range(10):
            page = kinesis.get_records(ShardIterator=iterator, Limit=100)
            found.update({r["SequenceNumber"]: r for r in page["Records"] if r["SequenceNumber"] in wanted})
            if wanted <= set(found) or not page.get("NextShardIterator"):
                break
            iterator = page["NextShardIterator"]
    return [found[put["SequenceNumber"]] for put in puts if put["SequenceNumber"] in found]


def stored_rows(connection: pg8000.native.Connection, sequence_numbers: list[str]) -> list[tuple[str, Any]]:
    return [
        (row[0], row[1])
        for row in connection.run(
            "SELECT sequence_number, payload FROM stream_records WHERE sequence_number = ANY(:numbers)"
            " ORDER BY sequence_number",
            numbers=sequence_numbers,
        )
    ]


# --- End to end: deployed stream and secret, real database -----------------------------------------------------------


@pytest.mark.usefixtures("fresh_handler")
def test_handler_stores_each_record_read_from_the_deployed_stream(
    stack: DeployedStack, stack_environment: dict[str, str]
) -> None:
    payloads = [{"device": f"sensor-{index}", "reading": index * 1.5, "run": uuid.uuid4().hex} for index in range(3)]
    records = put_and_read(stack, payloads)
    assert len(records) == len(payloads)
    assert processor.handler(kinesis_event(stack, records)) == {"stored": len(payloads)}
    rows = stored_rows(processor._connection, [record["SequenceNumber"] for record in records])
    assert sorted(json.dumps(payload, sort_keys=True) for _, payload in rows) == sorted(
        json.dumps(payload, sort_keys=True) for payload in payloads
    )


@pytest.mark.usefixtures("fresh_handler")
def test_a_redelivered_batch_writes_nothing_twice(stack: DeployedStack, stack_environment: dict[str, str]) -> None:
    records = put_and_read(stack, [{"device": "retry", "run": uuid.uuid4().hex}])
    event = kinesis_event(stack, records)
    processor.handler(event)
    processor.handler(event)
    assert len(stored_rows(processor._connection, [records[0]["SequenceNumber"]])) == 1


@pytest.mark.usefixtures("fresh_handler")
def test_a_poison_record_fails_its_batch_and_nothing_of_the_batch_is_stored(
    stack: DeployedStack, stack_environment: dict[str, str]
) -> None:
    records = put_and_read(stack, [{"device": "good", "run": uuid.uuid4().hex}])
    event = kinesis_event(stack, records)
    poison = json.loads(json.dumps(event["Records"][0]))
    poison["kinesis"]["data"] = base64.b64encode(b"not json").decode()
    poison["kinesis"]["sequenceNumber"] += "9"
    event["Records"].append(poison)
    with pytest.raises(processor.RecordDecodeError):
        processor.handler(event)
    assert stored_rows(processor._connection, [records[0]["SequenceNumber"]]) == []


@pytest.mark.usefixtures("fresh_handler")
def test_handler_connects_over_tls_with_the_credentials_of_the_deployed_secret(
    stack_environment: dict[str, str],
) -> None:
    connection = processor.connect()
    processor._connection = connection
    user, tls = connection.run("SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0]
    assert tls is True
    assert user != LOCAL_USER


# --- Against the database only: the DB_USER/DB_PASSWORD path ---------------------------------------------------------


def test_handler_verifies_the_server_certificate_when_asked(
    postgres: ThrowawayPostgres, local_login: dict[str, str]
) -> None:
    connection = processor.connect({**local_login, "DB_CA_BUNDLE": str(postgres.ca_bundle)})
    try:
        assert connection.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0][0] is True
    finally:
        connection.close()


def test_handler_refuses_a_server_its_ca_bundle_does_not_vouch_for(local_login: dict[str, str], tmp_path: Path) -> None:
    _, other_ca = self_signed_certificate(tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError):
        processor.connect({**local_login, "DB_CA_BUNDLE": str(other_ca)})


def test_a_wrong_password_is_refused(local_login: dict[str, str]) -> None:
    with pytest.raises(pg8000.native.DatabaseError, match="password authentication failed"):
        processor.connect({**local_login, "DB_PASSWORD": "wrong"})


def test_handler_creates_its_table_and_stores_a_batch_in_one_transaction(local_login: dict[str, str]) -> None:
    connection = processor.connect(local_login)
    try:
        event_records = [
            {
                "kinesis": {
                    "data": base64.b64encode(json.dumps({"n": index}).encode()).decode(),
                    "partitionKey": "local",
                    "sequenceNumber": f"local-{uuid.uuid4().hex}",
                    "approximateArrivalTimestamp": 1_700_000_000.5,
                }
            }
            for index in range(5)
        ]
        assert processor.store_records(connection, event_records) == 5
        numbers = [record["kinesis"]["sequenceNumber"] for record in event_records]
        rows = stored_rows(connection, numbers)
        assert sorted(payload["n"] for _, payload in rows) == list(range(5))
        arrived = connection.run(
            "SELECT DISTINCT extract(epoch FROM arrived_at) FROM stream_records WHERE sequence_number = ANY(:n)",
            n=numbers,
        )
        assert [float(value[0]) for value in arrived] == [1_700_000_000.5]
    finally:
        connection.close()
