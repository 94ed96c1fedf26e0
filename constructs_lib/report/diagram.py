"""The architecture of one stack as plain data: boundaries (VPCs and their subnet tiers), nodes and edges.

Drawn from the same model as the cost and teardown reports, never by hand, so the picture cannot drift from the
code. Nodes are the resources a reader looks for: network boundaries and gateways, data stores, streams, queues,
topics, compute, keys, secrets and log destinations. Edges come from the references between resources:

- a direct ``Ref`` / ``Fn::GetAtt`` / Terraform interpolation from one node to another;
- through IAM: a function or task uses what its role's policies name (role -> policy -> stream);
- through wiring resources that connect two nodes and say which way data flows (an event source mapping: stream
  -> function; an alarm: the watched resource -> its topic; a bucket notification, a log subscription...).

``constructs_lib.report.render`` turns this into a PNG with the ``diagrams`` package.

Example::

    model = build(stack)
    [n.label for n in model.nodes_in("data_store")], [(e.source, e.target) for e in model.edges]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from constructs_lib.model import Resource, Stack

#: kind -> (category, icon) of every resource drawn as a node.
NODE_KINDS: dict[str, tuple[str, str]] = {
    "s3_bucket": ("data_store", "s3"),
    "dynamodb_table": ("data_store", "dynamodb"),
    "db_cluster": ("data_store", "aurora"),
    "db_instance": ("data_store", "rds"),
    "cache_replication_group": ("data_store", "elasticache"),
    "cache_cluster": ("data_store", "elasticache"),
    "stream": ("stream", "kinesis"),
    "queue": ("queue", "sqs"),
    "topic": ("topic", "sns"),
    "function": ("compute", "lambda"),
    "ecs_cluster": ("compute", "ecs"),
    "ecs_service": ("compute", "fargate"),
    "ecs_task_definition": ("compute", "ecs_task"),
    "kms_key": ("key", "kms"),
    "secret": ("secret", "secrets_manager"),
    "log_group": ("log", "cloudwatch_logs"),
    "nat_gateway": ("network", "nat_gateway"),
    "internet_gateway": ("network", "internet_gateway"),
    "network_firewall": ("network", "network_firewall"),
    "vpc_endpoint": ("network", "vpc_endpoint"),
    "flow_log": ("network", "flow_logs"),
    "config_recorder": ("monitoring", "config"),
}
#: Resources that only grant permissions: a node uses whatever the policies of the roles it names refer to.
IAM_KINDS = frozenset({"iam_role", "iam_policy", "iam_role_policy_attachment"})
#: Kinds whose subnets tell where a node sits.
_SUBNET_GROUP_KINDS = ("db_subnet_group", "cache_subnet_group")
#: Words that name a subnet tier in a subnet's name.
_TIER_WORDS = ("public", "private", "isolated", "firewall", "data", "database", "app", "protected", "ingress")
#: Route tables are joined to subnets by these, and hold these routes.
_ROUTE_TABLE_ASSOCIATIONS = frozenset({"AWS::EC2::SubnetRouteTableAssociation", "aws_route_table_association"})
_ROUTES = frozenset({"AWS::EC2::Route", "aws_route"})
_GATEWAY_KINDS = frozenset({"nat_gateway", "internet_gateway", "network_firewall", "vpc_endpoint"})
#: The 8-hex-digit hash CDK appends to a logical ID.
_CDK_HASH = re.compile(r"(?<=[a-z])[0-9A-F]{8}$")
#: CDK's own singleton providers (custom resources): plumbing, not architecture.
_CDK_PROVIDER = re.compile(r"(^|/)(Custom::|AWS[0-9a-f]{32}|LogRetention[0-9a-f]{32}|BucketNotificationsHandler)")


@dataclass(frozen=True)
class Flow:
    """A wiring resource that connects two nodes: its references under ``sources`` point at where data comes from,
    those under ``targets`` at where it goes (property paths, CloudFormation and Terraform names together)."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    label: str
    #: Instead of ``sources``: every node of this kind in the stack (a Config delivery channel names no recorder).
    source_kind: str | None = None


