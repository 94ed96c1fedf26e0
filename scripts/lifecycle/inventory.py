"""What the emulator holds, per kind of resource: the list a teardown check compares against a baseline.

Each resource type is listed under a kind through the model's kind of it (:data:`LISTED_AS`); each kind has a
:class:`Lister` (one boto3 call, a JMESPath expression for the ids). "Gone" follows AWS: a key pending deletion, a
deleted NAT gateway or endpoint, an inactive ECS cluster are gone; a secret that can still be recovered is not.

    inventory = Inventory(["eu-west-2", "us-east-1"])
    baseline = inventory.snapshot()   # after ``server reset`` and the CDK bootstrap
    inventory.diff(baseline)          # after deploy and destroy: {kind: [ids that are new]}, {} when nothing is left
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jmespath

from constructs_lib.model.kinds import KINDS

#: Where a kind's ids carry no region: IAM and S3 answer for the whole account.
GLOBAL = "global"


@dataclass(frozen=True)
class Lister:
    """How to list one kind: ``operation`` of ``service`` (paginated when boto3 can), ``ids`` read by JMESPath.

    ``keep`` (operation, argument, JMESPath condition) describes each id and keeps it only when the condition holds:
    for listings that cannot filter on state (KMS keys, ECS clusters). An argument ending in ``[]`` takes a list.
    """

    service: str
    operation: str
    ids: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    global_: bool = False
    keep: tuple[str, str, str] | None = None


#: Each kind and how to list it. Ids are what the API calls the resource (names, ids or ARNs, as it lists them).
LISTERS: dict[str, Lister] = {
    "cloudformation:stack": Lister(
        "cloudformation", "list_stacks", "StackSummaries[?StackStatus!='DELETE_COMPLETE'].StackName"
    ),
    "cloudwatch:alarm": Lister("cloudwatch", "describe_alarms", "MetricAlarms[].AlarmName"),
    "config:rule": Lister("config", "describe_config_rules", "ConfigRules[].ConfigRuleName"),
    "config:recorder": Lister("config", "describe_configuration_recorders", "ConfigurationRecorders[].name"),
    "config:delivery-channel": Lister("config", "describe_delivery_channels", "DeliveryChannels[].name"),
    "ec2:eip": Lister("ec2", "describe_addresses", "Addresses[].AllocationId"),
    "ec2:flow-log": Lister("ec2", "describe_flow_logs", "FlowLogs[].FlowLogId"),
    "ec2:internet-gateway": Lister("ec2", "describe_internet_gateways", "InternetGateways[].InternetGatewayId"),
    # A deleted or failed gateway is AWS's to remove (it lists them for about an hour): nothing is left to delete.
    "ec2:nat-gateway": Lister(
        "ec2", "describe_nat_gateways", "NatGateways[?State!='deleted' && State!='failed'].NatGatewayId"
    ),
    "ec2:network-interface": Lister("ec2", "describe_network_interfaces", "NetworkInterfaces[].NetworkInterfaceId"),
    "ec2:route-table": Lister("ec2", "describe_route_tables", "RouteTables[].RouteTableId"),
    "ec2:security-group": Lister("ec2", "describe_security_groups", "SecurityGroups[].GroupId"),
    "ec2:security-group-rule": Lister(
        "ec2", "describe_security_group_rules", "SecurityGroupRules[].SecurityGroupRuleId"
    ),
    "ec2:subnet": Lister("ec2", "describe_subnets", "Subnets[].SubnetId"),
    "ec2:vpc": Lister("ec2", "describe_vpcs", "Vpcs[].VpcId"),
    "ec2:vpc-endpoint": Lister("ec2", "describe_vpc_endpoints", "VpcEndpoints[?State!='deleted'].VpcEndpointId"),
    # The CDK bootstrap creates a repository and a parameter (the baseline); a Terraform stack its image repository.
    "ecr:repository": Lister("ecr", "describe_repositories", "repositories[].repositoryName"),
    "application-autoscaling:scalable-target": Lister(
        "application-autoscaling",
        "describe_scalable_targets",
        "ScalableTargets[].ResourceId",
        arguments={"ServiceNamespace": "ecs"},
    ),
    "application-autoscaling:policy": Lister(
        "application-autoscaling",
        "describe_scaling_policies",
        "ScalingPolicies[].PolicyName",
        arguments={"ServiceNamespace": "ecs"},
    ),
    "ecs:cluster": Lister(
        "ecs",
        "list_clusters",
        "clusterArns[]",
        keep=("describe_clusters", "clusters[]", "clusters[0].status!='INACTIVE'"),
    ),
    "ecs:task-definition": Lister(
        "ecs", "list_task_definitions", "taskDefinitionArns[]", arguments={"status": "ACTIVE"}
    ),
    "elasticache:replication-group": Lister(
        "elasticache", "describe_replication_groups", "ReplicationGroups[].ReplicationGroupId"
    ),
    "elasticache:subnet-group": Lister(
        "elasticache", "describe_cache_subnet_groups", "CacheSubnetGroups[].CacheSubnetGroupName"
    ),
    "iam:policy": Lister("iam", "list_policies", "Policies[].Arn", arguments={"Scope": "Local"}, global_=True),
    "iam:role": Lister("iam", "list_roles", "Roles[].RoleName", global_=True),
    "kinesis:stream": Lister("kinesis", "list_streams", "StreamNames[]"),
    "kms:alias": Lister("kms", "list_aliases", "Aliases[?!starts_with(AliasName, 'alias/aws/')].AliasName"),
    "kms:key": Lister(
        "kms",
        "list_keys",
        "Keys[].KeyId",
        keep=(
            "describe_key",
            "KeyId",
            "KeyMetadata.KeyManager=='CUSTOMER' && KeyMetadata.KeyState!='PendingDeletion'",
        ),
    ),
    "lambda:event-source-mapping": Lister("lambda", "list_event_source_mappings", "EventSourceMappings[].UUID"),
    "lambda:function": Lister("lambda", "list_functions", "Functions[].FunctionName"),
    "logs:log-group": Lister("logs", "describe_log_groups", "logGroups[].logGroupName"),
    "network-firewall:firewall": Lister("network-firewall", "list_firewalls", "Firewalls[].FirewallArn"),
    "network-firewall:policy": Lister("network-firewall", "list_firewall_policies", "FirewallPolicies[].Arn"),
    "network-firewall:rule-group": Lister("network-firewall", "list_rule_groups", "RuleGroups[].Arn"),
    "rds:cluster": Lister("rds", "describe_db_clusters", "DBClusters[].DBClusterIdentifier"),
    # RDS makes a ``default.<family>`` group itself on the first use of a family, and refuses to delete it: not a
    # stack's resource, so not listed.
    "rds:cluster-parameter-group": Lister(
        "rds",
        "describe_db_cluster_parameter_groups",
        "DBClusterParameterGroups[?!starts_with(DBClusterParameterGroupName, 'default.')].DBClusterParameterGroupName",
    ),
    "rds:instance": Lister("rds", "describe_db_instances", "DBInstances[].DBInstanceIdentifier"),
    "rds:parameter-group": Lister(
        "rds",
        "describe_db_parameter_groups",
        "DBParameterGroups[?!starts_with(DBParameterGroupName, 'default.')].DBParameterGroupName",
    ),
    "rds:subnet-group": Lister("rds", "describe_db_subnet_groups", "DBSubnetGroups[].DBSubnetGroupName"),
    "s3:bucket": Lister("s3", "list_buckets", "Buckets[].Name", global_=True),
    # Secrets scheduled for deletion are listed too: only a delete without recovery (dev's) makes one gone.
    "secretsmanager:secret": Lister(
        "secretsmanager", "list_secrets", "SecretList[].ARN", arguments={"IncludePlannedDeletion": True}
    ),
    "sns:topic": Lister("sns", "list_topics", "Topics[].TopicArn"),
    "sqs:queue": Lister("sqs", "list_queues", "QueueUrls[]"),
    "ssm:parameter": Lister("ssm", "describe_parameters", "Parameters[].Name"),
}

#: Kinds listed whatever a stack synthesizes: what a deploy creates on the side (a stack record, the network
#: interfaces of NAT gateways, endpoints and databases, the secret RDS manages for a master password).
ALWAYS_LISTED: tuple[str, ...] = ("cloudformation:stack", "ec2:network-interface", "secretsmanager:secret")

#: The model's kind of a resource (``constructs_lib.model.kinds.KINDS``, one per CloudFormation or Terraform type) ->
#: the kind it is listed under. Parts of a resource (policies, attachments, associations, routes, bucket settings) are
#: listed as that resource: they cannot outlive it.
LISTED_AS: dict[str, str] = {
    "metric_alarm": "cloudwatch:alarm",
    "config_rule": "config:rule",
    "config_recorder": "config:recorder",
    "config_recorder_status": "config:recorder",
    "config_delivery_channel": "config:delivery-channel",
    "elastic_ip": "ec2:eip",
    "flow_log": "ec2:flow-log",
    "internet_gateway": "ec2:internet-gateway",
    "vpc_gateway_attachment": "ec2:internet-gateway",
    "nat_gateway": "ec2:nat-gateway",
    "route_table": "ec2:route-table",
    "route": "ec2:route-table",
    "route_table_association": "ec2:route-table",
    "security_group": "ec2:security-group",
    "default_security_group": "ec2:security-group",
    "security_group_ingress": "ec2:security-group-rule",
    "security_group_egress": "ec2:security-group-rule",
    # The default security group's rules, removed by a custom resource: the group belongs to (and goes with) the VPC.
    "restrict_default_security_group": "ec2:security-group-rule",
    "subnet": "ec2:subnet",
    "vpc": "ec2:vpc",
    "vpc_endpoint": "ec2:vpc-endpoint",
    "ecs_cluster": "ecs:cluster",
    "ecs_cluster_capacity_providers": "ecs:cluster",
    "ecs_task_definition": "ecs:task-definition",
    # A cluster refuses deletion while it has services: a cluster gone (INACTIVE) is one whose services are gone.
    "ecs_service": "ecs:cluster",
    "ecr_repository": "ecr:repository",
    "ecr_lifecycle_policy": "ecr:repository",
    "scaling_target": "application-autoscaling:scalable-target",
    "scaling_policy": "application-autoscaling:policy",
    "cache_replication_group": "elasticache:replication-group",
    "cache_subnet_group": "elasticache:subnet-group",
    "iam_policy": "iam:policy",
    "iam_role": "iam:role",
    "iam_role_policy_attachment": "iam:role",
    "kms_alias": "kms:alias",
    "kms_key": "kms:key",
    "stream": "kinesis:stream",
    "event_source_mapping": "lambda:event-source-mapping",
    "function": "lambda:function",
    "function_permission": "lambda:function",
    "log_group": "logs:log-group",
    "network_firewall": "network-firewall:firewall",
    "network_firewall_logging": "network-firewall:firewall",
    "network_firewall_policy": "network-firewall:policy",
    "network_firewall_rule_group": "network-firewall:rule-group",
    "db_cluster": "rds:cluster",
    "db_cluster_parameter_group": "rds:cluster-parameter-group",
    "db_instance": "rds:instance",
    "db_cluster_instance": "rds:instance",
    "db_parameter_group": "rds:parameter-group",
    "db_subnet_group": "rds:subnet-group",
    "s3_bucket": "s3:bucket",
    "s3_bucket_encryption": "s3:bucket",
    "s3_bucket_lifecycle": "s3:bucket",
    "s3_bucket_logging": "s3:bucket",
    "s3_bucket_notification": "s3:bucket",
    "s3_bucket_ownership": "s3:bucket",
    "s3_bucket_policy": "s3:bucket",
    "s3_bucket_public_access_block": "s3:bucket",
    "s3_bucket_versioning": "s3:bucket",
    "secret": "secretsmanager:secret",
    "topic": "sns:topic",
    "topic_policy": "sns:topic",
    "topic_subscription": "sns:topic",
    "queue": "sqs:queue",
    "queue_policy": "sqs:queue",
    "queue_redrive_allow_policy": "sqs:queue",
}

#: Types listed otherwise than their model kind: the model calls every IAM policy ``iam_policy``, but an inline policy
#: (``AWS::IAM::Policy`` as the CDK renders it, ``aws_iam_role_policy``) is part of its role, and goes with it.
LISTED_BY_TYPE: dict[str, str] = {
    "AWS::IAM::Policy": "iam:role",
    "aws_iam_role_policy": "iam:role",
}

#: Every resource type the model classifies -> the kind it is listed under.
TYPE_KINDS: dict[str, str] = {
    **{resource_type: LISTED_AS[kind] for resource_type, kind in KINDS.items() if kind in LISTED_AS},
    **LISTED_BY_TYPE,
}

#: Synthesized types that create nothing in the account, and why.
NOT_CREATED: dict[str, str] = {
    "AWS::CDK::Metadata": "the CDK's template metadata (construct library versions); no AWS resource",
}


def cdk_stack_types(assembly: Path) -> dict[str, set[str]]:
    """Resource types of each stack (construct id) in a CDK cloud assembly."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    found: dict[str, set[str]] = {}
    for construct_id, artifact in manifest["artifacts"].items():
        if artifact["type"] == "aws:cloudformation:stack":
            template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
            found[construct_id] = {resource["Type"] for resource in template.get("Resources", {}).values()}
    return found


