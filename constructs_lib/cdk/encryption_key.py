"""EncryptionKey: a customer-managed KMS key that CloudWatch Logs and alarms can actually use."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings, storage_removal_policy
from constructs_lib.policy import encryption


class EncryptionKey(kms.Key):
    """Customer-managed KMS key, secure with no arguments.

    - Automatic yearly rotation.
    - A key-policy statement for ``logs.<region>.amazonaws.com`` scoped by encryption context to this account's log
      groups (seeds 001, 004 failed to deploy without it), and one for CloudWatch alarms publishing to encrypted
      SNS topics.
    - Removal and pending window from the profile: dev deletes after 7 days, prod retains.

    Example::

        key = EncryptionKey(self, "Key", description="patient data")
        stream = KinesisDataStream(self, "Stream", encryption_key=key)

    Any ``kms.Key`` prop may be passed; overriding a hardened default (rotation, removal, pending window) is
    reported as a synth warning.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, description: str | None = None, **overrides: Any
    ) -> None:
        settings = deployment_settings(scope)
        defaults: dict[str, Any] = {
            "enable_key_rotation": encryption.KEY_ROTATION_ENABLED,
            "pending_window": Duration.days(encryption.KEY_PENDING_WINDOW_DAYS[settings.profile.name]),
            "removal_policy": storage_removal_policy(scope),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        super().__init__(
            scope,
            construct_id,
            description=description or f"{construct_id} ({settings.environment_suffix})",
            **props,
        )
        warn_overrides(self, changed)
        stack = Stack.of(self)
        self.add_to_resource_policy(
            iam.PolicyStatement.from_json(
                encryption.cloudwatch_logs_key_statement(stack.partition, stack.region, stack.account)
            )
        )
        self.add_to_resource_policy(
            iam.PolicyStatement.from_json(encryption.cloudwatch_alarms_key_statement(stack.account))
        )
