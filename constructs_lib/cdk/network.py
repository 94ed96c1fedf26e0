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
PUBLIC = "public"
PRIVATE = "private"
ISOLATED = "isolated"


class Network(ec2.Vpc):
    """VPC for a hardened stack, secure with no arguments.

    - Two AZs; three tiers: ``public`` (load balancers, NAT), ``private`` (compute, egress through NAT) and
      ``isolated`` (databases and caches: no route to the internet at all).
    - NAT gateways from the profile: one in dev, one per AZ in prod.
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
        **overrides: Any,
    ) -> None:
        profile = deployment_settings(scope).profile
        defaults: dict[str, Any] = {
            "ip_addresses": ec2.IpAddresses.cidr(services.NETWORK_CIDR),
            "max_azs": services.NETWORK_AZ_COUNT,
            "nat_gateways": services.NETWORK_AZ_COUNT if profile.nat_gateways_per_az else 1,
            "restrict_default_security_group": True,
            "subnet_configuration": [
                ec2.SubnetConfiguration(
                    name=PUBLIC,
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=services.SUBNET_CIDR_MASK,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name=PRIVATE, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=services.SUBNET_CIDR_MASK
                ),
                ec2.SubnetConfiguration(
                    name=ISOLATED, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=services.SUBNET_CIDR_MASK
                ),
            ],
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
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
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

    def subnets(self, tier: str) -> ec2.SubnetSelection:
        """Subnets of one tier: ``public``, ``private`` or ``isolated``."""
        return ec2.SubnetSelection(subnet_group_name=tier)
