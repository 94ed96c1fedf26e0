"""Event sources invoke their function from the deployed configuration: Kinesis batches from the starting
position, bisect-on-error and retries ending at the on-failure destination, SQS delete-on-success and redrive,
partial batch responses, S3 notifications with their filters; a poller survives what goes wrong."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lambda_zips import create_function

from scripts.emulator.runtime import event_sources, lifecycle
from tests.unit.local_aws import Account

RECORDER = """
import base64, json, os, time, uuid

def body(record):
    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).decode()
    if "s3" in record:
        return record["s3"]["object"]["key"]
    return record["body"]

def handler(event, context):
    bodies = [body(record) for record in event["Records"]]
    path = os.path.join(os.environ["RECORD_DIR"], f"{time.time_ns()}-{uuid.uuid4().hex}.json")
    with open(path, "w") as out:
        json.dump({"bodies": bodies, "event": event, "completed": False}, out)
    if "poison" in bodies:
        raise ValueError("poison record")
    retry = [record["messageId"] for record in event["Records"] if record.get("body") == "retry-me"]
    with open(path, "w") as out:
        json.dump({"bodies": bodies, "event": event, "completed": True}, out)
    return {"batchItemFailures": [{"itemIdentifier": item} for item in retry]}
"""


@pytest.fixture
def calls(tmp_path: Path) -> Callable[[], list[dict[str, Any]]]:
    """The recorder's invocations so far, oldest first (each: the batch's bodies and the event)."""
    directory = tmp_path / "calls"
    directory.mkdir()

    def read() -> list[dict[str, Any]]:
        return [json.loads(path.read_text()) for path in sorted(directory.iterdir())]

    read.directory = directory  # type: ignore[attr-defined]
    return read


def recorder(aws: Account, calls: Any, name: str = "recorder") -> str:
    return create_function(aws, name, RECORDER, {"RECORD_DIR": str(calls.directory)})


def wait_for(condition: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def stream(aws: Account, name: str = "events") -> str:
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def put(aws: Account, name: str, *bodies: str) -> list[str]:
    kinesis = aws.client("kinesis")
    return [
        kinesis.put_record(StreamName=name, Data=body.encode(), PartitionKey="k")["SequenceNumber"] for body in bodies
    ]


def queue(aws: Account, name: str, **attributes: str) -> tuple[str, str]:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def received(aws: Account, url: str) -> list[dict[str, Any]]:
    return aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])


def successful_bodies(calls: Any) -> list[str]:
    return [body for call in calls() if call["completed"] for body in call["bodies"]]


# --- Kinesis -----------------------------------------------------------------------------------------------------


def test_a_kinesis_mapping_delivers_records_in_batches_from_the_trim_horizon(aws: Account, calls: Any) -> None:
    arn = stream(aws)
    sequence = put(aws, "events", "r1", "r2", "r3", "r4", "r5")
    aws.client("lambda").create_event_source_mapping(
        FunctionName=recorder(aws, calls), EventSourceArn=arn, BatchSize=2, StartingPosition="TRIM_HORIZON"
    )
    wait_for(lambda: len(successful_bodies(calls)) == 5)
    assert [call["bodies"] for call in calls()] == [["r1", "r2"], ["r3", "r4"], ["r5"]]
    first = calls()[0]["event"]["Records"][0]
    assert (first["eventSource"], first["eventSourceARN"], first["awsRegion"]) == ("aws:kinesis", arn, aws.region)
    assert first["kinesis"]["sequenceNumber"] == sequence[0]
    assert first["eventID"].endswith(f":{sequence[0]}")
    assert base64.b64decode(first["kinesis"]["data"]) == b"r1"


def test_a_latest_mapping_skips_what_the_stream_held_before(aws: Account, calls: Any) -> None:
    arn = stream(aws)
    put(aws, "events", "old")
    aws.client("lambda").create_event_source_mapping(
        FunctionName=recorder(aws, calls), EventSourceArn=arn, StartingPosition="LATEST"
    )
    put(aws, "events", "new")
    wait_for(lambda: successful_bodies(calls))
    time.sleep(1)
    assert [call["bodies"] for call in calls()] == [["new"]]


def test_a_poison_record_is_isolated_by_bisecting_and_reaches_the_on_failure_queue(aws: Account, calls: Any) -> None:
    arn = stream(aws)
    failures_url, failures_arn = queue(aws, "failed-batches")
    sequence = put(aws, "events", "a", "b", "poison", "c")
    mapping = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "FunctionName": recorder(aws, calls),
            "EventSourceArn": arn,
            "BatchSize": 4,
            "StartingPosition": "TRIM_HORIZON",
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 0,
            "DestinationConfig": {"OnFailure": {"Destination": failures_arn}},
        },
    }
    assert aws.create_stack("consumer", {"Mapping": mapping})["StackStatus"] == "CREATE_COMPLETE"
    messages = wait_for(lambda: received(aws, failures_url))
    wait_for(lambda: sorted(successful_bodies(calls)) == ["a", "b", "c"])
    assert [call["bodies"] for call in calls()] == [
        ["a", "b", "poison", "c"],
        ["a", "b"],
        ["poison", "c"],
        ["poison"],
        ["c"],
    ]
    failure = json.loads(messages[0]["Body"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["responseContext"]["functionError"] == "Unhandled"
    batch = failure["KinesisBatchInfo"]
    assert (batch["startSequenceNumber"], batch["endSequenceNumber"], batch["batchSize"]) == (
        sequence[2],
        sequence[2],
        1,
    )
    assert (batch["streamArn"], batch["shardId"]) == (arn, "shardId-000000000000")


def test_a_failing_batch_is_retried_then_described_to_the_on_failure_topic(aws: Account, calls: Any) -> None:
    arn = stream(aws)
    sns = aws.client("sns")
    topic = sns.create_topic(Name="failed-batches")["TopicArn"]
    inbox_url, inbox_arn = queue(aws, "inbox")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    put(aws, "events", "poison", "later")
    aws.client("lambda").create_event_source_mapping(
        FunctionName=recorder(aws, calls),
        EventSourceArn=arn,
        StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": topic}},
    )
    messages = wait_for(lambda: received(aws, inbox_url))
    failure = json.loads(messages[0]["Body"])
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["KinesisBatchInfo"]["batchSize"] == 2
    assert [call["bodies"] for call in calls()] == [["poison", "later"], ["poison", "later"]]


def test_records_older_than_the_maximum_age_go_to_the_destination_unprocessed(aws: Account, calls: Any) -> None:
    from moto.kinesis.models import kinesis_backends

    arn = stream(aws)
    failures_url, failures_arn = queue(aws, "failed-batches")
    put(aws, "events", "stale")
    for shard in kinesis_backends[aws.account_id][aws.region].streams["events"].shards.values():
        for record in shard.records.values():
            record.created_at -= 3600  # arrived an hour ago
    put(aws, "events", "fresh")
    aws.client("lambda").create_event_source_mapping(
        FunctionName=recorder(aws, calls),
        EventSourceArn=arn,
        StartingPosition="TRIM_HORIZON",
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    failure = json.loads(wait_for(lambda: received(aws, failures_url))[0]["Body"])
    wait_for(lambda: successful_bodies(calls))
    assert [call["bodies"] for call in calls()] == [["fresh"]]
    assert (failure["requestContext"]["condition"], failure["KinesisBatchInfo"]["batchSize"]) == (
        "RecordAgeExceeded",
        1,
    )


def test_a_deleted_mapping_stops_polling(aws: Account, calls: Any) -> None:
    arn = stream(aws)
    client = aws.client("lambda")
    mapping = client.create_event_source_mapping(FunctionName=recorder(aws, calls), EventSourceArn=arn)
    assert f"event-source-mapping:{mapping['UUID']}" in lifecycle.running()
    client.delete_event_source_mapping(UUID=mapping["UUID"])
    assert f"event-source-mapping:{mapping['UUID']}" not in lifecycle.running()
    put(aws, "events", "unheard")
    time.sleep(1.5)
    assert calls() == []


def test_a_poller_outlives_a_missing_function_and_delivers_once_it_is_back(aws: Account, calls: Any) -> None:
    arn = stream(aws)
    client = aws.client("lambda")
    client.create_event_source_mapping(FunctionName=recorder(aws, calls), EventSourceArn=arn)
    client.delete_function(FunctionName="recorder")
    put(aws, "events", "waiting")
    time.sleep(1.5)
    recorder(aws, calls)
    wait_for(lambda: successful_bodies(calls))
    assert [call["bodies"] for call in calls()] == [["waiting"]]


# --- SQS ---------------------------------------------------------------------------------------------------------


def test_an_sqs_mapping_deletes_on_success_and_leaves_failures_for_the_redrive_policy(aws: Account, calls: Any) -> None:
    dlq_url, dlq_arn = queue(aws, "dead-letters")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = queue(aws, "work", VisibilityTimeout="1", RedrivePolicy=redrive)
    sqs = aws.client("sqs")
    for body in ("good", "poison"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    aws.client("lambda").create_event_source_mapping(FunctionName=recorder(aws, calls), EventSourceArn=arn, BatchSize=1)
    dead = wait_for(lambda: received(aws, dlq_url))
    assert [message["Body"] for message in dead] == ["poison"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (
        "0",
        "0",
    )
    bodies = [call["bodies"] for call in calls()]
    assert (bodies.count(["good"]), bodies.count(["poison"])) == (1, 2)
    record = calls()[0]["event"]["Records"][0]
    assert (record["eventSource"], record["eventSourceARN"], record["attributes"]["ApproximateReceiveCount"]) == (
        "aws:sqs",
        arn,
        "1",
    )


def test_reported_batch_item_failures_alone_stay_in_the_queue(aws: Account, calls: Any) -> None:
    url, arn = queue(aws, "work", VisibilityTimeout="60")
    sqs = aws.client("sqs")
    for body in ("a", "retry-me", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    aws.client("lambda").create_event_source_mapping(
        FunctionName=recorder(aws, calls), EventSourceArn=arn, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    wait_for(lambda: successful_bodies(calls))
    time.sleep(0.5)
    assert [call["bodies"] for call in calls()] == [["a", "retry-me", "b"]]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (
        "0",
        "1",
    )


# --- S3 ----------------------------------------------------------------------------------------------------------


def test_an_s3_put_under_the_prefix_and_suffix_triggers_the_function(aws: Account, calls: Any) -> None:
    function_arn = recorder(aws, calls)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="uploads", CreateBucketConfiguration={"LocationConstraint": aws.region})
    rules = [{"Name": "prefix", "Value": "incoming/"}, {"Name": "suffix", "Value": ".txt"}]
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "mask",
                    "LambdaFunctionArn": function_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": rules}},
                }
            ]
        },
    )
    for key in ("other/a.txt", "incoming/b.csv", "incoming/card numbers.txt"):
        s3.put_object(Bucket="uploads", Key=key, Body=b"4111 1111 1111 1111")
    wait_for(lambda: successful_bodies(calls))
    time.sleep(1)
    assert [call["bodies"] for call in calls()] == [["incoming/card+numbers.txt"]]
    record = calls()[0]["event"]["Records"][0]
    assert (record["eventSource"], record["eventName"], record["awsRegion"]) == (
        "aws:s3",
        "ObjectCreated:Put",
        aws.region,
    )
    assert (record["s3"]["bucket"]["name"], record["s3"]["configurationId"], record["s3"]["object"]["size"]) == (
        "uploads",
        "mask",
        19,
    )
    assert {"sequencer", "eTag"} <= set(record["s3"]["object"])
    assert {"userIdentity", "requestParameters", "responseElements"} <= set(record)


def test_poll_interval_is_not_a_busy_loop() -> None:
    assert event_sources.POLL_INTERVAL_SECONDS >= 0.5
