"""Encryption that breaks delivery: a log group's key CloudWatch Logs may not use (seeds 001, 004), and S3 access
logs sent to an SSE-KMS bucket, where S3 silently drops them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from constructs_lib.model import Resource, Stack, tokens
from constructs_lib.policy import encryption
from constructs_lib.preflight.registry import Rule, Severity, Violation

_LOGS_PRINCIPAL = re.compile(r"^logs\.(?P<region>.+)\.amazonaws\.com(?:\.cn)?$")
_KMS_ENCRYPTION = ("aws:kms", "aws:kms:dsse")
_DATA_KEY_ACTIONS = ("kms:*", "kms:GenerateDataKey*", "kms:GenerateDataKey", "*")


def key_policy(stack: Stack, key: Resource) -> Any:
    """The key's policy as written: a dict, a JSON string, or ``None`` for the default (account root only).

    Terraform may set it on the key or in a separate ``aws_kms_key_policy``; the separate one wins.
    """
    separate = stack.referrers(key.address, "kms_key_policy")
    if separate:
        return separate[0].properties.get("policy")
    return key.properties.get("KeyPolicy", key.properties.get("policy"))


def _statements(policy: Any) -> list[Mapping[str, Any]] | None:
    """Statements of a policy, ``None`` when it is an expression that cannot be read before deploy."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return None
    if policy is None:
        return []
    statements = policy.get("Statement", []) if isinstance(policy, Mapping) else []
    return [s for s in ([statements] if isinstance(statements, Mapping) else statements) if isinstance(s, Mapping)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _logs_regions(statement: Mapping[str, Any]) -> list[str]:
    """Regions of the ``logs.<region>.amazonaws.com`` principals an Allow statement with data-key actions names."""
    if statement.get("Effect") != "Allow":
        return []
    if not any(action in _DATA_KEY_ACTIONS for action in _as_list(statement.get("Action"))):
        return []
    principal = statement.get("Principal")
    services = principal.get("Service", []) if isinstance(principal, Mapping) else []
    regions = []
    for service in _as_list(services):
        match = _LOGS_PRINCIPAL.match(tokens.render(service) or "")
        if match:
            regions.append(match.group("region"))
    return regions


def _logs_statement_problem(stack: Stack, policy: Any) -> str | None:
    """Why CloudWatch Logs cannot use a key with this policy, or ``None`` when it can (or cannot be told)."""
    statements = _statements(policy)
    if statements is None:
        text = policy if isinstance(policy, str) else ""
        return None if "logs." in text and ".amazonaws.com" in text else "no statement for logs.<region>.amazonaws.com"
    regions = [region for statement in statements for region in _logs_regions(statement)]
    if not regions:
        if any("logs.amazonaws.com" in json.dumps(s) for s in statements):
            return "a statement for logs.amazonaws.com, but CloudWatch Logs uses the regional logs.<region> principal"
        return "no statement allowing logs.<region>.amazonaws.com to generate data keys"
    if stack.region and all(not tokens.expressions(r) and r != stack.region for r in regions):
        return f"a statement for logs.{regions[0]}.amazonaws.com, but the stack deploys to {stack.region}"
    return None


def check_log_group_key(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """A log group's KMS key, when the stack defines it, must let CloudWatch Logs in this region use it."""
    at = resource.field_key("kms_key")
    if at is None:
        return
    for key in stack.referenced(resource, at, "kms_key"):
        problem = _logs_statement_problem(stack, key_policy(stack, key))
        if problem:
            yield Violation(
                f"encrypted with key {key.label} whose key policy has {problem}: creating the log group fails",
                "add constructs_lib.policy.encryption.cloudwatch_logs_key_statement(...) to the key policy "
                "(the EncryptionKey construct does)",
            )


def _values_of(value: Any, key: str) -> Iterator[Any]:
    if isinstance(value, Mapping):
        for k, child in value.items():
            if k == key:
                yield child
            yield from _values_of(child, key)
    elif isinstance(value, list):
        for child in value:
            yield from _values_of(child, key)


def bucket_encryption(stack: Stack, bucket: Resource) -> set[str]:
    """Default-encryption algorithms of a bucket: inline (both formats) or a Terraform encryption resource."""
    separate = stack.referrers(bucket.address, "s3_bucket_encryption")
    sources = [bucket.properties] + [r.properties for r in separate if r.refs_to(bucket.address, at="bucket")]
    return {
        str(v)
        for source in sources
        for key in ("SSEAlgorithm", "sse_algorithm")
        for v in _values_of(source, key)
        if isinstance(v, str)
    }


def _logging_pairs(resource: Resource, stack: Stack) -> list[tuple[Resource, Resource]]:
    """(source bucket, target bucket) pairs this resource configures, both defined in the stack."""
    if resource.kind == "s3_bucket_logging":
        sources = stack.referenced(resource, "bucket", "s3_bucket")
        targets = stack.referenced(resource, "target_bucket", "s3_bucket")
        return [(s, t) for s in sources for t in targets]
    at = "LoggingConfiguration.DestinationBucketName" if resource.source_format == "cloudformation" else "logging"
    return [(resource, t) for t in stack.referenced(resource, at, "s3_bucket")]


def check_access_log_target(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """S3 server access logs are delivered only to a bucket with SSE-S3 default encryption."""
    for source, target in _logging_pairs(resource, stack):
        kms = bucket_encryption(stack, target) & set(_KMS_ENCRYPTION)
        if kms:
            yield Violation(
                f"access logs of {source.label} go to {target.label}, encrypted with {sorted(kms)[0]}: S3 delivers "
                "no server access logs to an SSE-KMS bucket, and nothing reports it",
                f"encrypt the log bucket with {encryption.ACCESS_LOG_BUCKET_ENCRYPTION} (AES256)",
            )
        if source.address == target.address:
            yield Violation(
                f"{source.label} writes its access logs into itself: every delivery is logged again, without end",
                "send access logs to a separate log bucket",
                severity=Severity.WARNING,
            )


KMS_KEY_ALLOWS_LOGS = Rule(
    rule_id="kms-key-allows-logs",
    title="A log group's KMS key policy lets logs.<region>.amazonaws.com use the key",
    fix="add a key-policy statement letting logs.<region>.amazonaws.com use the key "
    "(constructs_lib.policy.encryption.cloudwatch_logs_key_statement)",
    seeds=("001", "004"),
    severity=Severity.ERROR,
    check=check_log_group_key,
    kinds=frozenset({"log_group"}),
)

ACCESS_LOG_TARGET_SSE_S3 = Rule(
    rule_id="access-log-target-sse-s3",
    title="S3 server access logs go to a separate bucket encrypted with SSE-S3, not SSE-KMS",
    fix="give the access-log target bucket SSE-S3 (AES256) default encryption",
    seeds=("004",),
    severity=Severity.ERROR,
    check=check_access_log_target,
    kinds=frozenset({"s3_bucket", "s3_bucket_logging"}),
)
