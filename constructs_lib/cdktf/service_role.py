"""ServiceRole: an IAM role one AWS service may assume, whose permissions live in customer-managed policies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from constructs_lib.cdktf.deployment import account_context, deployment_settings
from constructs_lib.cdktf.iam import policy_document
from constructs_lib.policy import naming, storage
from constructs_lib.policy.errors import ConfigurationError

#: IAM's limit on a managed policy's name.
POLICY_NAME_LIMIT = 128


class ServiceRole(Construct):
    """Role for one service principal, secure with nothing but the service named.

    - Trust: only ``service`` may assume it, and (unless ``source_account_condition=False``, for services that do
      not send the condition key, such as Lambda) only on behalf of this account: the confused-deputy guard.
    - Permissions: :meth:`add_statements` puts each set of statements in its own customer-managed policy (a
      versioned object a reviewer can list and diff; PCI/HIPAA checks reject inline policies), attached with its own
      ``IamRolePolicyAttachment``. AWS-managed policies are attached the same way (:meth:`attach_managed_policy`),
      never through the role's ``managed_policy_arns`` (seed 004).

    Example::

        role = ServiceRole(self, "config-role", service="config.amazonaws.com",
                           managed_policies=["service-role/AWS_ConfigRole"])
        role.add_statements("deliver", [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{arn}/*"}])
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: str,
        name_prefix: str | None = None,
        description: str | None = None,
        statements: Sequence[dict[str, Any]] = (),
        managed_policies: Sequence[str] = (),
        source_account_condition: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        self._account = account_context(self)
        trust: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        if source_account_condition:
            trust["Condition"] = {"StringEquals": {"aws:SourceAccount": self._account.account_id}}
        base = naming.check_suffix(
            name_prefix or storage.base_name_for(self.node.path.replace("/", "-")), field="name_prefix"
        )
        self.role_name = naming.resource_name("iam_role", base, settings.environment_suffix)
        self.role = IamRole(
            self,
            "role",
            name=self.role_name,
            description=description or f"Assumed by {service} for {self.node.path}",
            assume_role_policy=policy_document([trust]),
        )
        self.policies: list[IamPolicy] = []
        self.attachments: list[IamRolePolicyAttachment] = []
        if statements:
            self.add_statements("permissions", statements)
        for managed in managed_policies:
            self.attach_managed_policy(managed)

    @property
    def arn(self) -> str:
        return self.role.arn

    @property
    def name(self) -> str:
        return self.role.name

    def add_statements(self, policy_name: str, statements: Sequence[dict[str, Any]]) -> IamRolePolicyAttachment:
        """A customer-managed policy ``<role>-<policy_name>`` holding ``statements``, attached to the role.

        Returns the attachment: resources that use the permissions depend on it, not just on the policy.
        """
        full_name = f"{self.role_name}-{policy_name}"
        if len(full_name) > POLICY_NAME_LIMIT:
            raise ConfigurationError(
                "policy_name", policy_name, f"at most {POLICY_NAME_LIMIT} characters with the role name"
            )
        policy = IamPolicy(
            self,
            f"policy-{policy_name}",
            name=full_name,
            description=f"{policy_name} of {self.node.path}",
            policy=policy_document(statements),
        )
        self.policies.append(policy)
        attachment = IamRolePolicyAttachment(
            self, f"policy-{policy_name}-attachment", role=self.role.name, policy_arn=policy.arn
        )
        self.attachments.append(attachment)
        return attachment

    def attach_managed_policy(self, managed_name: str) -> IamRolePolicyAttachment:
        """Attach the AWS-managed policy ``managed_name`` (e.g. ``service-role/AWS_ConfigRole``) on its own."""
        slug = managed_name.rsplit("/", 1)[-1]
        attachment = IamRolePolicyAttachment(
            self, f"managed-{slug}", role=self.role.name, policy_arn=self._account.managed_policy_arn(managed_name)
        )
        self.attachments.append(attachment)
        return attachment
