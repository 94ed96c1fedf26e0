"""How a construct learns its deployment's suffix and profile, and how policy removal maps onto CDK."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from constructs import IConstruct

from constructs_lib.policy.profiles import RemovalBehaviour
from constructs_lib.policy.settings import DeploymentSettings, resolve_settings

_REMOVAL_POLICIES: dict[RemovalBehaviour, RemovalPolicy] = {
    RemovalBehaviour.DESTROY: RemovalPolicy.DESTROY,
    RemovalBehaviour.RETAIN: RemovalPolicy.RETAIN,
    RemovalBehaviour.SNAPSHOT: RemovalPolicy.SNAPSHOT,
}


def deployment_settings(scope: IConstruct) -> DeploymentSettings:
    """Suffix and profile from the construct tree's context (``-c``), else the environment; validated."""
    return resolve_settings(scope.node.try_get_context)


def removal_policy(behaviour: RemovalBehaviour) -> RemovalPolicy:
    """The CDK RemovalPolicy for a policy removal behaviour."""
    return _REMOVAL_POLICIES[behaviour]


def storage_removal_policy(scope: IConstruct) -> RemovalPolicy:
    """Removal for keys, buckets and log groups under the deployment's profile."""
    return removal_policy(deployment_settings(scope).profile.storage_removal)
