"""SecureQueue: a CMK-encrypted, TLS-only work queue that redrives to its own DeadLetterQueue, and only it may."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.secure_queue import DeadLetterQueue, SecureQueue
from constructs_lib.policy import ConfigurationError, naming, services


class Built(NamedTuple):
    stack: cdk.Stack
    resources: dict[str, Any]
    queue: SecureQueue
    notifying: SecureQueue
    renamed: SecureQueue
    key: EncryptionKey
    topic: sns.Topic

    def entry(self, construct: Any) -> dict[str, Any]:
        return self.resources[self.stack.get_logical_id(construct.node.default_child)]

    def ref(self, value: Any) -> Any:
        return self.stack.resolve(value)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    stack = cdk.Stack(app, "Queues")
    queue = SecureQueue(stack, "Jobs")
    key = EncryptionKey(stack, "Key")
    topic = sns.Topic(stack, "Alarms", master_key=key)
    notifying = SecureQueue(stack, "Notifying", encryption_key=key, name_prefix="video-jobs", alarm_topic=topic)
    renamed = SecureQueue(stack, "Renamed", encryption_key=key, queue_name="legacy-jobs")
    resources = Template.from_stack(stack).to_json()["Resources"]
    return Built(stack, resources, queue, notifying, renamed, key, topic)


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request: pytest.FixtureRequest) -> Built:
    return build(request.param)


def test_both_queues_are_encrypted_with_the_same_customer_managed_key(built: Built) -> None:
    own_key = built.queue.encryption_master_key
    assert isinstance(own_key, EncryptionKey) and own_key.node.id == "JobsKey"
    assert built.entry(built.queue)["Properties"]["KmsMasterKeyId"] == built.ref(own_key.key_arn)
    assert built.entry(built.queue.dead_letter)["Properties"]["KmsMasterKeyId"] == built.ref(own_key.key_arn)
    given = built.ref(built.key.key_arn)
    assert built.entry(built.notifying)["Properties"]["KmsMasterKeyId"] == given
    assert built.entry(built.notifying.dead_letter)["Properties"]["KmsMasterKeyId"] == given


def test_both_queues_deny_requests_not_made_over_tls(built: Built) -> None:
    for queue in (built.queue, built.queue.dead_letter):
        (policy,) = [
            r["Properties"]
            for r in built.resources.values()
            if r["Type"] == "AWS::SQS::QueuePolicy" and r["Properties"]["Queues"] == [built.ref(queue.queue_url)]
        ]
        (statement,) = policy["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
        assert statement["Action"] == "sqs:*"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_a_message_that_keeps_failing_moves_to_its_own_dead_letter_queue(built: Built) -> None:
    assert isinstance(built.queue.dead_letter, DeadLetterQueue)
    assert built.entry(built.queue)["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": built.ref(built.queue.dead_letter.queue_arn),
        "maxReceiveCount": services.STREAM_MAX_RETRY_ATTEMPTS,
    }


def test_only_the_work_queue_may_redrive_into_its_dead_letter_queue(built: Built) -> None:
    for queue in (built.queue, built.renamed):
        allow = built.entry(queue.dead_letter)["Properties"]["RedriveAllowPolicy"]
        assert allow["redrivePermission"] == "byQueue"
        (source,) = allow["sourceQueueArns"]
        parts = source["Fn::Join"][1]
        assert parts[2] == ":sqs:"
        assert parts[-1] == f":{built.entry(queue)['Properties']['QueueName']}"


def test_queues_are_named_from_the_prefix_and_the_dead_letter_queue_after_the_work_queue(built: Built) -> None:
    suffix = built.stack.node.try_get_context("environmentSuffix")
    assert built.entry(built.queue)["Properties"]["QueueName"] == naming.resource_name("sqs_queue", "jobs", suffix)
    assert built.entry(built.notifying)["Properties"]["QueueName"] == naming.resource_name(
        "sqs_queue", "video-jobs", suffix
    )
    assert built.entry(built.notifying.dead_letter)["Properties"]["QueueName"] == naming.resource_name(
        "sqs_queue", "video-jobs-dlq", suffix
    )


def test_the_dead_letter_queue_alarms_to_the_given_topic(built: Built) -> None:
    alarm = built.entry(built.notifying.dead_letter.messages_visible_alarm)["Properties"]
    assert alarm["AlarmActions"] == alarm["OKActions"] == [built.ref(built.topic.topic_arn)]
    assert built.notifying.dead_letter.alarm_topic is built.topic


def test_dev_deletes_the_work_queue_prod_retains_it() -> None:
    assert build("dev").entry(build("dev").queue)["DeletionPolicy"] == "Delete"
    assert build("prod").entry(build("prod").queue)["DeletionPolicy"] == "Retain"


def test_a_replaced_name_is_applied_and_reported(built: Built) -> None:
    assert built.entry(built.renamed)["Properties"]["QueueName"] == "legacy-jobs"
    Annotations.from_stack(built.stack).has_warning(
        f"/{built.renamed.node.path}", Match.string_like_regexp("'queue_name' overrides")
    )


def test_a_name_too_long_for_sqs_fails_at_synth() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "LongName")
    with pytest.raises(ConfigurationError, match="sqs_queue"):
        SecureQueue(stack, "Jobs", name_prefix="q" * 80)
