"""Log groups that deploy wrong: CDK's deprecated ``log_retention`` (seed 002) and retention values CloudWatch
rejects."""

from __future__ import annotations

from collections.abc import Iterator

from constructs_lib.model import CLOUDFORMATION, Resource, Stack
from constructs_lib.policy.retention import CLOUDWATCH_RETENTION_VALUES
from constructs_lib.preflight.registry import Rule, Severity, Violation

#: Terraform writes "never expire" as 0; CloudFormation leaves the property out.
_TERRAFORM_NEVER_EXPIRE = 0


def check_log_retention_custom_resource(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """``Custom::LogRetention`` (CDK's deprecated ``log_retention``) creates the log group outside the stack."""
    yield Violation(
        "log retention set through CDK's deprecated log_retention: a custom-resource Lambda creates the log group "
        "outside the stack, so the stack neither encrypts nor deletes it, and the Lambda must run for deploy to finish",
        "give the function an explicit log group (CDK: log_group=EncryptedLogGroup(...)) instead of log_retention",
    )


def check_retention_value(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """Retention must be one of the day counts CloudWatch accepts."""
    days = resource.get("retention_days")
    if isinstance(days, str) and days.isdigit():
        days = int(days)
    if not isinstance(days, int) or isinstance(days, bool):
        return
    allowed = CLOUDWATCH_RETENTION_VALUES | (
        {_TERRAFORM_NEVER_EXPIRE} if resource.source_format == "terraform" else set()
    )
    if days not in allowed:
        yield Violation(
            f"retention of {days} days is not a value CloudWatch accepts: the deploy fails",
            f"use one of {', '.join(str(v) for v in sorted(CLOUDWATCH_RETENTION_VALUES))}",
        )


LAMBDA_LOG_RETENTION_DEPRECATED = Rule(
    rule_id="lambda-log-retention-deprecated",
    title="Functions log to an explicit log group, not CDK's deprecated log_retention custom resource",
    fix="give the function an explicit log group with its retention (CDK log_group=...) instead of log_retention",
    seeds=("002",),
    severity=Severity.WARNING,
    check=check_log_retention_custom_resource,
    kinds=frozenset({"log_retention"}),
    formats=frozenset({CLOUDFORMATION}),
)

LOG_RETENTION_VALID = Rule(
    rule_id="log-retention-valid",
    title="Log retention is a value CloudWatch accepts",
    fix="use one of the retention day counts CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)",
    seeds=(),
    severity=Severity.ERROR,
    check=check_retention_value,
    kinds=frozenset({"log_group", "log_retention"}),
)