#: Wiring resources by kind or type.
FLOWS: dict[str, Flow] = {
    "event_source_mapping": Flow(("EventSourceArn", "event_source_arn"), ("FunctionName", "function_name"), "events"),
    "metric_alarm": Flow(("Dimensions", "dimensions"), ("AlarmActions", "alarm_actions"), "alarm"),
    "AWS::Lambda::Permission": Flow(("SourceArn",), ("FunctionName",), "invokes"),
    "aws_lambda_permission": Flow(("source_arn",), ("function_name",), "invokes"),
    "aws_s3_bucket_notification": Flow(("bucket",), ("lambda_function", "queue", "topic"), "notifies"),
    "aws_s3_bucket_logging": Flow(("bucket",), ("target_bucket",), "access logs"),
    "AWS::NetworkFirewall::LoggingConfiguration": Flow(("FirewallArn",), ("LoggingConfiguration",), "logs"),
    "aws_networkfirewall_logging_configuration": Flow(("firewall_arn",), ("logging_configuration",), "logs"),
    "AWS::SNS::Subscription": Flow(("TopicArn",), ("Endpoint",), "delivers"),
    "aws_sns_topic_subscription": Flow(("topic_arn",), ("endpoint",), "delivers"),
    "AWS::Logs::SubscriptionFilter": Flow(("LogGroupName",), ("DestinationArn",), "subscription"),
    "aws_cloudwatch_log_subscription_filter": Flow(("log_group_name",), ("destination_arn",), "subscription"),
    "AWS::Config::DeliveryChannel": Flow((), ("S3BucketName", "SnsTopicARN"), "delivers", "config_recorder"),
    "aws_config_delivery_channel": Flow((), ("s3_bucket_name", "sns_topic_arn"), "delivers", "config_recorder"),
}


@dataclass(frozen=True)
class Boundary:
    """A cluster in the picture: a VPC, or one subnet tier inside it."""

    boundary_id: str
    label: str
    parent: str | None = None


@dataclass(frozen=True)
class Node:
    node_id: str
    label: str
    category: str
    icon: str
    kind: str
    boundary: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    via: str


@dataclass(frozen=True)
class DiagramModel:
    """What the picture of one stack shows."""

    stack: str
    system: str | None
    title: str
    boundaries: tuple[Boundary, ...] = ()
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.node_id == node_id), None)

    def nodes_in(self, *categories: str) -> list[Node]:
        return [n for n in self.nodes if n.category in categories]

    def edge_between(self, source: str, target: str) -> Edge | None:
        return next((e for e in self.edges if e.source == source and e.target == target), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "boundaries": [vars(b) for b in self.boundaries],
            "nodes": [vars(n) for n in self.nodes],
            "edges": [vars(e) for e in self.edges],
        }


def is_node(resource: Resource) -> bool:
    """A resource the picture shows: a node kind, and not one of CDK's own custom-resource providers."""
    return resource.kind in NODE_KINDS and not _CDK_PROVIDER.search(resource.path)


def short_label(resource: Resource) -> str:
    """The construct path without the stack's own id and CDK's ``Resource`` leaf; without a path (a template
    synthesized without path metadata, a Terraform resource without cdktf metadata) the logical ID without CDK's
    hash suffix, or the Terraform resource name."""
    parts = [p for p in resource.path.split("/") if p][1:]
    if len(parts) > 1 and parts[-1] in ("Resource", "Default"):
        parts = parts[:-1]
    if parts:
        return "/".join(parts)
    name = resource.address.split(".", 1)[-1]
    return _CDK_HASH.sub("", name) or name


def _tier(subnet: Resource) -> str:
    """The subnet's tier: CDK's ``aws-cdk:subnet-name`` tag, else a tier word in its name."""
    named = subnet.tags.get("aws-cdk:subnet-name")
    if named:
        return named
    name = (subnet.tags.get("Name") or subnet.path or subnet.address).lower()
    last = re.sub(r"[-_]?\d+$", "", re.split(r"[/.]", name)[-1])
    words = re.split(r"[-_]", last)
    return next((w for w in reversed(words) if w in _TIER_WORDS), last or "subnets")


