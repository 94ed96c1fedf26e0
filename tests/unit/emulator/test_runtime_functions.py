"""Lambda functions run their deployed Python code: result, error, timeout, environment, the runtime's libraries,
asynchronous invocation, logs, and code deployed by CloudFormation from S3."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

from lambda_zips import RUNTIME, create_function, handler_zip, invoke, role_arn

from scripts.emulator.runtime import functions, lifecycle
from tests.unit.local_aws import Account

ECHO = """
import os

def handler(event, context):
    return {
        "sum": event["a"] + event["b"],
        "greeting": os.environ["GREETING"],
        "endpoint": os.environ["AWS_ENDPOINT_URL"],
        "region": os.environ["AWS_REGION"],
        "function": context.function_name,
        "remaining": context.get_remaining_time_in_millis() > 0,
    }
"""

FLAKY = """
import os

def handler(event, context):
    with open(os.environ["RUNS"], "a") as runs:
        runs.write("run\\n")
    raise RuntimeError("downstream unavailable")
"""

BROKEN = """
def handler(event, context):
    raise ValueError(f"cannot process {event['id']}")
"""


def test_an_invoked_function_returns_its_handlers_result(aws: Account) -> None:
    create_function(aws, "echo", ECHO, {"GREETING": "hello"})
    response, payload = invoke(aws, "echo", {"a": 2, "b": 3})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert payload == {
        "sum": 5,
        "greeting": "hello",
        "endpoint": functions.endpoint_url(),
        "region": aws.region,
        "function": "echo",
        "remaining": True,
    }


def test_a_handler_that_raises_answers_function_error_with_the_runtimes_error_shape(aws: Account) -> None:
    create_function(aws, "broken", BROKEN)
    response, payload = invoke(aws, "broken", {"id": "r-1"})
    assert response["FunctionError"] == "Unhandled"
    assert (payload["errorType"], payload["errorMessage"]) == ("ValueError", "cannot process r-1")
    assert any("app.py" in line for line in payload["stackTrace"])


def test_a_function_that_overruns_its_timeout_is_stopped(aws: Account) -> None:
    create_function(aws, "slow", "import time\ndef handler(event, context):\n    time.sleep(30)\n", timeout=1)
    started = time.monotonic()
    response, payload = invoke(aws, "slow", {})
    assert time.monotonic() - started < 10
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]


def test_a_function_sees_boto3_but_not_what_its_zip_does_not_carry(aws: Account) -> None:
    create_function(aws, "imports", "import boto3\nimport pg8000\ndef handler(event, context):\n    return 1\n")
    create_function(aws, "sdk", "import boto3\ndef handler(event, context):\n    return boto3.__name__\n")
    response, payload = invoke(aws, "imports", {})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert "pg8000" in payload["errorMessage"]
    assert invoke(aws, "sdk", {})[1] == "boto3"


def test_code_that_is_no_python_zip_answers_an_error_not_a_crash(aws: Account) -> None:
    client = aws.client("lambda")
    client.create_function(
        FunctionName="not-a-zip", Runtime=RUNTIME, Role=role_arn(aws), Handler="app.handler", Code={"ZipFile": b"x"}
    )
    client.create_function(
        FunctionName="node", Runtime="nodejs20.x", Role=role_arn(aws), Handler="index.handler",
        Code={"ZipFile": handler_zip("exports.handler = async () => 1;", module="index")},
    )  # fmt: skip
    assert invoke(aws, "not-a-zip", {})[1]["errorType"] == "InvalidZipFileException"
    assert invoke(aws, "node", {})[1]["errorType"] == "Runtime.InvalidRuntime"


def test_an_asynchronous_invocation_answers_at_once_and_runs_later(aws: Account, tmp_path: Path) -> None:
    marker = tmp_path / "ran.json"
    source = "import json, os, time\ndef handler(event, context):\n    time.sleep(1)\n"
    source += "    open(os.environ['MARKER'], 'w').write(json.dumps(event))\n"
    create_function(aws, "later", source, {"MARKER": str(marker)})
    response, _ = invoke(aws, "later", {"n": 1}, InvocationType="Event")
    assert response["StatusCode"] == 202
    assert not marker.exists()
    deadline = time.monotonic() + 15
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert json.loads(marker.read_text()) == {"n": 1}


def test_what_a_handler_prints_is_in_its_log_group_and_the_log_tail(aws: Account) -> None:
    create_function(aws, "talker", "def handler(event, context):\n    print('processing', event['id'])\n")
    response, payload = invoke(aws, "talker", {"id": 7}, LogType="Tail")
    assert payload is None
    assert "processing 7" in base64.b64decode(response["LogResult"]).decode()
    logs = aws.client("logs")
    events = logs.filter_log_events(logGroupName="/aws/lambda/talker")["events"]
    messages = [event["message"] for event in events]
    assert "processing 7" in messages
    assert any(message.startswith("REPORT RequestId:") for message in messages)


def test_a_function_deployed_by_cloudformation_from_s3_runs_its_code(aws: Account) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="assets", CreateBucketConfiguration={"LocationConstraint": aws.region})
    s3.put_object(Bucket="assets", Key="code.zip", Body=handler_zip(ECHO, module="index"))
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": "deployed",
            "Runtime": RUNTIME,
            "Handler": "index.handler",
            "Role": role_arn(aws),
            "Code": {"S3Bucket": "assets", "S3Key": "code.zip"},
            "Environment": {"Variables": {"GREETING": "from cloudformation"}},
        },
    }
    assert aws.create_stack("fn", {"Function": function})["StackStatus"] == "CREATE_COMPLETE"
    _, payload = invoke(aws, "deployed", {"a": 1, "b": 1})
    assert (payload["sum"], payload["greeting"]) == (2, "from cloudformation")


def test_a_reset_stops_what_the_runtime_started(aws: Account) -> None:
    stopped = []
    lifecycle.keep("test-poller", lambda: stopped.append("poller"))
    assert "test-poller" in lifecycle.running()
    aws.client("lambda").list_functions()
    from moto.core.base_backend import BackendDict

    BackendDict.reset()
    assert stopped == ["poller"]
    assert "test-poller" not in lifecycle.running()


def test_a_failed_asynchronous_invocation_is_retried_then_sent_to_its_dead_letter_queue_and_destination(
    aws: Account, tmp_path: Path
) -> None:
    sqs = aws.client("sqs")
    queues = {}
    for name in ("dead-letters", "failures"):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        queues[name] = (
            url,
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"],
        )
    runs = tmp_path / "runs.txt"
    create_function(aws, "flaky", FLAKY, {"RUNS": str(runs)}, DeadLetterConfig={"TargetArn": queues["dead-letters"][1]})
    aws.client("lambda").put_function_event_invoke_config(
        FunctionName="flaky",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queues["failures"][1]}},
    )
    invoke(aws, "flaky", {"order": 7}, InvocationType="Event")

    def first_message(name: str) -> dict | None:
        received = sqs.receive_message(QueueUrl=queues[name][0], MessageAttributeNames=["All"]).get("Messages")
        return received[0] if received else None

    deadline = time.monotonic() + 20
    dead = None
    while dead is None and time.monotonic() < deadline:
        dead = first_message("dead-letters")
        time.sleep(0.2)
    assert dead is not None, "nothing reached the dead-letter queue"
    assert json.loads(dead["Body"]) == {"order": 7}
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == "downstream unavailable"
    record = json.loads(first_message("failures")["Body"])
    assert (record["requestContext"]["condition"], record["requestContext"]["approximateInvokeCount"]) == (
        "RetriesExhausted",
        2,
    )
    assert (record["requestPayload"], record["responsePayload"]["errorType"]) == ({"order": 7}, "RuntimeError")
    assert runs.read_text().splitlines() == ["run", "run"]
