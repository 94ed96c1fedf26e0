"""IAM: roles and managed policies as CloudFormation creates them."""

from __future__ import annotations

from typing import Any

from scripts.emulator.registry import addition


def _iam_backend(account_id: str, region_name: str) -> Any:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    return iam_backends[account_id][get_partition(region_name)]


@addition(
    "IAM roles and managed policies in stacks",
    "fix",
    "moto's Role model drops ManagedPolicyArns (the RDS monitoring role had no policy) and never detaches managed "
    "policies on delete, and its ManagedPolicy model cannot be deleted at all: every stack with a customer-managed "
    "policy ended DELETE_FAILED",
)
def _patch_iam() -> None:
    from moto.iam.models import ManagedPolicy, Role

    original_create = Role.create_from_cloudformation_json.__func__
    original_delete = Role.delete_from_cloudformation_json.__func__

    def create_role(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        role = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        backend = _iam_backend(account_id, region_name)
        for policy_arn in cloudformation_json["Properties"].get("ManagedPolicyArns", []):
            backend.attach_role_policy(policy_arn, role.name)
        return role

    def delete_role(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backend = _iam_backend(account_id, region_name)
        role = next((role for role in backend.get_roles() if role.name == resource_name), None)
        if role is not None:
            for policy_arn in list(role.managed_policies):
                backend.detach_role_policy(policy_arn, resource_name)
        original_delete(cls, resource_name, cloudformation_json, account_id, region_name)

    def delete_policy(self: Any, account_id: str, region_name: str) -> None:
        backend = _iam_backend(account_id, region_name)
        for role in list(backend.get_roles()):
            if self.arn in role.managed_policies:
                backend.detach_role_policy(self.arn, role.name)
        for user in list(backend.users.values()):
            if self.arn in user.managed_policies:
                backend.detach_user_policy(self.arn, user.name)
        for group in list(backend.groups.values()):
            if self.arn in group.managed_policies:
                backend.detach_group_policy(self.arn, group.name)
        backend.delete_policy(self.arn)

    Role.create_from_cloudformation_json = classmethod(create_role)
    Role.delete_from_cloudformation_json = classmethod(delete_role)
    ManagedPolicy.delete = delete_policy