def _subnets(resource: Resource, stack: Stack) -> list[Resource]:
    """Subnets the resource sits in: named directly, or through a DB / cache subnet group."""
    found = stack.referenced(resource, None, "subnet")
    for group in stack.referenced(resource, None, *_SUBNET_GROUP_KINDS):
        found.extend(stack.referenced(group, None, "subnet"))
    return found


def _vpc_of(resource: Resource, stack: Stack) -> Resource | None:
    """The VPC a resource names, or (an internet gateway) the VPC its attachment names."""
    vpcs = stack.referenced(resource, None, "vpc")
    attachments = stack.referrers(resource.address) if resource.kind == "internet_gateway" and not vpcs else []
    for attachment in attachments:
        vpcs.extend(stack.referenced(attachment, None, "vpc"))
    return vpcs[0] if vpcs else None


def _network(stack: Stack) -> tuple[dict[str, Boundary], list[Node]]:
    """A boundary per VPC and per subnet tier in it, and a node per tier (its subnets, one per AZ)."""
    boundaries: dict[str, Boundary] = {}
    tiers: dict[str, list[Resource]] = {}
    for vpc in stack.of_kind("vpc"):
        boundaries[vpc.address] = Boundary(vpc.address, f"VPC {short_label(vpc)}")
    for subnet in stack.of_kind("subnet"):
        vpc = _vpc_of(subnet, stack)
        parent = vpc.address if vpc else "vpc"
        boundaries.setdefault(parent, Boundary(parent, "VPC"))
        tier_id = f"{parent}/{_tier(subnet)}"
        boundaries.setdefault(tier_id, Boundary(tier_id, f"{_tier(subnet)} subnets", parent))
        tiers.setdefault(tier_id, []).append(subnet)
    nodes = [
        Node(
            node_id=f"subnets:{tier_id}",
            label=boundaries[tier_id].label,
            category="network",
            icon="public_subnet" if tier_id.endswith("/public") else "private_subnet",
            kind="subnet",
            boundary=tier_id,
            detail=f"{len(subnets)} AZs",
        )
        for tier_id, subnets in tiers.items()
    ]
    return boundaries, nodes


def _placement(resource: Resource, stack: Stack, boundaries: Mapping[str, Boundary]) -> str | None:
    """The boundary a node is drawn in: its subnets' tier, else its VPC, else none (a regional service)."""
    subnets = _subnets(resource, stack)
    if subnets:
        vpc = _vpc_of(subnets[0], stack)
        tier = Counter(_tier(s) for s in subnets).most_common(1)[0][0]
        tier_id = f"{vpc.address if vpc else 'vpc'}/{tier}"
        return tier_id if tier_id in boundaries else None
    vpc = _vpc_of(resource, stack)
    return vpc.address if vpc is not None and vpc.address in boundaries else None


def _detail(resource: Resource) -> str:
    """One short line under the label: what sizes this node."""
    get = resource.get
    if resource.kind in ("db_instance", "cache_replication_group", "cache_cluster"):
        return str(get("instance_class") or "")
    if resource.kind == "db_cluster":
        minimum = get("serverless_min_capacity")
        engine = f"{get('engine')} {get('engine_version') or ''}".strip()
        return engine + (f"\nmin {minimum} ACU" if minimum is not None else "")
    if resource.kind == "stream":
        shards = resource.properties.get("ShardCount", resource.properties.get("shard_count"))
        return f"{shards} shard(s)" if shards is not None else "on-demand"
    return ""


def _targets_at(resource: Resource, paths: tuple[str, ...]) -> list[str]:
    return [t for path in paths for t in resource.targets(path)]


