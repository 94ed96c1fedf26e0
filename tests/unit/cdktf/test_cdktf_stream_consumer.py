"""StreamConsumerFunction (cdktf): a SecureFunction plus the hardened Kinesis event source and its failure queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cdktf
import pytest
from tfjson import by_path, ref, resources, statement

from constructs_lib.policy import compute, services

HANDLER_DIR = Path(__file__).resolve().parents[3] / "stacks" / "pci_platform" / "handler"


@pytest.fixture(scope="module")
def synthesized(tf_app, tmp_path_factory) -> dict[str, Any]:
    """A stream and two consumers of it: one with the defaults, one with its batch size overridden."""
    from constructs_lib.cdktf.kinesis_stream import KinesisDataStream
    from constructs_lib.cdktf.provider import aws_provider
    from constructs_lib.cdktf.stream_consumer import StreamConsumerFunction

    app = cdktf.App(
        outdir=str(tmp_path_factory.mktemp("consumer")), context={"profile": "dev", "environmentSuffix": "t1"}
    )
    stack = cdktf.TerraformStack(app, "consumers")
    aws_provider(stack, "us-east-1", {"System": "consumers"})
    stream = KinesisDataStream(stack, "events")
    consumer = StreamConsumerFunction(stack, "fn", stream=stream, code_path=str(HANDLER_DIR), handler="app.handler")
    tuned = StreamConsumerFunction(
        stack,
        "tuned",
        stream=stream,
        code_path=str(HANDLER_DIR),
        handler="app.handler",
        network=consumer.network,
        event_source_overrides={"batch_size": 500},
    )
    app.synth()
    output = json.loads((Path(app.outdir) / "stacks" / "consumers" / "cdk.tf.json").read_text())
    output["warnings"] = {
        "fn": [e.data for e in consumer.node.metadata if e.type == "@cdktf/warn"],
        "tuned": [e.data for e in tuned.node.metadata if e.type == "@cdktf/warn"],
    }
    return output


def test_the_consumer_is_a_secure_function(synthesized):
    function = by_path(synthesized, "aws_lambda_function", "consumers/fn/function")
    assert function["reserved_concurrent_executions"] == services.LAMBDA_RESERVED_CONCURRENCY
    assert function["tracing_config"] == {"mode": "Active"}
    assert function["kms_key_arn"] == ref(synthesized, "aws_kms_key", "consumers/fn/key/key", "arn")


def test_event_source_reads_the_stream_with_the_policys_batching_and_retries(synthesized):
    mapping = by_path(synthesized, "aws_lambda_event_source_mapping", "consumers/fn/event-source")
    assert mapping["event_source_arn"] == ref(synthesized, "aws_kinesis_stream", "consumers/events/stream", "arn")
    assert mapping["function_name"] == ref(synthesized, "aws_lambda_function", "consumers/fn/function", "arn")
    assert mapping["starting_position"] == compute.STREAM_STARTING_POSITION
    assert mapping["batch_size"] == services.STREAM_BATCH_SIZE
    assert mapping["bisect_batch_on_function_error"] is services.STREAM_BISECT_ON_ERROR
    assert mapping["maximum_retry_attempts"] == services.STREAM_MAX_RETRY_ATTEMPTS
    assert mapping["maximum_record_age_in_seconds"] == services.STREAM_MAX_RECORD_AGE_SECONDS


def test_a_batch_that_still_fails_goes_to_an_encrypted_queue_apart_from_the_async_one(synthesized):
    mapping = by_path(synthesized, "aws_lambda_event_source_mapping", "consumers/fn/event-source")
    failures = ref(synthesized, "aws_sqs_queue", "consumers/fn/stream-dlq/queue", "arn")
    assert mapping["destination_config"]["on_failure"]["destination_arn"] == failures
    assert failures != ref(synthesized, "aws_sqs_queue", "consumers/fn/dlq/queue", "arn")
    queue = by_path(synthesized, "aws_sqs_queue", "consumers/fn/stream-dlq/queue")
    assert queue["kms_master_key_id"] == ref(synthesized, "aws_kms_key", "consumers/fn/key/key", "arn")


def test_the_failure_queue_alarms_to_the_functions_topic(synthesized):
    alarm = by_path(synthesized, "aws_cloudwatch_metric_alarm", "consumers/fn/stream-dlq/depth")
    assert alarm["alarm_actions"] == [ref(synthesized, "aws_sns_topic", "consumers/fn/alarms/topic", "arn")]


def test_role_reads_the_stream_and_sends_to_its_failure_queue_and_the_mapping_waits_for_it(synthesized):
    document = by_path(synthesized, "aws_iam_policy", "consumers/fn/role/policy-fn-stream")["policy"]
    read = statement(document, "ReadStream")
    assert read["Resource"] == ref(synthesized, "aws_kinesis_stream", "consumers/events/stream", "arn")
    assert "kinesis:GetRecords" in read["Action"]
    failures = ref(synthesized, "aws_sqs_queue", "consumers/fn/stream-dlq/queue", "arn")
    assert statement(document, "SendFailedBatches")["Resource"] == failures
    mapping = by_path(synthesized, "aws_lambda_event_source_mapping", "consumers/fn/event-source")
    assert any("fn_role_policy-fn-stream-attachment" in dep for dep in mapping["depends_on"])


def test_an_event_source_override_is_applied_and_reported(synthesized):
    mapping = by_path(synthesized, "aws_lambda_event_source_mapping", "consumers/tuned/event-source")
    assert mapping["batch_size"] == 500
    assert [w for w in synthesized["warnings"]["tuned"] if "'batch_size' overrides" in w]
    assert not [w for w in synthesized["warnings"]["fn"] if "overrides" in w]


def test_one_mapping_per_consumer(synthesized):
    assert len(resources(synthesized, "aws_lambda_event_source_mapping")) == 2
