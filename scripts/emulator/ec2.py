"""EC2: the default security group, security group rules, route table associations, and the network deletes
AWS refuses while something depends on them; and what moto's ECS lacks for Fargate tasks and stack deletes."""

from __future__ import annotations

import copy
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel

from scripts.emulator.cfn_resource import Replaceable, WrapperModel, random_id
from scripts.emulator.registry import addition, model


@addition(
    "default security group rules",
    "fix",
    "moto creates a VPC's default security group without its ingress-from-itself rule, so removing the default "
    "rules could not be observed",
)
def _patch_default_security_group() -> None:
    from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupRule

    original = SecurityGroup.__init__

    def init(
        self: Any, ec2_backend: Any, group_id: str, name: str, description: str, *args: Any, **kwargs: Any
    ) -> None:
        original(self, ec2_backend, group_id, name, description, *args, **kwargs)
        if self.is_default and self.vpc_id:
            account = ec2_backend.account_id
            source = {"GroupId": group_id, "UserId": account, "OwnerId": account}
            self.ingress_rules.append(
                SecurityGroupRule(ec2_backend, "-1", group_id, None, None, None, source_group=source, is_egress=False)
            )

    SecurityGroup.__init__ = init


def _security_group_rule(rule: dict[str, Any], *, egress: bool) -> dict[str, Any]:
    """A CloudFormation ingress/egress rule as moto's authorize_security_group_* keyword arguments."""
    ip_ranges: list[dict[str, str]] = []
    if "CidrIp" in rule:
        ip_ranges.append(
            {"CidrIp": rule["CidrIp"], **({"Description": rule["Description"]} if "Description" in rule else {})}
        )
    if "CidrIpv6" in rule:
        ip_ranges.append({"CidrIpv6": rule["CidrIpv6"]})
    peer = rule.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId")
    return {
        "ip_protocol": str(rule["IpProtocol"]),
        "from_port": rule.get("FromPort"),
        "to_port": rule.get("ToPort"),
        "ip_ranges": ip_ranges,
        "source_groups": [{"GroupId": peer}] if peer else [],
    }


@addition(
    "AWS::EC2::SecurityGroup egress and ingress",
    "fix",
    "moto's model ignores SecurityGroupEgress (a group CDK closes to all outbound traffic keeps the allow-all rule) "
    "and mishandles CidrIp ingress",
)
def _patch_security_group_rules() -> None:
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.security_groups import SecurityGroup

    original = SecurityGroup.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = dict(cloudformation_json["Properties"])
        ingress = properties.pop("SecurityGroupIngress", [])
        egress = properties.pop("SecurityGroupEgress", None)
        group = original(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name)
        backend = ec2_backends[account_id][region_name]
        for rule in ingress:
            backend.authorize_security_group_ingress(group.id, **_security_group_rule(rule, egress=False))
        if egress is not None:
            if group.egress_rules:
                backend.revoke_security_group_egress(
                    group.id, None, None, None, [], security_rule_ids=[rule.id for rule in group.egress_rules]
                )
            for rule in egress:
                backend.authorize_security_group_egress(group.id, **_security_group_rule(rule, egress=True))
        return group

    SecurityGroup.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


@model
class SecurityGroupEgressRule(Replaceable, WrapperModel, CloudFormationModel):
    """Stand-alone egress rules (CDK's 'disallow all' rule of a closed group): no model in moto, so the group kept
    its allow-all egress; as in CloudFormation, adding one strips the group's default allow-all rule."""

    def __init__(self, group_id: str, rule: dict[str, Any]) -> None:
        super().__init__(f"{group_id}-egress-{random_id(8).lower()}")
        self.group_id = group_id
        self.rule = rule

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::SecurityGroupEgress"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> SecurityGroupEgressRule:
        properties = cloudformation_json["Properties"]
        backend = ec2_backend(account_id, region_name)
        group = backend.get_security_group_by_name_or_id(properties["GroupId"])
        if group is None:
            raise ValidationError(message=f"security group {properties['GroupId']} not found")
        defaults = [
            rule
            for rule in group.egress_rules
            if rule.ip_protocol == "-1" and rule.ip_range.get("CidrIp") == "0.0.0.0/0" and not rule.source_group
        ]
        if defaults and len(defaults) == len(group.egress_rules):
            default_ids = [default.id for default in defaults]
            backend.revoke_security_group_egress(group.id, None, None, None, [], security_rule_ids=default_ids)
        rule = _security_group_rule(properties, egress=True)
        backend.authorize_security_group_egress(group.id, **rule)
        return cls(group.id, rule)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = ec2_backend(account_id, region_name)
        if backend.get_security_group_by_name_or_id(self.group_id) is not None:
            backend.revoke_security_group_egress(self.group_id, **self.rule)


