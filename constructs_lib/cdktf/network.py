"""Network: a VPC over two AZs with public, private and isolated subnets, NAT per profile, and flow logs."""

from __future__ import annotations

import ipaddress
from typing import Any

from cdktf import Fn
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones,
    DataAwsAvailabilityZonesFilter,
)
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.log_group import EncryptedLogGroup
from constructs_lib.cdktf.service_role import ServiceRole
from constructs_lib.policy import services

#: The first subnet slot (the n-th /24 of the VPC) free for a caller's own tier, past the network's three tiers.
FREE_SLOT = services.FREE_SUBNET_SLOT

ANYWHERE = "0.0.0.0/0"


class Network(Construct):
    """VPC for a hardened stack, secure with no arguments.

    - Two AZs, read from ``aws_availability_zones`` (no AZ name in code); three tiers: ``public`` (NAT, load
      balancers, no public IPs on launch), ``private`` (compute, egress through NAT only) and ``isolated``
      (databases and caches: a route table with no route out at all, the VPC's own local route only).
    - NAT gateways from the profile: one in dev, one per AZ in prod. One route table per AZ and tier.
    - The default security group has every rule removed, so nothing can use it by accident.
    - Flow logs of ALL traffic to a KMS-encrypted log group kept 90 days, through a role that can write to that
      log group and nothing else.

    ``public_default_route=False`` leaves the public subnets without a route to the internet gateway, for a caller
    that sends egress through an inspection layer first (see the PCI platform's Network Firewall). ``az_count``,
    ``nat_gateways`` and any ``Vpc`` argument (``cidr_block``...) may be passed; replacing a hardened value is
    reported as a synth warning.

    Example::

        network = Network(self, "network", encryption_key=key)
        AuroraServerlessCluster(self, "db", network=network, encryption_key=key)  # in network.isolated_subnet_ids
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: EncryptionKey | None = None,
        public_default_route: bool = True,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        profile = settings.profile
        defaults: dict[str, Any] = {
            "cidr_block": services.NETWORK_CIDR,
            "az_count": services.NETWORK_AZ_COUNT,
            "nat_gateways": services.NETWORK_AZ_COUNT if profile.nat_gateways_per_az else 1,
            "enable_dns_hostnames": services.VPC_DNS_HOSTNAMES,
            "enable_dns_support": services.VPC_DNS_SUPPORT,
            "tags": {"Name": f"{self.node.path}-{settings.environment_suffix}"},
        }
        props, changed = merge_with_defaults(defaults, overrides)
        warn_overrides(self, changed)
        self.cidr_block: str = props["cidr_block"]
        #: False when the public subnets' internet route is left to an inspection layer (``NetworkFirewall``).
        self.public_default_route = public_default_route
        self.az_count: int = props.pop("az_count")
        nat_gateways = int(props.pop("nat_gateways"))
        self._subnet_cidrs = list(ipaddress.ip_network(self.cidr_block).subnets(new_prefix=services.SUBNET_CIDR_MASK))

        self.availability_zones = DataAwsAvailabilityZones(
            self,
            "azs",
            state="available",
            filter=[DataAwsAvailabilityZonesFilter(name="opt-in-status", values=["opt-in-not-required"])],
        )
        self.vpc = Vpc(self, "vpc", **props)
        self.default_security_group = DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id)
        self.internet_gateway = InternetGateway(self, "igw", vpc_id=self.vpc.id)

        self.public_subnets: list[Subnet] = []
        self.private_subnets: list[Subnet] = []
        self.isolated_subnets: list[Subnet] = []
        self.public_route_tables: list[RouteTable] = []
        self.private_route_tables: list[RouteTable] = []
        #: One per isolated subnet, never given a route: the VPC's local route is all it has.
        self.isolated_route_tables: list[RouteTable] = []
        for index in range(self.az_count):
            public = self._subnet(
                services.PUBLIC_TIER, index, map_public_ip_on_launch=services.SUBNET_MAP_PUBLIC_IP_ON_LAUNCH
            )
            private = self._subnet(services.PRIVATE_TIER, index)
            isolated = self._subnet(services.ISOLATED_TIER, index)
            self.public_subnets.append(public)
            self.private_subnets.append(private)
            self.isolated_subnets.append(isolated)
            self.public_route_tables.append(self._route_table(f"public-{index}", public))
            self.private_route_tables.append(self._route_table(f"private-{index}", private))
            self.isolated_route_tables.append(self._route_table(f"isolated-{index}", isolated))
            if public_default_route:
                Route(
                    self,
                    f"public-{index}-internet",
                    route_table_id=self.public_route_tables[index].id,
                    destination_cidr_block=ANYWHERE,
                    gateway_id=self.internet_gateway.id,
                )

        nat_count = min(nat_gateways, self.az_count)
        self.nat_gateways: list[NatGateway] = []
        for index in range(nat_count):
            address = Eip(
                self,
                f"nat-{index}-ip",
                domain="vpc",
                tags={"Name": f"{self.node.path}-nat-{index}"},
                depends_on=[self.internet_gateway],
            )
            self.nat_gateways.append(
                NatGateway(self, f"nat-{index}", allocation_id=address.id, subnet_id=self.public_subnets[index].id)
            )
        for index, table in enumerate(self.private_route_tables):
            if self.nat_gateways:
                Route(
                    self,
                    f"private-{index}-egress",
                    route_table_id=table.id,
                    destination_cidr_block=ANYWHERE,
                    nat_gateway_id=self.nat_gateways[index % nat_count].id,
                )

        self.flow_log_group = EncryptedLogGroup(self, "flow-logs", purpose="network", encryption_key=encryption_key)
        self.flow_log_role = ServiceRole(
            self,
            "flow-log-role",
            service="vpc-flow-logs.amazonaws.com",
            statements=[
                {
                    "Sid": "WriteThisVpcsFlowLogGroup",
                    "Effect": "Allow",
                    "Action": list(services.FLOW_LOG_DELIVERY_ACTIONS),
                    "Resource": [self.flow_log_group.arn, f"{self.flow_log_group.arn}:*"],
                }
            ],
        )
        self.flow_log = FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type=services.FLOW_LOG_TRAFFIC,
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=self.flow_log_role.arn,
        )

    def availability_zone(self, index: int) -> str:
        """The name of the stack's ``index``-th available AZ (a Terraform expression)."""
        return Fn.element(self.availability_zones.names, index)

    def subnet_cidr(self, slot: int) -> str:
        """The ``slot``-th /24 of the VPC (slots from :data:`FREE_SLOT` are free for a caller's own tier)."""
        return str(self._subnet_cidrs[slot])

    @property
    def public_subnet_ids(self) -> list[str]:
        return [subnet.id for subnet in self.public_subnets]

    @property
    def private_subnet_ids(self) -> list[str]:
        return [subnet.id for subnet in self.private_subnets]

    @property
    def isolated_subnet_ids(self) -> list[str]:
        """Subnets of the data tier (databases, caches): no route out of the VPC."""
        return [subnet.id for subnet in self.isolated_subnets]

    def _subnet(self, tier: str, index: int, **arguments: Any) -> Subnet:
        """The ``index``-th AZ's subnet of ``tier``, in that tier's slot of the VPC (``policy.services``)."""
        return Subnet(
            self,
            f"{tier}-{index}",
            vpc_id=self.vpc.id,
            availability_zone=self.availability_zone(index),
            cidr_block=self.subnet_cidr(services.SUBNET_TIER_SLOTS[tier] + index),
            tags={"Name": f"{self.node.path}-{tier}-{index}", "Tier": tier},
            **arguments,
        )

    def _route_table(self, name: str, subnet: Subnet) -> RouteTable:
        table = RouteTable(self, f"{name}-routes", vpc_id=self.vpc.id, tags={"Name": f"{self.node.path}-{name}"})
        RouteTableAssociation(self, f"{name}-routes-association", route_table_id=table.id, subnet_id=subnet.id)
        return table
