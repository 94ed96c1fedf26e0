"""DeadLetterQueue and SecureQueue: SQS queues under a CMK, TLS only; a dead letter raises an alarm."""

from __future__ import annotations

from typing import Any, cast

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.alarms import alarm
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings, storage_removal_policy
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.policy import alarms, naming, retention, services, storage


def _deny_without_tls(queue: sqs.Queue) -> None:
    """Add the statement denying every request not made over TLS (``storage.deny_without_tls``) to the queue policy."""
    queue.add_to_resource_policy(
        iam.PolicyStatement.from_json(storage.deny_without_tls("sqs:*", queue.queue_arn, "DenyRequestsWithoutTls"))
    )


class DeadLetterQueue(sqs.Queue):
    """SQS queue meant as a dead-letter queue, secure with no arguments.

    - Encrypted with a customer-managed key (its own :class:`EncryptionKey` when none is given); a policy denies
      every request not made over TLS.
    - Messages kept the maximum 14 days so a failure can still be inspected after a long weekend.
    - ``messages_visible_alarm`` (``alarms.QUEUE_HAS_MESSAGES``) fires on the first message visible: a
      dead-lettered message is a failure someone must look at. It notifies ``alarm_topic`` on breach and recovery
      (else its own :class:`AlarmTopic`, ``<id>Alarms``: an alarm nobody hears protects nothing).
    - Name ``<name_prefix>-<suffix>``; removal from the profile (dev deletes, prod retains what failed).

    Example::

        dlq = DeadLetterQueue(self, "OrdersDlq", encryption_key=key, name_prefix="orders-dlq", alarm_topic=topic)

    Any ``sqs.Queue`` prop may be passed; overriding a hardened default is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey | None = None,
        name_prefix: str | None = None,
        alarm_topic: sns.ITopic | None = None,
        **overrides: Any,
    ) -> None:
        settings = deployment_settings(scope)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        name = naming.resource_name("sqs_queue", prefix, settings.environment_suffix)
        if encryption_key is None:
            encryption_key = EncryptionKey(scope, f"{construct_id}Key", description=f"queue {name}")
        defaults: dict[str, Any] = {
            "queue_name": name,
            "encryption": sqs.QueueEncryption.KMS,
            "encryption_master_key": encryption_key,
            "enforce_ssl": storage.ENFORCE_TLS,
            "retention_period": Duration.seconds(retention.DEAD_LETTER_RETENTION_SECONDS),
            "removal_policy": storage_removal_policy(scope),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        enforce_tls = props.pop("enforce_ssl")
        super().__init__(scope, construct_id, **props)
        if enforce_tls:
            _deny_without_tls(self)
        warn_overrides(self, changed)

        if alarm_topic is None:
            alarm_topic = AlarmTopic(
                scope,
                f"{construct_id}Alarms",
                name_prefix=f"{prefix}-{storage.ALARM_TOPIC_BASE_SUFFIX}",
                encryption_key=encryption_key,
            )
        self.alarm_topic = alarm_topic
        self.messages_visible_alarm = alarm(
            self,
            "MessagesVisibleAlarm",
            alarms.QUEUE_HAS_MESSAGES,
            resource=self.queue_name,
            name_prefix=prefix,
            topic=alarm_topic,
        )


class SecureQueue(sqs.Queue):
    """A work queue with its dead-letter queue, secure with no arguments.

    - Both queues encrypted with a customer-managed key (its own :class:`EncryptionKey` when none is given) and
      TLS-only.
    - A message received ``services.STREAM_MAX_RETRY_ATTEMPTS`` times without being deleted moves to
      ``dead_letter``, a :class:`DeadLetterQueue` (``<name_prefix>-dlq``, alarm on its first message to
      ``alarm_topic``, else its own :class:`AlarmTopic`), and only this queue may redrive into it.
    - Name ``<name_prefix>-<suffix>``; removal from the profile.

    Example::

        jobs = SecureQueue(self, "Jobs", name_prefix="video-jobs", encryption_key=key, alarm_topic=topic)
        jobs.dead_letter.queue_url  # for a test that checks failures land there

    Any ``sqs.Queue`` prop of the work queue may be passed; overriding a hardened default is reported as a synth
    warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey | None = None,
        name_prefix: str | None = None,
        alarm_topic: sns.ITopic | None = None,
        **overrides: Any,
    ) -> None:
        settings = deployment_settings(scope)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        name = naming.resource_name("sqs_queue", prefix, settings.environment_suffix)
        if encryption_key is None:
            encryption_key = EncryptionKey(scope, f"{construct_id}Key", description=f"queue {name}")
        self.dead_letter = DeadLetterQueue(
            scope,
            f"{construct_id}Dlq",
            encryption_key=encryption_key,
            name_prefix=f"{prefix}-dlq",
            alarm_topic=alarm_topic,
        )
        defaults: dict[str, Any] = {
            "queue_name": name,
            "encryption": sqs.QueueEncryption.KMS,
            "encryption_master_key": encryption_key,
            "enforce_ssl": storage.ENFORCE_TLS,
            "dead_letter_queue": sqs.DeadLetterQueue(
                queue=self.dead_letter, max_receive_count=services.STREAM_MAX_RETRY_ATTEMPTS
            ),
            "removal_policy": storage_removal_policy(scope),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        enforce_tls = props.pop("enforce_ssl")
        super().__init__(scope, construct_id, **props)
        if enforce_tls:
            _deny_without_tls(self)
        warn_overrides(self, changed)
        # The ARN from the name: a reference to this queue would close a cycle with its redrive policy.
        source_arn = Stack.of(self).format_arn(service="sqs", resource=props["queue_name"])
        cast(sqs.CfnQueue, self.dead_letter.node.default_child).redrive_allow_policy = {
            "redrivePermission": "byQueue",
            "sourceQueueArns": [source_arn],
        }