@addition(
    "AWS::EC2::SubnetRouteTableAssociation",
    "fix",
    "moto's model records the association where no route table sees it: DescribeRouteTables lists no subnets, so "
    "which tier reaches the internet (isolated subnets must not) could not be checked",
)
def _patch_route_table_association() -> None:
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.subnets import SubnetRouteTableAssociation

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        association = cls(properties["RouteTableId"], properties["SubnetId"])
        association.association_id = ec2_backends[account_id][region_name].associate_route_table(
            properties["RouteTableId"], subnet_id=properties["SubnetId"]
        )
        return association

    def delete(self: Any, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].disassociate_route_table(self.association_id)

    SubnetRouteTableAssociation.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    SubnetRouteTableAssociation.physical_resource_id = property(
        lambda self: getattr(self, "association_id", self.route_table_id)
    )
    SubnetRouteTableAssociation.delete = delete


def ec2_backend(account_id: str, region_name: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region_name]


def _release_address(self: Any, account_id: str, region_name: str) -> None:
    backend = ec2_backend(account_id, region_name)
    if self in backend.addresses:
        backend.release_address(address=self.public_ip)


def _delete_flow_log(self: Any, account_id: str, region_name: str) -> None:
    ec2_backend(account_id, region_name).delete_flow_logs([self.id])


def _delete_internet_gateway(self: Any, account_id: str, region_name: str) -> None:
    ec2_backend(account_id, region_name).delete_internet_gateway(self.id)


def _detach_gateway(self: Any, account_id: str, region_name: str) -> None:
    backend = ec2_backend(account_id, region_name)
    if self.gateway_id in backend.internet_gateways:
        backend.detach_internet_gateway(self.gateway_id, self.vpc_id)
        return
    # moto's VPN attachment does not record its gateway: find the gateway holding this attachment.
    for gateway in backend.vpn_gateways.values():
        if gateway.attachments.get(self.vpc_id) is self:
            backend.detach_vpn_gateway(gateway.id, self.vpc_id)


def _delete_nat_gateway(self: Any, account_id: str, region_name: str) -> None:
    backend = ec2_backend(account_id, region_name)
    backend.delete_nat_gateway(self.id)
    for address in backend.addresses:
        if address.eni is self._eni:
            backend.disassociate_address(address=address.public_ip)
    backend.enis.pop(self._eni.id, None)


def _delete_route(self: Any, account_id: str, region_name: str) -> None:
    ec2_backend(account_id, region_name).delete_route(
        self.route_table.id,
        self.destination_cidr_block,
        self.destination_ipv6_cidr_block,
        self.destination_prefix_list.id if self.destination_prefix_list else None,
    )


def _delete_route_table(self: Any, account_id: str, region_name: str) -> None:
    ec2_backend(account_id, region_name).delete_route_table(self.id)


def _delete_endpoint(self: Any, account_id: str, region_name: str) -> None:
    ec2_backend(account_id, region_name).delete_vpc_endpoints([self.id])


def _revoke_ingress(self: Any, account_id: str, region_name: str) -> None:
    rule = _security_group_rule(self.properties, egress=False)
    ec2_backend(account_id, region_name).revoke_security_group_ingress(self.security_group.id, **rule)


@addition(
    "deletes for network resources",
    "fix",
    "moto's CloudFormation has no delete for EIPs, flow logs, internet gateways and their attachments, NAT gateways, "
    "routes, route tables, ingress rules and VPC endpoints: it forgot them and left them in EC2, so the VPC could "
    "never be deleted (DELETE_FAILED) and a destroyed stack left its network behind",
)
def _patch_network_deletes() -> None:
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress
    from moto.ec2.models.flow_logs import FlowLogs
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.security_groups import SecurityGroupIngress
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

    ElasticAddress.delete = _release_address
    FlowLogs.delete = _delete_flow_log
    InternetGateway.delete = _delete_internet_gateway
    VPCGatewayAttachment.delete = _detach_gateway
    NatGateway.delete = _delete_nat_gateway
    Route.delete = _delete_route
    RouteTable.delete = _delete_route_table
    SecurityGroupIngress.delete = _revoke_ingress
    VPCEndPoint.delete = _delete_endpoint


