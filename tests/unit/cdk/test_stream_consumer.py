"""StreamConsumerFunction: a SecureFunction plus the hardened Kinesis event source and its failure queue."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.secure_function import SecureFunction
from constructs_lib.cdk.secure_queue import DeadLetterQueue
from constructs_lib.cdk.stream_consumer import StreamConsumerFunction
from constructs_lib.policy import compute, services

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")


class Built(NamedTuple):
    stack: cdk.Stack
    resources: dict[str, Any]
    consumer: StreamConsumerFunction
    tuned: StreamConsumerFunction
    stream: kinesis.Stream
    topic: sns.Topic

    def props(self, construct: Any) -> dict[str, Any]:
        return self.resources[self.stack.get_logical_id(construct.node.default_child)]["Properties"]

    def ref(self, value: Any) -> Any:
        return self.stack.resolve(value)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    stack = cdk.Stack(app, "Consumers")
    stream = kinesis.Stream(stack, "Events", encryption=kinesis.StreamEncryption.KMS)
    topic = sns.Topic(stack, "Alarms")
    consumer = StreamConsumerFunction(
        stack, "Processor", stream=stream, code=CODE, handler="index.handler", alarm_topic=topic
    )
    tuned = StreamConsumerFunction(
        stack,
        "Tuned",
        stream=stream,
        code=CODE,
        handler="index.handler",
        vpc=consumer.vpc,
        encryption_key=consumer.encryption_key,
        event_source_overrides={"batch_size": 500},
    )
    resources = Template.from_stack(stack).to_json()["Resources"]
    return Built(stack, resources, consumer, tuned, stream, topic)


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request: pytest.FixtureRequest) -> Built:
    return build(request.param)


def mapping(b: Built, fn: StreamConsumerFunction) -> dict[str, Any]:
    (props,) = [
        r["Properties"]
        for r in b.resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping" and r["Properties"]["FunctionName"] == b.ref(fn.function_name)
    ]
    return props


def role_statements(b: Built, fn: StreamConsumerFunction) -> list[dict[str, Any]]:
    return b.props(fn.role.policy)["PolicyDocument"]["Statement"]


def test_the_consumer_is_a_secure_function(built: Built) -> None:
    assert isinstance(built.consumer, SecureFunction)
    assert built.props(built.consumer)["ReservedConcurrentExecutions"] == services.LAMBDA_RESERVED_CONCURRENCY


def test_event_source_reads_the_stream_with_the_policys_batching_and_retries(built: Built) -> None:
    props = mapping(built, built.consumer)
    assert props["EventSourceArn"] == built.ref(built.stream.stream_arn)
    assert props["StartingPosition"] == compute.STREAM_STARTING_POSITION
    assert props["BatchSize"] == services.STREAM_BATCH_SIZE
    assert props["BisectBatchOnFunctionError"] is services.STREAM_BISECT_ON_ERROR
    assert props["MaximumRetryAttempts"] == services.STREAM_MAX_RETRY_ATTEMPTS
    assert props["MaximumRecordAgeInSeconds"] == services.STREAM_MAX_RECORD_AGE_SECONDS


def test_a_batch_that_still_fails_goes_to_a_secure_queue_apart_from_the_async_one(built: Built) -> None:
    failures = built.consumer.stream_failure_queue
    destination = mapping(built, built.consumer)["DestinationConfig"]
    assert destination == {"OnFailure": {"Destination": built.ref(failures.queue_arn)}}
    assert isinstance(failures, DeadLetterQueue)
    assert built.ref(failures.queue_arn) != built.ref(built.consumer.dead_letter_queue.queue_arn)


def test_the_failure_queue_alarms_to_the_functions_topic(built: Built) -> None:
    for fn in (built.consumer, built.tuned):
        alarm = built.props(fn.stream_failure_queue.messages_visible_alarm)
        assert alarm["AlarmActions"] == [built.ref(fn.alarm_topic.topic_arn)]


def test_role_reads_the_stream_and_sends_only_to_its_failure_queue(built: Built) -> None:
    statements = role_statements(built, built.consumer)
    reads = [s for s in statements if s["Resource"] == built.ref(built.stream.stream_arn)]
    assert len(reads) == 1 and "kinesis:GetRecords" in reads[0]["Action"]
    queue_arn = built.ref(built.consumer.stream_failure_queue.queue_arn)
    assert {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": queue_arn} in statements


def test_an_event_source_override_is_applied_and_reported(built: Built) -> None:
    assert mapping(built, built.tuned)["BatchSize"] == 500
    Annotations.from_stack(built.stack).has_warning(
        f"/{built.tuned.node.path}", Match.string_like_regexp("'batch_size' overrides")
    )


def test_exposed_event_source_mapping_id_is_the_mapping(built: Built) -> None:
    (logical_id,) = [
        k for k, r in built.resources.items() if r["Type"] == "AWS::Lambda::EventSourceMapping" and "Processor" in k
    ]
    assert built.ref(built.consumer.event_source_mapping_id) == {"Ref": logical_id}
