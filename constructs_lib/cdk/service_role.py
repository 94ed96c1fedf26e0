"""ServiceRole: an IAM role one AWS service may assume, whose permissions live in customer-managed policies."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct


class ServiceRole(iam.Role):
    """Role for one service principal, secure with nothing but the service named.

    - Trust: only ``service`` may assume it, and (unless ``source_account_condition=False``, for services that do
      not send the condition key, such as Lambda) only on behalf of this account: the confused-deputy guard.
    - Permissions: every grant (``grant_*``, ``add_to_policy``) lands in one customer-managed policy, never CDK's
      inline ``DefaultPolicy``: a managed policy is a versioned object a reviewer can list, diff and audit, and
      HIPAA/PCI checks (cdk-nag ``IAMNoInlinePolicy``) reject inline ones. The policy is created with the first grant
      (IAM rejects an empty managed policy); resources that use the role wait for it.

    Example::

        role = ServiceRole(self, "TaskRole", service="ecs-tasks.amazonaws.com")
        stream.grant_read(role)

    Takes every ``iam.Role`` prop but ``assumed_by``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: str,
        source_account_condition: bool = True,
        **props: Any,
    ) -> None:
        conditions = (
            {"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}} if source_account_condition else None
        )
        super().__init__(scope, construct_id, assumed_by=iam.ServicePrincipal(service, conditions=conditions), **props)
        self._description: str | None = props.get("description")
        self.policy: iam.ManagedPolicy | None = None

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        """Add ``statement`` to the role's managed policy (CDK calls this for every grant)."""
        if getattr(self, "policy", None) is None:
            self.policy = iam.ManagedPolicy(self, "Policy", roles=[self], description=self._description)
        self.policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self.policy)
