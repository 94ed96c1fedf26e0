"""AWS managed policies that cannot be attached (seed 004's Config role named one that does not exist), and
Terraform's deprecated exclusive ``managed_policy_arns``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import MappingProxyType

from constructs_lib.model import Resource, Stack, tokens
from constructs_lib.preflight.registry import Rule, Severity, Violation

#: AWS managed policy name -> (what to attach instead, why this one fails). A deprecated managed policy can no
#: longer be attached to a new role, so the attach call fails on deploy. Source: IAM and AWS Config user guides.
MANAGED_POLICY_REPLACEMENTS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "service-role/ConfigRole": ("service-role/AWS_ConfigRole", "does not exist"),
        "service-role/AWSConfigRole": ("service-role/AWS_ConfigRole", "is deprecated and cannot be attached"),
        "AWSLambdaFullAccess": ("AWSLambda_FullAccess", "is deprecated and cannot be attached"),
        "AWSLambdaReadOnlyAccess": ("AWSLambda_ReadOnlyAccess", "is deprecated and cannot be attached"),
        "AmazonEC2RoleforSSM": ("AmazonSSMManagedInstanceCore", "is deprecated and cannot be attached"),
    }
)
_AWS_MANAGED = re.compile(r":iam::aws:policy/(?P<name>.+)$")


def _policy_arns(resource: Resource) -> list[str]:
    if resource.kind == "iam_role_policy_attachment":
        key = "policy_arn"
    else:
        key = "ManagedPolicyArns" if resource.source_format == "cloudformation" else "managed_policy_arns"
    value = resource.properties.get(key)
    values = value if isinstance(value, list) else [value]
    return [text for v in values if v is not None and (text := tokens.render(v)) is not None]


def check_managed_policies(resource: Resource, stack: Stack) -> Iterator[Violation]:
    """Attached AWS managed policies exist and are attachable; Terraform roles attach them one resource each."""
    for arn in _policy_arns(resource):
        match = _AWS_MANAGED.search(arn)
        replacement = MANAGED_POLICY_REPLACEMENTS.get(match.group("name")) if match else None
        if replacement:
            name, reason = replacement
            yield Violation(
                f"AWS managed policy {match.group('name')} {reason}: attaching it fails the deploy",
                f"attach arn:aws:iam::aws:policy/{name}",
            )
    if resource.kind == "iam_role" and resource.properties.get("managed_policy_arns"):
        yield Violation(
            "managed_policy_arns is deprecated and exclusive: it detaches policies attached by "
            "aws_iam_role_policy_attachment, and the two fight on every apply",
            "attach each policy with aws_iam_role_policy_attachment",
            severity=Severity.WARNING,
        )


IAM_MANAGED_POLICY = Rule(
    rule_id="iam-managed-policy",
    title="Attached AWS managed policies exist and are attachable; no exclusive managed_policy_arns in Terraform",
    fix="attach the managed policy's current name (e.g. service-role/AWS_ConfigRole), one "
    "aws_iam_role_policy_attachment each in Terraform",
    seeds=("004",),
    severity=Severity.ERROR,
    check=check_managed_policies,
    kinds=frozenset({"iam_role", "iam_role_policy_attachment"}),
)
