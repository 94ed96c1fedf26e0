"""The runtime in the emulator server: a function reaches the emulator through AWS_ENDPOINT_URL; a reset and
stopping the server stop the database servers it started."""

from __future__ import annotations

import io
import json
import socket
import ssl
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pg8000.native
import pytest
from lambda_zips import TRUST, handler_zip

from scripts.emulator import server
from scripts.emulator.runtime import tls
from scripts.emulator.server import Emulator

REGION = "eu-west-1"

WRITER = """
import boto3

def handler(event, context):
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
    s3.put_object(Bucket=event["bucket"], Key="copied/" + event["key"], Body=body.upper())
    return {"copied": len(body)}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((server.HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def emulator(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    root = str(tmp_path_factory.mktemp("local-aws-state"))
    monkeypatch.setattr(server.tempfile, "gettempdir", lambda: root)
    started = Emulator(free_port())
    started.start()
    try:
        yield started
    finally:
        started.stop()


def client(emulator: Emulator, service: str) -> object:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=server.DUMMY_ACCESS_KEY,
        aws_secret_access_key=server.DUMMY_SECRET_KEY,
    )


def refused(endpoint: dict) -> bool:
    """True once nothing listens on the endpoint any more (within 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((endpoint["Address"], endpoint["Port"]), timeout=2).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.2)
    return False


def create_database(rds: object, identifier: str) -> dict:
    return rds.create_db_instance(  # type: ignore[attr-defined]
        DBInstanceIdentifier=identifier, Engine="postgres", DBInstanceClass="db.t4g.micro", AllocatedStorage=20,
        MasterUsername="records_admin", ManageMasterUserPassword=True,
    )["DBInstance"]["Endpoint"]  # fmt: skip


def test_a_function_calls_the_emulator_and_reset_and_stop_end_its_databases(emulator: Emulator) -> None:
    s3, iam, lambda_, rds = (client(emulator, name) for name in ("s3", "iam", "lambda", "rds"))
    s3.create_bucket(Bucket="data", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="data", Key="note.txt", Body=b"hello")
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lambda_.create_function(
        FunctionName="copier", Runtime="python3.11", Role=role, Handler="app.handler",
        Code={"ZipFile": handler_zip(WRITER)}, Timeout=30,
    )  # fmt: skip
    response = lambda_.invoke(FunctionName="copier", Payload=json.dumps({"bucket": "data", "key": "note.txt"}))
    assert json.loads(response["Payload"].read()) == {"copied": 5}, response.get("FunctionError")
    assert s3.get_object(Bucket="data", Key="copied/note.txt")["Body"].read() == b"HELLO"

    before_reset = create_database(rds, "records")
    socket.create_connection((before_reset["Address"], before_reset["Port"]), timeout=2).close()
    emulator.reset()
    assert refused(before_reset)
    before_stop = create_database(rds, "records")
    socket.create_connection((before_stop["Address"], before_stop["Port"]), timeout=2).close()
    assert emulator.stop()
    assert refused(before_stop)


def bundle(source: Path, dependencies: list[str], target: Path) -> bytes:
    """The zip the CDK stack deploys: the handler directory with its pure-Python dependencies vendored."""
    from constructs_lib.cdk.lambda_code import VendoredDependencies

    VendoredDependencies(source, dependencies).try_bundle(str(target))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(target.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(target).as_posix())
    return buffer.getvalue()


