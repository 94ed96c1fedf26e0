"""ManagedPolicyRole: an IAM role whose grants land in one customer-managed policy, never an inline policy."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_iam as iam
from constructs import Construct


class ManagedPolicyRole(iam.Role):
    """IAM role whose every grant (``grant_*``, ``add_to_policy``) is added to one customer-managed policy.

    CDK puts grants into an inline ``DefaultPolicy``; HIPAA and PCI DSS conformance checks (cdk-nag
    ``IAMNoInlinePolicy``) reject inline policies, because a managed policy is a versioned object a reviewer can list,
    diff and audit on its own. Resources that use the role wait for the policy, as they would for the inline one.
    The policy is created with the first grant (IAM rejects an empty managed policy).

    Example::

        role = ManagedPolicyRole(self, "TaskRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
        stream.grant_read(role)

    Takes every ``iam.Role`` prop.
    """

    def __init__(self, scope: Construct, construct_id: str, **props: Any) -> None:
        super().__init__(scope, construct_id, **props)
        self._description: str | None = props.get("description")
        self.policy: iam.ManagedPolicy | None = None

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        """Add ``statement`` to the role's managed policy (CDK calls this for every grant)."""
        if getattr(self, "policy", None) is None:
            self.policy = iam.ManagedPolicy(self, "Policy", roles=[self], description=self._description)
        self.policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self.policy)
