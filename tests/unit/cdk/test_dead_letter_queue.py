"""DeadLetterQueue: CMK encryption, TLS only, 14-day retention and an alarm on the first dead-lettered message."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.secure_queue import DeadLetterQueue
from constructs_lib.policy import ConfigurationError, alarms, naming, retention


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    resources: dict[str, Any]
    queue: DeadLetterQueue
    notifying: DeadLetterQueue
    short: DeadLetterQueue
    topic: sns.Topic

    def entry(self, construct: Any) -> dict[str, Any]:
        return self.resources[self.stack.get_logical_id(construct.node.default_child)]

    def ref(self, value: Any) -> Any:
        return self.stack.resolve(value)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    stack = cdk.Stack(app, "Queues")
    queue = DeadLetterQueue(stack, "OrdersDlq")
    key = EncryptionKey(stack, "Key")
    topic = sns.Topic(stack, "Alarms", master_key=key)
    notifying = DeadLetterQueue(stack, "Notifying", encryption_key=key, name_prefix="payments-dlq", alarm_topic=topic)
    short = DeadLetterQueue(stack, "Short", encryption_key=key, retention_period=cdk.Duration.days(1))
    template = Template.from_stack(stack)
    return Built(stack, template, template.to_json()["Resources"], queue, notifying, short, topic)


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request: pytest.FixtureRequest) -> Built:
    return build(request.param)


def alarm(b: Built, queue: DeadLetterQueue) -> dict[str, Any]:
    return b.resources[b.stack.get_logical_id(queue.messages_visible_alarm.node.default_child)]["Properties"]


def test_queue_is_encrypted_with_a_customer_managed_key(built: Built) -> None:
    props = built.entry(built.queue)["Properties"]
    assert props["KmsMasterKeyId"] == built.ref(built.queue.encryption_master_key.key_arn)
    assert built.queue.encryption_master_key.node.id == "OrdersDlqKey"
    assert built.entry(built.notifying)["Properties"]["KmsMasterKeyId"] == built.ref(
        built.notifying.encryption_master_key.key_arn
    )


def test_requests_not_made_over_tls_are_denied(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [built.ref(built.queue.queue_url)],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                "Principal": "*",
                            }
                        )
                    ]
                )
            },
        },
    )


def test_messages_are_kept_the_policy_retention_and_the_queue_is_named_from_its_prefix(built: Built) -> None:
    props = built.entry(built.queue)["Properties"]
    assert props["MessageRetentionPeriod"] == retention.DEAD_LETTER_RETENTION_SECONDS
    suffix = built.stack.node.try_get_context("environmentSuffix")
    assert props["QueueName"] == naming.resource_name("sqs_queue", "orders-dlq", suffix)
    assert built.entry(built.notifying)["Properties"]["QueueName"] == naming.resource_name(
        "sqs_queue", "payments-dlq", suffix
    )


def test_alarm_fires_on_the_first_visible_message(built: Built) -> None:
    props = alarm(built, built.queue)
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert props["Namespace"] == "AWS/SQS"
    assert props["Dimensions"] == [{"Name": "QueueName", "Value": built.ref(built.queue.queue_name)}]
    assert props["Threshold"] == alarms.QUEUE_HAS_MESSAGES.threshold == 1
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["Period"] == alarms.QUEUE_HAS_MESSAGES.period_seconds
    assert props["TreatMissingData"] == "notBreaching"


def test_alarm_tells_the_given_topic_else_its_own_alarm_topic_on_breach_and_recovery(built: Built) -> None:
    own_topic = built.queue.alarm_topic
    assert isinstance(own_topic, AlarmTopic)
    assert own_topic.node.id == "OrdersDlqAlarms"
    props = alarm(built, built.queue)
    assert props["AlarmActions"] == props["OKActions"] == [built.ref(own_topic.topic_arn)]
    assert alarm(built, built.notifying)["AlarmActions"] == [built.ref(built.topic.topic_arn)]
    suffix = built.stack.node.try_get_context("environmentSuffix")
    assert alarm(built, built.notifying)["AlarmName"] == naming.resource_name(
        "cloudwatch_alarm", "payments-dlq-messages-visible", suffix
    )


def test_dev_deletes_the_queue_prod_retains_what_failed() -> None:
    assert build("dev").entry(build("dev").queue)["DeletionPolicy"] == "Delete"
    assert build("prod").entry(build("prod").queue)["DeletionPolicy"] == "Retain"


def test_a_shorter_retention_is_applied_and_reported(built: Built) -> None:
    assert built.entry(built.short)["Properties"]["MessageRetentionPeriod"] == 86_400
    Annotations.from_stack(built.stack).has_warning(
        f"/{built.short.node.path}", Match.string_like_regexp("'retention_period' overrides")
    )


def test_a_name_too_long_for_sqs_fails_at_synth() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "LongName")
    with pytest.raises(ConfigurationError, match="sqs_queue"):
        DeadLetterQueue(stack, "Dlq", name_prefix="q" * 80)
