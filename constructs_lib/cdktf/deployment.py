"""What a cdktf construct learns from its deployment: suffix, profile, and the account it lands in.

Account, partition and region are read by Terraform data sources at plan time, never typed into code (seed 004
hard-coded an account ID). One set of data sources per stack is shared by every construct in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from constructs import IConstruct

from constructs_lib.policy.profiles import Profile, RemovalBehaviour
from constructs_lib.policy.settings import DeploymentSettings, resolve_settings

_CALLER = "current_account"
_PARTITION = "current_partition"
_REGION = "current_region"


def deployment_settings(scope: IConstruct) -> DeploymentSettings:
    """Suffix and profile from the construct tree's context, else the environment; validated."""
    return resolve_settings(scope.node.try_get_context)


@dataclass(frozen=True)
class AccountContext:
    """Deploy-time references (Terraform expressions) to where the stack is applied."""

    account_id: str
    partition: str
    region: str
    dns_suffix: str

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        """``arn:<partition>:<service>:<region>:<account>:<resource>`` with the parts a service leaves empty."""
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    def managed_policy_arn(self, name: str) -> str:
        """ARN of an AWS-managed IAM policy, e.g. ``service-role/AWS_ConfigRole``."""
        return f"arn:{self.partition}:iam::aws:policy/{name}"


def account_context(scope: IConstruct) -> AccountContext:
    """The stack's caller-identity, partition and region data sources, created once per stack on first use."""
    stack = TerraformStack.of(scope)
    caller = stack.node.try_find_child(_CALLER) or DataAwsCallerIdentity(stack, _CALLER)
    partition = stack.node.try_find_child(_PARTITION) or DataAwsPartition(stack, _PARTITION)
    region = stack.node.try_find_child(_REGION) or DataAwsRegion(stack, _REGION)
    return AccountContext(
        account_id=caller.account_id,
        partition=partition.partition,
        region=region.name,
        dns_suffix=partition.dns_suffix,
    )


def force_destroy(profile: Profile) -> bool:
    """Buckets: dev deletes them with their objects so teardown never stalls; prod refuses to delete a full bucket."""
    return profile.storage_removal is RemovalBehaviour.DESTROY


def skip_destroy(profile: Profile) -> bool:
    """Log groups: prod leaves them (and their evidence) in place when the stack is destroyed."""
    return profile.storage_removal is RemovalBehaviour.RETAIN


def skip_final_snapshot(profile: Profile) -> bool:
    """Databases: only a profile that destroys data skips the final snapshot."""
    return profile.database_removal is RemovalBehaviour.DESTROY
