"""ConfigRecorder: AWS Config recording every resource into an encrypted bucket, with the managed rules to check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from aws_cdk import Duration, Stack
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib.cdk.compliance import accept, acknowledge
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.secure_bucket import SecureBucket
from constructs_lib.cdk.service_role import ServiceRole
from constructs_lib.policy import accepted_findings, naming, retention, storage
from constructs_lib.policy import config_recording as policy


class ConfigRecorder(Construct):
    """AWS Config for the account and region, secure with no arguments (the CDK twin of the cdktf
    ``ConfigRecorder``).

    - The recorder records every supported resource type, global ones included, through a role only AWS Config may
      assume (this account only), with ``AWS_ConfigRole`` and write access to nothing but this bucket's Config
      prefix and this key. CloudFormation starts the recorder once its delivery channel exists.
    - Delivery channel to a :class:`SecureBucket` (SSE-KMS with ``encryption_key``, access-logged to
      ``access_log_bucket``, history expired after the audit retention), a snapshot a day.
    - One managed rule per entry of ``rules`` (source identifier -> requirement it gives evidence for), by default
      the PCI DSS set of ``policy.config_recording``.

    One recorder per account and region is allowed: leave this construct out of a stack where the organisation
    already records.

    Example::

        recorder = ConfigRecorder(self, "Config", name_prefix="pci-platform", encryption_key=key)
        CfnOutput(self, "ConfigRecorderName", value=recorder.name)

    Any ``config.CfnConfigurationRecorder`` prop may be passed (e.g. ``recording_group``); replacing a hardened
    value is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        access_log_bucket: s3.IBucket | None = None,
        rules: Mapping[str, str] = policy.PCI_MANAGED_RULES,
        standard: str = policy.PCI_STANDARD,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        suffix = deployment_settings(self).environment_suffix
        stack = Stack.of(self)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        self.encryption_key: kms.IKey = encryption_key or EncryptionKey(
            self, "Key", description=f"AWS Config {self.node.path}"
        )
        self.bucket = SecureBucket(
            self,
            "Bucket",
            name_prefix=f"{prefix}-config",
            encryption_key=self.encryption_key,
            access_log_bucket=access_log_bucket,
        )
        self.bucket.add_lifecycle_rule(
            expiration=Duration.days(retention.LOG_RETENTION_DAYS[policy.CONFIG_HISTORY_PURPOSE])
        )
        self.role = ServiceRole(
            self,
            "Role",
            service=policy.CONFIG_PRINCIPAL,
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(policy.CONFIG_MANAGED_POLICY)],
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DeliverConfigurationHistory",
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{policy.CONFIG_KEY_PREFIX}/AWSLogs/{stack.account}/*")],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(sid="CheckBucketAcl", actions=["s3:GetBucketAcl"], resources=[self.bucket.bucket_arn])
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EncryptDeliveries",
                actions=list(policy.CONFIG_DELIVERY_KMS_ACTIONS),
                resources=[self.encryption_key.key_arn],
            )
        )
        name = naming.resource_name("config_rule", prefix, suffix)
        defaults: dict[str, Any] = {
            "recording_group": config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=policy.RECORD_ALL_SUPPORTED,
                include_global_resource_types=policy.INCLUDE_GLOBAL_RESOURCE_TYPES,
            ),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.recorder = config.CfnConfigurationRecorder(
            self, "Recorder", name=name, role_arn=self.role.role_arn, **props
        )
        warn_overrides(self, changed)
        self.delivery_channel = config.CfnDeliveryChannel(
            self,
            "DeliveryChannel",
            name=name,
            s3_bucket_name=self.bucket.bucket_name,
            s3_key_prefix=policy.CONFIG_KEY_PREFIX,
            s3_kms_key_arn=self.encryption_key.key_arn,
            config_snapshot_delivery_properties=config.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency=policy.SNAPSHOT_DELIVERY_FREQUENCY
            ),
        )
        self.delivery_channel.node.add_dependency(self.recorder)
        if self.role.policy is not None:
            self.delivery_channel.node.add_dependency(self.role.policy)
        self.rules: list[config.CfnConfigRule] = []
        for identifier, requirement in rules.items():
            rule = config.CfnConfigRule(
                self,
                f"Rule{identifier.title().replace('_', '')}",
                config_rule_name=naming.resource_name(
                    "config_rule", f"{prefix}-{identifier.lower().replace('_', '-')}", suffix
                ),
                description=f"{standard} {requirement}",
                source=config.CfnConfigRule.SourceProperty(owner="AWS", source_identifier=identifier),
            )
            rule.node.add_dependency(self.recorder)
            self.rules.append(rule)
        accept(self.role, accepted_findings.CONFIG_RECORDER_MANAGED_POLICY)
        bucket_id = stack.get_logical_id(cast(s3.CfnBucket, self.bucket.node.default_child))
        for rule_id in accepted_findings.CONFIG_DELIVERY_PREFIX.rules:
            rule_id = rule_id.format(bucket=bucket_id, prefix=policy.CONFIG_KEY_PREFIX)
            acknowledge(self.role, rule_id, accepted_findings.CONFIG_DELIVERY_PREFIX.reason)

    @property
    def name(self) -> str:
        return self.recorder.ref

    @property
    def rule_names(self) -> list[str]:
        return [rule.ref for rule in self.rules]