@addition(
    "Elastic IPs in the Resource Groups Tagging API",
    "fix",
    "moto's GetResources lists no ec2:elastic-ip, which AWS does: an address an interrupted apply allocated, tagged, "
    "and left outside the state could not be found by its tags, and outlived the stack's destroy",
)
def _patch_tagged_addresses() -> None:
    from moto.core.resource_tagging import TaggedResource
    from moto.ec2.models import EC2Backend

    original = EC2Backend.iter_tagged_resources

    def iter_tagged_resources(self: Any) -> Any:
        yield from original(self)
        for address in self.addresses:
            if address.allocation_id:
                yield TaggedResource(
                    arn=f"arn:{self.partition}:ec2:{self.region_name}:{self.account_id}:elastic-ip/"
                    f"{address.allocation_id}",
                    tags=dict(self.tags.get(address.allocation_id, {})),
                    resource_type="ec2:elastic-ip",
                )

    EC2Backend.iter_tagged_resources = iter_tagged_resources


@addition(
    "awsvpc ECS tasks in a VPC without DNS hostnames",
    "fix",
    "moto names a network interface's private DNS name only when its VPC has DNS hostnames on, and its ECS task reads "
    "the name for every awsvpc task: RunTask (and every Fargate task) in any other VPC failed with an internal error",
)
def _patch_interface_dns_name() -> None:
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    NetworkInterface.private_dns_name = None  # what an interface without one answers; __init__ sets it otherwise


@addition(
    "RunTask of a Fargate task definition",
    "fix",
    "moto adds up each container's memory to place a task and fails with an internal error when a container sets "
    "none, which a Fargate task definition (memory at task level) need not",
)
def _patch_task_requirements() -> None:
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements(task_definition: Any) -> dict[str, Any]:
        containers = task_definition.container_definitions
        if all(item.get("memory") or item.get("memoryReservation") or item.get("Memory") for item in containers):
            return original(task_definition)
        counted = copy.copy(task_definition)
        counted.container_definitions = [{**item, "memory": item.get("memory") or 0} for item in containers]
        return original(counted)

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements)


@addition(
    "deletes for ECS resources",
    "fix",
    "moto's CloudFormation has no delete for ECS clusters, services and task definitions: a destroyed stack left "
    "them ACTIVE (and a service's tasks running)",
)
def _patch_ecs_deletes() -> None:
    from moto.ecs.models import Cluster, Service, TaskDefinition, ecs_backends

    def delete_cluster(self: Any, account_id: str, region_name: str) -> None:
        ecs_backends[account_id][region_name].delete_cluster(self.arn)

    def delete_service(self: Any, account_id: str, region_name: str) -> None:
        backend = ecs_backends[account_id][region_name]
        if self.cluster_name in backend.clusters and f"{self.cluster_name}:{self.name}" in backend.services:
            backend.delete_service(self.cluster_name, self.name, force=True)

    def deregister(self: Any, account_id: str, region_name: str) -> None:
        ecs_backends[account_id][region_name].deregister_task_definition(self.arn)

    Cluster.delete = delete_cluster
    Service.delete = delete_service
    TaskDefinition.delete = deregister


@addition(
    "no silent leak on delete",
    "engine",
    "moto treats a resource type without a delete as deleted and leaves it in the account; a stack delete now fails "
    "(DELETE_FAILED, naming the type) instead, so every leak gets a fix here",
)
def _patch_silent_delete() -> None:
    original = parsing.parse_and_delete_resource

    def parse_and_delete_resource(
        resource_name: str, resource_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        resource_class = parsing.resource_class_from_type(resource_json["Type"])
        if hasattr(resource_class.delete_from_cloudformation_json, "__isabstractmethod__"):
            raise ValidationError(
                message=f"the emulator cannot delete {resource_json['Type']} {resource_name}: add a delete to "
                "scripts/emulator/"
            )
        original(resource_name, resource_json, account_id, region_name)

    parsing.parse_and_delete_resource = parse_and_delete_resource