def test_the_stream_processor_stores_kinesis_records_in_rds_and_sends_the_poison_one_away(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Seed 002 on the emulator: Kinesis -> Lambda (the stack's handler and zip) -> RDS PostgreSQL, bisect-on-error;
    the test verifies the database's certificate with the CA the server hands out."""
    from stacks.stream_processor.stack import HANDLER_DIR

    kinesis, sqs, iam, lambda_, rds = (client(emulator, name) for name in ("kinesis", "sqs", "iam", "lambda", "rds"))
    database = rds.create_db_instance(
        DBInstanceIdentifier="events-db", Engine="postgres", DBInstanceClass="db.t4g.micro", AllocatedStorage=20,
        DBName="events", MasterUsername="events_admin", ManageMasterUserPassword=True,
    )["DBInstance"]  # fmt: skip
    kinesis.create_stream(StreamName="events", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName="events")["StreamDescription"]["StreamARN"]
    failures = sqs.create_queue(QueueName="failed-batches")["QueueUrl"]
    failures_arn = sqs.get_queue_attributes(QueueUrl=failures, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    role = iam.create_role(RoleName="consumer", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lambda_.create_function(
        FunctionName="consumer", Runtime="python3.11", Role=role, Handler="processor.handler", Timeout=30,
        Code={"ZipFile": bundle(HANDLER_DIR, ["pg8000"], tmp_path / "bundle")},
        Environment={"Variables": {
            "DB_HOST": database["Endpoint"]["Address"], "DB_PORT": str(database["Endpoint"]["Port"]),
            "DB_NAME": "events", "DB_SECRET_ARN": database["MasterUserSecret"]["SecretArn"],
        }},
    )  # fmt: skip
    lambda_.create_event_source_mapping(
        FunctionName="consumer", EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON", BatchSize=10,
        BisectBatchOnFunctionError=True, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )  # fmt: skip
    for data in (b'{"n": 1}', b'{"n": 2}', b"not json", b'{"n": 3}'):
        kinesis.put_record(StreamName="events", Data=data, PartitionKey="k")

    deadline = time.monotonic() + 60
    messages: list = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=failures, WaitTimeSeconds=1).get("Messages", [])
    assert messages, "the poison record never reached the on-failure queue"
    assert json.loads(messages[0]["Body"])["KinesisBatchInfo"]["batchSize"] == 1
    secret = json.loads(
        client(emulator, "secretsmanager").get_secret_value(SecretId=database["MasterUserSecret"]["SecretArn"])[
            "SecretString"
        ]
    )
    with urllib.request.urlopen(emulator.endpoint_url + tls.CA_PATH, timeout=5) as response:  # a local URL
        context = ssl.create_default_context(cadata=response.read().decode())
    endpoint = database["Endpoint"]
    session = pg8000.native.Connection(
        user=secret["username"], password=secret["password"], host=endpoint["Address"], port=endpoint["Port"],
        database="events", ssl_context=context,
    )  # fmt: skip
    rows: list = []
    while len(rows) < 3 and time.monotonic() < deadline:  # the record after the poison one is delivered last
        rows = session.run("SELECT payload->>'n' FROM stream_records ORDER BY sequence_number")
        time.sleep(0.2)
    session.close()
    assert rows == [["1"], ["2"], ["3"]]


def test_the_pci_masking_function_masks_an_upload_under_incoming(emulator: Emulator, tmp_path: Path) -> None:
    """Seed 004 on the emulator: an object under incoming/ triggers the masking function, whose copy lands under
    processed/ (the stack's handler; its prefixes are the stack's, read here from its source to skip the cdktf
    import)."""
    from scripts import ROOT

    s3, iam, lambda_ = (client(emulator, name) for name in ("s3", "iam", "lambda"))
    s3.create_bucket(Bucket="cardholder-data", CreateBucketConfiguration={"LocationConstraint": REGION})
    role = iam.create_role(RoleName="masker", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    function_arn = lambda_.create_function(
        FunctionName="masker", Runtime="python3.11", Role=role, Handler="app.handler", Timeout=30,
        Code={"ZipFile": bundle(ROOT / "stacks/pci_platform/handler", [], tmp_path / "bundle")},
        Environment={"Variables": {"INCOMING_PREFIX": "incoming/", "PROCESSED_PREFIX": "processed/"}},
    )["FunctionArn"]  # fmt: skip
    s3.put_bucket_notification_configuration(
        Bucket="cardholder-data",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": function_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}},
                }
            ]
        },
    )
    s3.put_object(Bucket="cardholder-data", Key="incoming/batch 1.txt", Body=b"paid with 4111 1111 1111 1111 today")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = s3.list_objects_v2(Bucket="cardholder-data", Prefix="processed/").get("Contents", [])
        if listed:
            break
        time.sleep(0.2)
    masked = s3.get_object(Bucket="cardholder-data", Key="processed/batch 1.txt")["Body"].read()
    assert masked == b"paid with ************1111 today"
