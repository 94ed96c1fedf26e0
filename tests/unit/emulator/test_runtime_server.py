"""The runtime in the emulator server: a function reaches the emulator through AWS_ENDPOINT_URL; a reset and
stopping the server stop the database servers it started."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import boto3
import pytest
from lambda_zips import TRUST, handler_zip

from scripts.emulator import server
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
