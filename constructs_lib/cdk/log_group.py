"""EncryptedLogGroup: a CloudWatch log group with a CMK and a retention chosen by purpose."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import storage_removal_policy
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.policy import compute, retention

_RETENTION_BY_DAYS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


class EncryptedLogGroup(logs.LogGroup):
    """Log group encrypted with a customer-managed key, kept for the policy's retention for its ``purpose``.

    ``purpose`` is one of ``application`` (14 days), ``audit`` (365 days) or ``network`` (90 days). With no
    ``encryption_key`` the group gets its own :class:`EncryptionKey`, whose policy already lets CloudWatch Logs use
    it. ``retention_days`` overrides the policy (reported at synth); a value CloudWatch rejects fails at synth.

    Example::

        audit = EncryptedLogGroup(self, "Audit", log_group_name="/healthcare/audit-dev", purpose="audit",
                                  encryption_key=key)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        purpose: str = "application",
        encryption_key: kms.IKey | None = None,
        **overrides: Any,
    ) -> None:
        if encryption_key is None:
            encryption_key = EncryptionKey(scope, f"{construct_id}Key", description=f"log group {construct_id}")
        defaults: dict[str, Any] = {
            "retention_days": retention.log_retention_days(purpose),
            "removal_policy": storage_removal_policy(scope),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.retention_days: int = retention.check_log_retention(props.pop("retention_days"))
        super().__init__(
            scope,
            construct_id,
            encryption_key=encryption_key,
            retention=_RETENTION_BY_DAYS[self.retention_days],
            **props,
        )
        warn_overrides(self, changed)
        self.encryption_key = encryption_key


def database_log_groups(
    scope: Construct,
    logs: Iterable[str],
    *,
    name_template: str,
    identifier: str,
    encryption_key: kms.IKey,
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
            f"{log.title()}Logs",
            purpose=compute.DATABASE_LOG_PURPOSE,
            encryption_key=encryption_key,
            log_group_name=name_template.format(identifier=identifier, log=log),
        )
        for log in logs
    ]
