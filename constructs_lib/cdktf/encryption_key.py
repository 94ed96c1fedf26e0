"""EncryptionKey: a customer-managed KMS key that CloudWatch Logs and alarms can actually use."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import account_context, deployment_settings
from constructs_lib.policy import encryption, naming
from constructs_lib.policy.errors import ConfigurationError


class EncryptionKey(Construct):
    """Customer-managed KMS key, secure with no arguments.

    - Automatic yearly rotation.
    - Key policy: the account root (so IAM policies decide who uses the key), CloudWatch Logs of this account and
      region scoped by encryption context (seed 004 failed without it), and CloudWatch alarms publishing to
      encrypted topics. Account, partition and region come from data sources, never literals.
    - Deletion window from the profile: 7 days in dev, 30 in prod.

    Example::

        key = EncryptionKey(self, "key", alias="streamflix")
        KinesisDataStream(self, "ingest", name_prefix="video-ingest", encryption_key=key)

    Any ``KmsKey`` argument but ``policy`` may be passed; overriding a hardened default (rotation, deletion window) is
    reported as a synth warning. :meth:`add_statement` adds a service's statement (e.g. log delivery to an encrypted
    bucket).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str | None = None,
        alias: str | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        if "policy" in overrides:
            raise ConfigurationError(
                "policy", "<key policy>", "add_statement(...): the key policy is built from statements it must keep"
            )
        settings = deployment_settings(self)
        self._account = account_context(self)
        defaults: dict[str, Any] = {
            "enable_key_rotation": encryption.KEY_ROTATION_ENABLED,
            "deletion_window_in_days": encryption.KEY_PENDING_WINDOW_DAYS[settings.profile.name],
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self._statements: list[dict[str, Any]] = [
            {
                "Sid": "EnableIamPoliciesOfThisAccount",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{self._account.partition}:iam::{self._account.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            encryption.cloudwatch_logs_key_statement(
                self._account.partition, self._account.region, self._account.account_id
            ),
            encryption.cloudwatch_alarms_key_statement(self._account.account_id),
        ]
        self.key = KmsKey(
            self,
            "key",
            description=description or f"{construct_id} ({settings.environment_suffix})",
            policy=self._policy_document(),
            **props,
        )
        warn_overrides(self, changed)
        self.alias: KmsAlias | None = None
        if alias is not None:
            alias_name = "alias/" + naming.resource_name("kms_alias", alias, settings.environment_suffix)
            self.alias = KmsAlias(self, "alias", name=alias_name, target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return self.key.arn

    @property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def statements(self) -> list[dict[str, Any]]:
        """The key policy's statements, in order (a copy)."""
        return list(self._statements)

    def add_statement(self, statement: dict[str, Any]) -> None:
        """Append a key-policy statement; the rendered policy is rebuilt so the key has exactly one policy."""
        self._statements.append(statement)
        self.key.policy = self._policy_document()

    def _policy_document(self) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": self._statements})
