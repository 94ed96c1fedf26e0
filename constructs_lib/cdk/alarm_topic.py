"""AlarmTopic: the SNS topic alarms publish to, encrypted with a CMK that CloudWatch can actually use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.policy import encryption, naming, storage
from constructs_lib.policy.errors import ConfigurationError


class AlarmTopic(sns.Topic):
    """SNS topic for operational alarms, secure with no arguments.

    - Name ``<name_prefix>-<suffix>`` (default prefix: the construct id in kebab case).
    - Encrypted with a customer-managed key (``encryption_key``, else its own :class:`EncryptionKey`). The key policy
      must let ``cloudwatch.amazonaws.com`` use it or alarm notifications are silently dropped: EncryptionKey has that
      statement; for any other key in the stack the topic adds it, and warns when it cannot (an imported key).
    - Topic policy denies publishing without TLS, and allows CloudWatch alarms of this account only (writing a topic
      policy replaces SNS's default one, which is what let alarms publish).
    - Messages signed with SHA256 (signature version 2) rather than SHA1.
    - ``email_addresses``: addresses subscribed at deploy; each must confirm by email before it receives alarms.

    Example::

        alarms = AlarmTopic(self, "Alarms", name_prefix="iot-alarms", encryption_key=key,
                            email_addresses=["oncall@example.com"])
        stream = KinesisDataStream(self, "Telemetry", alarm_topic=alarms)

    Any ``sns.Topic`` prop may be passed; overriding a hardened default is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        email_addresses: Sequence[str] = (),
        **overrides: Any,
    ) -> None:
        for address in email_addresses:
            if not storage.EMAIL_PATTERN.fullmatch(address):
                raise ConfigurationError("email_addresses", address, "email addresses such as oncall@example.com")
        settings = deployment_settings(scope)
        base = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        defaults: dict[str, Any] = {
            "topic_name": naming.resource_name("sns_topic", base, settings.environment_suffix),
            "enforce_ssl": storage.ENFORCE_TLS,
            "signature_version": storage.TOPIC_SIGNATURE_VERSION,
        }
        props, changed = merge_with_defaults(defaults, overrides)
        enforce_tls = props.pop("enforce_ssl")
        key = encryption_key or EncryptionKey(scope, f"{construct_id}Key", description=f"alarm topic {construct_id}")
        super().__init__(scope, construct_id, master_key=key, **props)
        warn_overrides(self, changed)
        self.encryption_key = key

        stack = Stack.of(self)
        if enforce_tls:
            self.add_to_resource_policy(
                iam.PolicyStatement.from_json(
                    storage.deny_without_tls("sns:Publish", self.topic_arn, "DenyPublishWithoutTls")
                )
            )
        self.add_to_resource_policy(
            iam.PolicyStatement.from_json(
                storage.cloudwatch_alarms_topic_statement(self.topic_arn, stack.partition, stack.region, stack.account)
            )
        )
        # Identical to EncryptionKey's own statement, so CDK merges the two; needed for any other key.
        key_statement = iam.PolicyStatement.from_json(encryption.cloudwatch_alarms_key_statement(stack.account))
        if not key.add_to_resource_policy(key_statement).statement_added:
            Annotations.of(self).add_warning_v2(
                "hardened:alarm-topic-key-policy",
                f"AlarmTopic '{self.node.path}': the key is imported, so its policy cannot be changed here; it must "
                "let cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey* or alarms are never delivered",
            )
        for address in email_addresses:
            self.add_subscription(subscriptions.EmailSubscription(address))
