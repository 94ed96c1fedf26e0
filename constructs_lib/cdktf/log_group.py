"""EncryptedLogGroup: a CloudWatch log group with a customer-managed key and a retention chosen by purpose."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import deployment_settings, skip_destroy
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.policy import compute, naming, retention, storage


def default_log_group_name(path: str, suffix: str) -> str:
    """``/<construct path in kebab case>-<suffix>``: unique in the account, readable in the console."""
    parts = [storage.base_name_for(part) for part in path.split("/")]
    return "/" + "/".join([*parts[:-1], naming.resource_name("log_group", parts[-1], suffix)])


class EncryptedLogGroup(Construct):
    """Log group encrypted with a customer-managed key, kept for the policy's retention for its ``purpose``.

    ``purpose`` is ``application`` (14 days), ``audit`` (365 days) or ``network`` (90 days). With no
    ``encryption_key`` the group gets its own :class:`EncryptionKey`, whose policy already lets CloudWatch Logs use
    it. ``log_group_name`` is used as given (services such as RDS and Lambda expect exact names); with none the group
    is named after its construct path and the environment suffix. In prod the group survives ``destroy``
    (``skip_destroy``): the evidence outlives the stack. ``retention_in_days`` overrides the policy (reported at
    synth); a value CloudWatch rejects fails at synth. Any ``CloudwatchLogGroup`` argument may be passed the same way.

    Example::

        audit = EncryptedLogGroup(self, "audit", log_group_name="/pci/audit-dev", purpose="audit", encryption_key=key)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_group_name: str | None = None,
        purpose: str = "application",
        encryption_key: EncryptionKey | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"log group {self.node.path}")
        self.encryption_key = encryption_key
        if log_group_name is None:
            log_group_name = default_log_group_name(self.node.path, settings.environment_suffix)
        defaults: dict[str, Any] = {
            "name": log_group_name,
            "kms_key_id": encryption_key.arn,
            "retention_in_days": retention.log_retention_days(purpose),
            "skip_destroy": skip_destroy(settings.profile),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        retention.check_log_retention(props["retention_in_days"], "retention_in_days")
        self.log_group = CloudwatchLogGroup(self, "group", **props)
        warn_overrides(self, changed)

    @property
    def name(self) -> str:
        return self.log_group.name

    @property
    def arn(self) -> str:
        return self.log_group.arn


def database_log_groups(
    scope: Construct,
    logs: Iterable[str],
    *,
    name_template: str,
    identifier: str,
    encryption_key: EncryptionKey,
) -> list[EncryptedLogGroup]:
    """One encrypted log group with audit retention for each log an RDS database exports, under the exact name RDS
    writes to: ``name_template`` is ``compute.RDS_INSTANCE_LOG_GROUP`` or ``compute.RDS_CLUSTER_LOG_GROUP``. The
    database must depend on them, or RDS creates the groups itself (unencrypted, kept forever).

    Example::

        groups = database_log_groups(
            self, ["postgresql"], name_template=compute.RDS_CLUSTER_LOG_GROUP, identifier=name, encryption_key=key
        )
    """
    return [
        EncryptedLogGroup(
            scope,
            f"{log}-logs",
            log_group_name=name_template.format(identifier=identifier, log=log),
            purpose=compute.DATABASE_LOG_PURPOSE,
            encryption_key=encryption_key,
        )
        for log in logs
    ]
