"""SecureQueue and DeadLetterQueue: SQS queues encrypted with a customer-managed key, TLS-only, alarmed."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from cdktf_cdktf_provider_aws.sqs_queue_redrive_allow_policy import SqsQueueRedriveAllowPolicy
from constructs import Construct

from constructs_lib.cdktf.alarm_topic import AlarmTopic
from constructs_lib.cdktf.alarms import metric_alarm
from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.iam import policy_document
from constructs_lib.policy import alarms, naming, retention, services, storage


def _tls_only(scope: Construct, queue: SqsQueue) -> SqsQueuePolicy:
    """The queue policy denying every request not made over TLS (``storage.deny_without_tls``)."""
    return SqsQueuePolicy(
        scope,
        "tls-only",
        queue_url=queue.url,
        policy=policy_document([storage.deny_without_tls("sqs:*", queue.arn, "DenyRequestsWithoutTls")]),
    )


class DeadLetterQueue(Construct):
    """A queue for messages that failed, secure with no arguments (the cdktf twin of the CDK ``DeadLetterQueue``).

    KMS-encrypted (``encryption_key`` or a key of its own), TLS-only, keeps messages the maximum 14 days so failures
    can be inspected, and alarms as soon as one message arrives (``alarms.QUEUE_HAS_MESSAGES``: a dead letter is a
    failure), notifying ``alarm_topic`` when given.

    Example::

        dlq = DeadLetterQueue(self, "function-dlq", name_prefix="processor-dlq", encryption_key=key, alarm_topic=topic)

    Any ``SqsQueue`` argument may be passed; replacing a hardened value is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        alarm_topic: AlarmTopic | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        base = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"queue {self.node.path}")
        self.encryption_key = encryption_key
        defaults: dict[str, Any] = {
            "name": naming.resource_name("sqs_queue", base, settings.environment_suffix),
            "kms_master_key_id": encryption_key.arn,
            "message_retention_seconds": retention.DEAD_LETTER_RETENTION_SECONDS,
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.queue = SqsQueue(self, "queue", **props)
        warn_overrides(self, changed)
        self.policy = _tls_only(self, self.queue)
        self.depth_alarm = metric_alarm(
            self,
            "depth",
            alarms.QUEUE_HAS_MESSAGES,
            resource=self.queue.name,
            name_prefix=base,
            topic=alarm_topic,
        )

    @property
    def arn(self) -> str:
        return self.queue.arn

    @property
    def url(self) -> str:
        return self.queue.url

    @property
    def name(self) -> str:
        return self.queue.name


class SecureQueue(Construct):
    """A work queue with its dead-letter queue, secure with no arguments.

    Both queues KMS-encrypted and TLS-only; a message that fails ``maxReceiveCount`` times (the policy's retry
    count) moves to the :class:`DeadLetterQueue` (``<name_prefix>-dlq``), and only this queue may redrive into it.
    The DLQ alarms on its first message.

    Example::

        jobs = SecureQueue(self, "jobs", name_prefix="video-jobs", encryption_key=key, alarm_topic=topic)
        jobs.dead_letter.url  # for a test that checks failures land there

    Any ``SqsQueue`` argument of the work queue may be passed; replacing a hardened value is reported at synth.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        alarm_topic: AlarmTopic | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        base = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"queue {self.node.path}")
        self.encryption_key = encryption_key
        self.dead_letter = DeadLetterQueue(
            self, "dlq", name_prefix=f"{base}-dlq", encryption_key=encryption_key, alarm_topic=alarm_topic
        )
        defaults: dict[str, Any] = {
            "name": naming.resource_name("sqs_queue", base, settings.environment_suffix),
            "kms_master_key_id": encryption_key.arn,
            "redrive_policy": json.dumps(
                {"deadLetterTargetArn": self.dead_letter.arn, "maxReceiveCount": services.STREAM_MAX_RETRY_ATTEMPTS}
            ),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.queue = SqsQueue(self, "queue", **props)
        warn_overrides(self, changed)
        self.policy = _tls_only(self, self.queue)
        SqsQueueRedriveAllowPolicy(
            self,
            "redrive-allow",
            queue_url=self.dead_letter.url,
            redrive_allow_policy=json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [self.queue.arn]}),
        )

    @property
    def arn(self) -> str:
        return self.queue.arn

    @property
    def url(self) -> str:
        return self.queue.url

    @property
    def name(self) -> str:
        return self.queue.name