def _iam_reach(start: Resource, stack: Stack) -> Iterator[str]:
    """Nodes that ``start`` may use through the roles and policies it names."""
    queue = [
        stack.resources[t] for t in start.targets() if t in stack.resources and stack.resources[t].kind in IAM_KINDS
    ]
    seen = {r.address for r in queue} | {start.address}
    while queue:
        glue = queue.pop()
        for target in glue.targets():
            found = stack.resources.get(target)
            if found is None or found.address in seen:
                continue
            seen.add(found.address)
            if found.kind in IAM_KINDS:
                queue.append(found)
            elif is_node(found):
                yield found.address
        for referrer in stack.referrers(glue.address, *IAM_KINDS):
            if referrer.address not in seen:
                seen.add(referrer.address)
                queue.append(referrer)


def _flow(resource: Resource) -> Flow | None:
    return FLOWS.get(resource.type) or FLOWS.get(resource.kind)


def _edges(stack: Stack, nodes: Mapping[str, Node]) -> list[Edge]:
    edges: dict[tuple[str, str], Edge] = {}

    def add(source: str, target: str, via: str) -> None:
        if source != target and source in nodes and target in nodes:
            edges.setdefault((source, target), Edge(source, target, via))

    for address in nodes:
        resource = stack.resources[address]
        for reference in resource.references:
            target = nodes.get(reference.target)
            if target is not None:
                add(address, target.node_id, _direct_label(target, reference.via))
    for resource in stack:
        flow = _flow(resource)
        if flow is None:
            continue
        sources = (
            [r.address for r in stack.of_kind(flow.source_kind)]
            if flow.source_kind
            else _targets_at(resource, flow.sources)
        )
        for source in sources:
            for target in _targets_at(resource, flow.targets):
                add(source, target, flow.label)
        if resource.kind == "event_source_mapping":
            for function in _targets_at(resource, flow.targets):
                for target in _targets_at(resource, ("DestinationConfig", "destination_config")):
                    add(function, target, "on failure")
    for address in nodes:
        for target in _iam_reach(stack.resources[address], stack):
            add(address, target, "IAM")
    return list(edges.values())


def _route_edges(stack: Stack, nodes: Mapping[str, Node]) -> list[Edge]:
    """Subnet tier -> the NAT gateway, internet gateway or firewall its route tables send traffic to."""
    tier_of = {}
    for subnet in stack.of_kind("subnet"):
        vpc = _vpc_of(subnet, stack)
        tier_of[subnet.address] = f"subnets:{vpc.address if vpc else 'vpc'}/{_tier(subnet)}"
    edges: dict[tuple[str, str], Edge] = {}
    for association in stack:
        if association.type not in _ROUTE_TABLE_ASSOCIATIONS:
            continue
        tiers = [tier_of[t] for t in association.targets() if t in tier_of]
        for table in association.targets():
            for route in stack.referrers(table):
                if route.type not in _ROUTES:
                    continue
                for gateway in route.targets():
                    if gateway in nodes and nodes[gateway].kind in _GATEWAY_KINDS:
                        for tier in tiers:
                            edges.setdefault((tier, gateway), Edge(tier, gateway, "route"))
    return list(edges.values())


def _direct_label(target: Node, via: str) -> str:
    if target.category == "key":
        return "encrypted by"
    if target.category == "log":
        return "logs to"
    return "depends on" if via == "depends_on" else "uses"


def build(stack: Stack) -> DiagramModel:
    """The diagram model of ``stack``."""
    boundaries, tier_nodes = _network(stack)
    nodes: dict[str, Node] = {}
    for resource in stack:
        if not is_node(resource):
            continue
        category, icon = NODE_KINDS[resource.kind]
        nodes[resource.address] = Node(
            node_id=resource.address,
            label=short_label(resource),
            category=category,
            icon=icon,
            kind=resource.kind,
            boundary=_placement(resource, stack, boundaries),
            detail=_detail(resource),
        )
    title = stack.system or stack.name
    if stack.profile:
        title = f"{title} ({stack.profile})"
    return DiagramModel(
        stack=stack.name,
        system=stack.system,
        title=title,
        boundaries=tuple(boundaries.values()),
        nodes=(*tier_nodes, *nodes.values()),
        edges=(*_route_edges(stack, nodes), *_edges(stack, nodes)),
    )
