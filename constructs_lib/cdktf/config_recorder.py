"""ConfigRecorder: AWS Config recording every resource into an encrypted bucket, with the managed rules to check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf_cdktf_provider_aws.config_config_rule import ConfigConfigRule
from cdktf_cdktf_provider_aws.config_configuration_recorder import ConfigConfigurationRecorder
from cdktf_cdktf_provider_aws.config_configuration_recorder_status import ConfigConfigurationRecorderStatus
from cdktf_cdktf_provider_aws.config_delivery_channel import ConfigDeliveryChannel
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import account_context, deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.secure_bucket import AccessLogBucket, SecureBucket
from constructs_lib.cdktf.service_role import ServiceRole
from constructs_lib.policy import config_recording as policy
from constructs_lib.policy import naming, retention, storage


class ConfigRecorder(Construct):
    """AWS Config for the account and region, secure with no arguments.

    - The recorder records every supported resource type, global ones included, through a role only AWS Config may
      assume (this account only), with ``AWS_ConfigRole`` attached on its own and write access to nothing but this
      bucket's Config prefix and this key.
    - Delivery channel to a :class:`SecureBucket` (SSE-KMS with ``encryption_key``, access-logged to
      ``access_log_bucket``, history expired after the audit retention), a snapshot a day; the recorder is started
      (``ConfigConfigurationRecorderStatus``) once the channel exists.
    - One managed rule per entry of ``rules`` (source identifier -> requirement it gives evidence for), by default
      the PCI DSS set of ``policy.config_recording``.

    One recorder per account and region is allowed: leave this construct out of a stack where the organisation
    already records.

    Example::

        config = ConfigRecorder(self, "config", name_prefix="pci-platform", encryption_key=key,
                                access_log_bucket=access_logs)
        TerraformOutput(self, "config_rule_names", value=config.rule_names)

    Any ``ConfigConfigurationRecorder`` argument may be passed (e.g. ``recording_group``); replacing a hardened value
    is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        access_log_bucket: AccessLogBucket | None = None,
        rules: Mapping[str, str] = policy.PCI_MANAGED_RULES,
        standard: str = policy.PCI_STANDARD,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        suffix = deployment_settings(self).environment_suffix
        account = account_context(self)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"AWS Config {self.node.path}")
        self.encryption_key = encryption_key
        self.bucket = SecureBucket(
            self,
            "bucket",
            name_prefix=f"{prefix}-config",
            encryption_key=encryption_key,
            access_log_bucket=access_log_bucket,
            expiration_days=retention.LOG_RETENTION_DAYS[policy.CONFIG_HISTORY_PURPOSE],
        )
        self.role = ServiceRole(
            self,
            "role",
            name_prefix=f"{prefix}-config",
            service=policy.CONFIG_PRINCIPAL,
            managed_policies=[policy.CONFIG_MANAGED_POLICY],
            statements=[
                {
                    "Sid": "DeliverConfigurationHistory",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": f"{self.bucket.arn}/{policy.CONFIG_KEY_PREFIX}/AWSLogs/{account.account_id}/*",
                },
                {"Sid": "CheckBucketAcl", "Effect": "Allow", "Action": "s3:GetBucketAcl", "Resource": self.bucket.arn},
                {
                    "Sid": "EncryptDeliveries",
                    "Effect": "Allow",
                    "Action": list(policy.CONFIG_DELIVERY_KMS_ACTIONS),
                    "Resource": encryption_key.arn,
                },
            ],
        )
        name = naming.resource_name("config_rule", prefix, suffix)
        defaults: dict[str, Any] = {
            "recording_group": {
                "all_supported": policy.RECORD_ALL_SUPPORTED,
                "include_global_resource_types": policy.INCLUDE_GLOBAL_RESOURCE_TYPES,
            },
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.recorder = ConfigConfigurationRecorder(self, "recorder", name=name, role_arn=self.role.arn, **props)
        warn_overrides(self, changed)
        self.delivery_channel = ConfigDeliveryChannel(
            self,
            "delivery-channel",
            name=name,
            s3_bucket_name=self.bucket.bucket_name,
            s3_key_prefix=policy.CONFIG_KEY_PREFIX,
            s3_kms_key_arn=encryption_key.arn,
            snapshot_delivery_properties={"delivery_frequency": policy.SNAPSHOT_DELIVERY_FREQUENCY},
            depends_on=[self.recorder, *self.role.attachments],
        )
        self.status = ConfigConfigurationRecorderStatus(
            self, "recorder-status", name=self.recorder.name, is_enabled=True, depends_on=[self.delivery_channel]
        )
        self.rules: list[ConfigConfigRule] = [
            ConfigConfigRule(
                self,
                f"rule-{identifier.lower()}",
                name=naming.resource_name("config_rule", f"{prefix}-{identifier.lower().replace('_', '-')}", suffix),
                description=f"{standard} {requirement}",
                source={"owner": "AWS", "source_identifier": identifier},
                depends_on=[self.recorder],
            )
            for identifier, requirement in rules.items()
        ]

    @property
    def name(self) -> str:
        return self.recorder.name

    @property
    def rule_names(self) -> list[str]:
        return [rule.name for rule in self.rules]
