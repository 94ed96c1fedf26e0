"""Network: a VPC over two AZs with public, private-with-egress and isolated subnets, and flow logs."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.cdk.log_group import EncryptedLogGroup
from constructs_lib.policy import accepted_findings, services

#: Subnet group names; constructs select subnets by these.
PUBLIC = services.PUBLIC_TIER
PRIVATE = services.PRIVATE_TIER
ISOLATED = services.ISOLATED_TIER


class Network(ec2.Vpc):
    """VPC for a hardened stack, secure with no arguments.

    - Two AZs; three tiers: ``public`` (load balancers, NAT), ``private`` (compute, egress through NAT) and
      ``isolated`` (databases and caches: no route to the internet at all).
    - NAT gateways from the profile: one in dev, one per AZ in prod.
    - ``internet_egress=False`` builds a network with no way out at all: no public tier, no NAT, ``private`` is
      isolated too, and AWS APIs are reached through interface endpoints (:meth:`add_interface_endpoint`). For
      workloads whose code only talks to AWS services and the data tier: cheaper idle, and nothing to exfiltrate to.
    - The default security group is stripped of all rules.
    - Flow logs of ALL traffic to a KMS-encrypted log group kept 90 days (``network`` retention).

    Example::

        network = Network(self, "Network", encryption_key=key)
        db = PostgresInstance(self, "Db", vpc=network, encryption_key=key)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey | None = None,
        internet_egress: bool = True,
        **overrides: Any,
    ) -> None:
        profile = deployment_settings(scope).profile
        isolated = ec2.SubnetConfiguration(
            name=ISOLATED, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=services.SUBNET_CIDR_MASK
        )
        if internet_egress:
            tiers = [
                ec2.SubnetConfiguration(
                    name=PUBLIC,
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=services.SUBNET_CIDR_MASK,
                    map_public_ip_on_launch=services.SUBNET_MAP_PUBLIC_IP_ON_LAUNCH,
                ),
                ec2.SubnetConfiguration(
                    name=PRIVATE, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=services.SUBNET_CIDR_MASK
                ),
                isolated,
            ]
        else:
            tiers = [
                ec2.SubnetConfiguration(
                    name=PRIVATE, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=services.SUBNET_CIDR_MASK
                ),
                isolated,
            ]
        defaults: dict[str, Any] = {
            "ip_addresses": ec2.IpAddresses.cidr(services.NETWORK_CIDR),
            "max_azs": services.NETWORK_AZ_COUNT,
            "enable_dns_hostnames": services.VPC_DNS_HOSTNAMES,
            "enable_dns_support": services.VPC_DNS_SUPPORT,
            "nat_gateways": (services.NETWORK_AZ_COUNT if profile.nat_gateways_per_az else 1) if internet_egress else 0,
            "restrict_default_security_group": True,
            "subnet_configuration": tiers,
        }
        props, changed = merge_with_defaults(defaults, overrides)
        super().__init__(scope, construct_id, **props)
        warn_overrides(self, changed)

        self.flow_log_group = EncryptedLogGroup(self, "FlowLogs", purpose="network", encryption_key=encryption_key)
        # The delivery role's permissions live in a customer-managed policy scoped to this one log group
        # (HIPAA/PCI checks reject inline policies, which is what the L2 flow log's grants would create).
        flow_log_role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
            description="VPC flow logs delivery into the network log group",
        )
        delivery_policy = iam.ManagedPolicy(
            self,
            "FlowLogDelivery",
            roles=[flow_log_role],
            statements=[
                iam.PolicyStatement(
                    actions=list(services.FLOW_LOG_DELIVERY_ACTIONS),
                    resources=[self.flow_log_group.log_group_arn],
                )
            ],
        )
        self.flow_log = ec2.CfnFlowLog(
            self,
            "FlowLog",
            resource_id=self.vpc_id,
            resource_type="VPC",
            traffic_type=services.FLOW_LOG_TRAFFIC,
            log_destination_type="cloud-watch-logs",
            log_group_name=self.flow_log_group.log_group_name,
            deliver_logs_permission_arn=flow_log_role.role_arn,
        )
        # The role must hold its permissions before the first delivery is attempted.
        self.flow_log.node.add_dependency(delivery_policy)
        for subnet in self.public_subnets:
            accept(subnet, accepted_findings.PUBLIC_SUBNET_INTERNET_ROUTE)

    def add_interface_endpoint(
        self, construct_id: str, service: ec2.InterfaceVpcEndpointAwsService
    ) -> ec2.InterfaceVpcEndpoint:
        """A private endpoint for one AWS API in the ``private`` tier, closed until its callers are allowed:
        ``endpoint.connections.allow_default_port_from(function)`` opens 443 to that caller only."""
        security_group = ec2.SecurityGroup(
            self,
            f"{construct_id}SecurityGroup",
            vpc=self,
            description=f"{construct_id} endpoint: HTTPS from allowed callers only",
            allow_all_outbound=False,
            # Separate ingress resources, which compliance checks can read (an inline rule with a token cannot).
            disable_inline_rules=True,
        )
        return ec2.InterfaceVpcEndpoint(
            self,
            construct_id,
            vpc=self,
            service=service,
            subnets=ec2.SubnetSelection(subnet_group_name=PRIVATE),
            security_groups=[security_group],
            private_dns_enabled=True,
            open=False,
        )

    def subnets(self, tier: str) -> ec2.SubnetSelection:
        """Subnets of one tier: ``public``, ``private`` or ``isolated``."""
        return ec2.SubnetSelection(subnet_group_name=tier)
