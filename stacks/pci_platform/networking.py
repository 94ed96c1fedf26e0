"""Networking module: VPC with flow logs to CloudWatch and to S3, and Network Firewall on all internet egress.

Egress path: private subnet -> NAT gateway (public subnet) -> firewall endpoint in the same AZ -> internet gateway;
return traffic enters through the internet gateway's edge route table, which sends it back through the same
endpoint. Seed 004 dropped the firewall claiming cdktf could not express its rule group: it can.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import Fn, TerraformLocal, Token
from cdktf_cdktf_provider_aws.flow_log import FlowLog, FlowLogDestinationOptions
from cdktf_cdktf_provider_aws.networkfirewall_firewall import (
    NetworkfirewallFirewall,
    NetworkfirewallFirewallSubnetMapping,
)
from cdktf_cdktf_provider_aws.networkfirewall_firewall_policy import (
    NetworkfirewallFirewallPolicy,
    NetworkfirewallFirewallPolicyFirewallPolicyStatefulRuleGroupReference,
)
from cdktf_cdktf_provider_aws.networkfirewall_logging_configuration import (
    NetworkfirewallLoggingConfiguration,
    NetworkfirewallLoggingConfigurationLoggingConfigurationLogDestinationConfig,
)
from cdktf_cdktf_provider_aws.networkfirewall_rule_group import NetworkfirewallRuleGroup
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from constructs import Construct

from constructs_lib.cdktf.bucket import SecureBucket
from constructs_lib.cdktf.deployment import account_context, deployment_settings
from constructs_lib.cdktf.log_group import EncryptedLogGroup
from constructs_lib.cdktf.network import ANYWHERE, FREE_SLOT, Network
from constructs_lib.policy import naming, retention, services
from stacks.pci_platform.security import PciSecurity

#: Stateful rule capacity reserved per rule group (fixed at creation; 100 leaves room to grow the lists).
RULE_GROUP_CAPACITY = 100

#: Suricata rules evaluated before the domain allow-list: no clear-text HTTP and no TLS older than 1.2 leave the
#: cardholder-data environment (PCI DSS 4.2.1: strong cryptography for transmission over open networks).
EGRESS_SURICATA_RULES = "\n".join(
    [
        'drop http $HOME_NET any -> $EXTERNAL_NET any (msg:"clear-text HTTP egress"; flow:to_server; '
        "sid:1000001; rev:1;)",
        'drop tls $HOME_NET any -> $EXTERNAL_NET any (msg:"TLS older than 1.2"; ssl_version:sslv2,sslv3,tls1.0,tls1.1; '
        "flow:to_server; sid:1000002; rev:1;)",
    ]
)


class PciNetworking(Construct):
    """VPC over two AZs, flow logs to an encrypted log group *and* (parquet, hourly) to the flow-log bucket, and an
    AWS Network Firewall in its own subnet per AZ that lets HTTPS out only to ``allowed_domains``.

    The firewall policy runs in strict order: the Suricata group (no clear-text HTTP, no old TLS), then the domain
    allow-list (TLS SNI), then drop every other established flow and alert on it. Alerts and flows are logged to
    KMS-encrypted log groups kept as audit evidence for a year.

    Example::

        networking = PciNetworking(self, "networking", system="pci-platform", security=security,
                                   allowed_domains=[".amazonaws.com"])
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        system: str,
        security: PciSecurity,
        allowed_domains: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        suffix = settings.environment_suffix
        profile = settings.profile
        account = account_context(self)
        key = security.key

        self.network = Network(self, "network", encryption_key=key, public_default_route=False)
        network = self.network

        self.flow_log_bucket = SecureBucket(
            self,
            "flow-log-bucket",
            name_prefix=f"{system}-flow-logs",
            encryption_key=key,
            access_log_bucket=security.access_logs,
            expiration_days=retention.LOG_RETENTION_DAYS["audit"],
        )
        bucket = self.flow_log_bucket
        delivery_condition = {
            "StringEquals": {"aws:SourceAccount": account.account_id},
            "ArnLike": {"aws:SourceArn": account.arn("logs", "*")},
        }
        bucket.add_policy_statement(
            {
                "Sid": "AllowFlowLogDeliveryWrite",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket.arn}/AWSLogs/{account.account_id}/*",
                "Condition": delivery_condition,
            }
        )
        bucket.add_policy_statement(
            {
                "Sid": "AllowFlowLogDeliveryAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": bucket.arn,
                "Condition": delivery_condition,
            }
        )
        self.archive_flow_log = FlowLog(
            self,
            "flow-log-archive",
            vpc_id=network.vpc.id,
            traffic_type=services.FLOW_LOG_TRAFFIC,
            log_destination_type="s3",
            log_destination=bucket.arn,
            destination_options=FlowLogDestinationOptions(file_format="parquet", per_hour_partition=True),
            depends_on=[bucket.policy],
        )

        firewall_subnets: list[Subnet] = []
        for index in range(network.az_count):
            subnet = Subnet(
                self,
                f"firewall-subnet-{index}",
                vpc_id=network.vpc.id,
                availability_zone=network.availability_zone(index),
                cidr_block=network.subnet_cidr(FREE_SLOT + index),
                map_public_ip_on_launch=False,
                tags={"Name": f"{self.node.path}-firewall-{index}", "Tier": "firewall"},
            )
            table = RouteTable(
                self,
                f"firewall-routes-{index}",
                vpc_id=network.vpc.id,
                tags={"Name": f"{self.node.path}-firewall-{index}"},
            )
            RouteTableAssociation(
                self, f"firewall-routes-{index}-association", route_table_id=table.id, subnet_id=subnet.id
            )
            Route(
                self,
                f"firewall-{index}-internet",
                route_table_id=table.id,
                destination_cidr_block=ANYWHERE,
                gateway_id=network.internet_gateway.id,
            )
            firewall_subnets.append(subnet)
        self.firewall_subnets = firewall_subnets

        encryption = {"type": "CUSTOMER_KMS", "key_id": key.arn}
        self.suricata_rules = NetworkfirewallRuleGroup(
            self,
            "suricata-rules",
            name=naming.resource_name("network_firewall", f"{system}-egress-protocols", suffix),
            description="Drop clear-text HTTP and TLS older than 1.2 leaving the VPC",
            type="STATEFUL",
            capacity=RULE_GROUP_CAPACITY,
            rule_group={
                "rules_source": {"rules_string": EGRESS_SURICATA_RULES},
                "stateful_rule_options": {"rule_order": "STRICT_ORDER"},
            },
            encryption_configuration=encryption,
        )
        self.domain_allow_list = NetworkfirewallRuleGroup(
            self,
            "domain-allow-list",
            name=naming.resource_name("network_firewall", f"{system}-egress-domains", suffix),
            description="HTTPS egress only to allow-listed domains (TLS SNI)",
            type="STATEFUL",
            capacity=RULE_GROUP_CAPACITY,
            rule_group={
                "rules_source": {
                    "rules_source_list": {
                        "generated_rules_type": "ALLOWLIST",
                        "target_types": ["TLS_SNI"],
                        "targets": list(allowed_domains),
                    }
                },
                "stateful_rule_options": {"rule_order": "STRICT_ORDER"},
            },
            encryption_configuration=encryption,
        )
        self.firewall_policy = NetworkfirewallFirewallPolicy(
            self,
            "firewall-policy",
            name=naming.resource_name("network_firewall", f"{system}-egress", suffix),
            description="Strict-order egress inspection: protocol rules, then domain allow-list, then drop",
            firewall_policy={
                "stateless_default_actions": ["aws:forward_to_sfe"],
                "stateless_fragment_default_actions": ["aws:forward_to_sfe"],
                "stateful_engine_options": {"rule_order": "STRICT_ORDER", "stream_exception_policy": "DROP"},
                "stateful_default_actions": ["aws:drop_established", "aws:alert_established"],
                "stateful_rule_group_reference": [
                    NetworkfirewallFirewallPolicyFirewallPolicyStatefulRuleGroupReference(
                        priority=priority, resource_arn=group.arn
                    )
                    for priority, group in ((10, self.suricata_rules), (20, self.domain_allow_list))
                ],
            },
            encryption_configuration=encryption,
        )
        self.firewall = NetworkfirewallFirewall(
            self,
            "firewall",
            name=naming.resource_name("network_firewall", f"{system}-egress", suffix),
            description="Inspects all internet egress of the cardholder-data environment",
            vpc_id=network.vpc.id,
            firewall_policy_arn=self.firewall_policy.arn,
            subnet_mapping=[NetworkfirewallFirewallSubnetMapping(subnet_id=subnet.id) for subnet in firewall_subnets],
            delete_protection=profile.deletion_protection,
            firewall_policy_change_protection=profile.deletion_protection,
            subnet_change_protection=True,
            encryption_configuration=encryption,
        )
        self.alert_logs = EncryptedLogGroup(self, "firewall-alerts", purpose="audit", encryption_key=key)
        # Firewall flow records are network evidence of the cardholder-data environment: kept a year (PCI DSS 10.5.1).
        self.flow_logs = EncryptedLogGroup(self, "firewall-flows", purpose="audit", encryption_key=key)
        NetworkfirewallLoggingConfiguration(
            self,
            "firewall-logging",
            firewall_arn=self.firewall.arn,
            logging_configuration={
                "log_destination_config": [
                    NetworkfirewallLoggingConfigurationLoggingConfigurationLogDestinationConfig(
                        log_destination={"logGroup": group.name},
                        log_destination_type="CloudWatchLogs",
                        log_type=log_type,
                    )
                    for log_type, group in (("ALERT", self.alert_logs), ("FLOW", self.flow_logs))
                ]
            },
        )

        # The firewall reports one endpoint per AZ in firewall_status[0].sync_states; index them by AZ name.
        self.endpoint_by_zone = TerraformLocal(
            self,
            "firewall-endpoint-by-zone",
            f"${{{{ for state in tolist({self.firewall.fqn}.firewall_status[0].sync_states) : "
            "state.availability_zone => state.attachment[0].endpoint_id }}",
        )
        edge_routes = RouteTable(
            self,
            "internet-gateway-edge-routes",
            vpc_id=network.vpc.id,
            tags={"Name": f"{self.node.path}-internet-gateway-edge"},
        )
        RouteTableAssociation(
            self,
            "internet-gateway-edge-association",
            route_table_id=edge_routes.id,
            gateway_id=network.internet_gateway.id,
        )
        self.endpoint_ids: list[str] = []
        for index, public in enumerate(network.public_subnets):
            endpoint = Token.as_string(Fn.lookup(self.endpoint_by_zone.as_any_map, public.availability_zone))
            self.endpoint_ids.append(endpoint)
            Route(
                self,
                f"public-{index}-egress-via-firewall",
                route_table_id=network.public_route_tables[index].id,
                destination_cidr_block=ANYWHERE,
                vpc_endpoint_id=endpoint,
            )
            Route(
                self,
                f"public-{index}-return-via-firewall",
                route_table_id=edge_routes.id,
                destination_cidr_block=public.cidr_block,
                vpc_endpoint_id=endpoint,
            )
