"""AlarmTopic: the encrypted SNS topic operational alarms publish to (the cdktf twin of the CDK ``AlarmTopic``)."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import account_context, deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.iam import policy_document
from constructs_lib.policy import naming, storage


class AlarmTopic(Construct):
    """SNS topic for operational alarms, secure with no arguments.

    - Name ``<name_prefix>-<suffix>`` (default prefix: the construct id in kebab case).
    - Encrypted with a customer-managed key (``encryption_key``, else its own :class:`EncryptionKey`, whose policy
      already lets CloudWatch alarms use it: without that statement notifications are silently dropped).
    - Topic policy: publishing without TLS is denied, and CloudWatch alarms of this account (only) may publish.
    - Messages signed with SHA256 (signature version 2) rather than SHA1.

    Example::

        topic = AlarmTopic(self, "alarms", name_prefix="streamflix-alarms", encryption_key=key)
        KinesisDataStream(self, "ingest", alarm_topic=topic)

    Any ``SnsTopic`` argument may be passed; replacing a hardened value is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        account = account_context(self)
        base = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"alarm topic {self.node.path}")
        self.encryption_key = encryption_key
        defaults: dict[str, Any] = {
            "name": naming.resource_name("sns_topic", base, settings.environment_suffix),
            "kms_master_key_id": encryption_key.arn,
            "signature_version": int(storage.TOPIC_SIGNATURE_VERSION),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.topic = SnsTopic(self, "topic", **props)
        warn_overrides(self, changed)
        self.policy = SnsTopicPolicy(
            self,
            "policy",
            arn=self.topic.arn,
            policy=policy_document(
                [
                    storage.deny_without_tls("sns:Publish", self.topic.arn, "DenyPublishWithoutTls"),
                    storage.cloudwatch_alarms_topic_statement(
                        self.topic.arn, account.partition, account.region, account.account_id
                    ),
                ]
            ),
        )

    @property
    def arn(self) -> str:
        return self.topic.arn