def cdktf_stack_types(outdir: Path) -> dict[str, set[str]]:
    """Managed resource types of each stack in a cdktf output (data sources create nothing)."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    found: dict[str, set[str]] = {}
    for name, entry in manifest["stacks"].items():
        config = json.loads((outdir / entry["synthesizedStackPath"]).read_text())
        found[name] = set(config.get("resource", {}))
    return found


def synthesized_types(path: Path) -> dict[str, set[str]]:
    """Resource types per stack of whatever was synthesized at ``path`` (a CDK assembly or a cdktf output)."""
    manifest = json.loads((path / "manifest.json").read_text())
    return cdk_stack_types(path) if "artifacts" in manifest else cdktf_stack_types(path)


def missing_types(types: Iterable[str]) -> list[str]:
    """The types among ``types`` that have no kind (and are not known to create nothing): each one a gap to fill."""
    return sorted({kind for kind in types if kind not in NOT_CREATED and TYPE_KINDS.get(kind, "") not in LISTERS})


def kinds_for(types: Iterable[str]) -> set[str]:
    """The kinds a stack with these resource types creates, plus :data:`ALWAYS_LISTED`; unknown types raise."""
    types = set(types)
    unknown = missing_types(types)
    if unknown:
        raise KeyError(
            f"no lister for resource type(s) {', '.join(unknown)}: give each a row in constructs_lib/model/kinds.py "
            "and its kind one in LISTED_AS"
        )
    return {TYPE_KINDS[kind] for kind in types if kind not in NOT_CREATED} | set(ALWAYS_LISTED)


#: One snapshot: kind -> ids, each id prefixed by its region (``eu-west-2/vpc-1``, ``global/role-name``).
Snapshot = dict[str, set[str]]


class Inventory:
    """Lists every kind in :data:`LISTERS` (or ``kinds``) in ``regions``, through boto3 clients from the environment
    (never moto's ``/moto-api/data.json``: it keeps deleted objects)."""

    def __init__(self, regions: Iterable[str], kinds: Iterable[str] | None = None, session: Any = None) -> None:
        import boto3

        self.regions = sorted(set(regions))
        if not self.regions:
            raise ValueError("regions: at least one region to list (the stacks' regions)")
        self.kinds = sorted(kinds) if kinds is not None else sorted(LISTERS)
        unknown = [kind for kind in self.kinds if kind not in LISTERS]
        if unknown:
            raise ValueError(f"kinds: {', '.join(unknown)} not in {', '.join(sorted(LISTERS))}")
        self.session = session or boto3.session.Session()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        if (service, region) not in self._clients:
            self._clients[service, region] = self.session.client(service, region_name=region)
        return self._clients[service, region]

    def list_kind(self, kind: str) -> set[str]:
        """Ids of one kind, region-prefixed, in every region (once for a global kind)."""
        lister = LISTERS[kind]
        regions = [self.regions[0]] if lister.global_ else self.regions
        found: set[str] = set()
        for region in regions:
            client = self.client(lister.service, region)
            for resource_id in _list(client, lister):
                found.add(f"{GLOBAL if lister.global_ else region}/{resource_id}")
        return found

    def snapshot(self) -> Snapshot:
        return {kind: self.list_kind(kind) for kind in self.kinds}

    def diff(self, baseline: Snapshot, kinds: Iterable[str] | None = None) -> dict[str, list[str]]:
        """What is listed now and was not in ``baseline``, per kind (only kinds with something new)."""
        new: dict[str, list[str]] = {}
        for kind in sorted(kinds) if kinds is not None else self.kinds:
            added = sorted(self.list_kind(kind) - baseline.get(kind, set()))
            if added:
                new[kind] = added
        return new


def _list(client: Any, lister: Lister) -> list[str]:
    """Run one lister: every page, ids by its expression, filtered by its ``keep`` describe call."""
    if client.can_paginate(lister.operation):
        pages = client.get_paginator(lister.operation).paginate(**lister.arguments)
    else:
        pages = [getattr(client, lister.operation)(**lister.arguments)]
    ids = [str(item) for page in pages for item in (jmespath.search(lister.ids, page) or [])]
    if lister.keep is None:
        return ids
    operation, argument, condition = lister.keep
    kept = []
    for item in ids:
        request = {argument[:-2]: [item]} if argument.endswith("[]") else {argument: item}
        if jmespath.search(condition, getattr(client, operation)(**request)):
            kept.append(item)
    return kept


def count(found: Mapping[str, Iterable[str]]) -> int:
    """How many resources a diff holds."""
    return sum(len(list(ids)) for ids in found.values())


def shown(found: Mapping[str, Iterable[str]], limit: int = 6) -> str:
    """A diff in one line: ``kind: id, id; kind: id`` (the first few ids of each kind)."""
    parts = []
    for kind, ids in sorted(found.items()):
        ids = list(ids)
        more = f" (+{len(ids) - limit} more)" if len(ids) > limit else ""
        parts.append(f"{kind}: {', '.join(ids[:limit])}{more}")
    return "; ".join(parts) or "nothing"
