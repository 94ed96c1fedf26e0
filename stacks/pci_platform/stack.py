"""PciPlatformStack: the PCI DSS data platform composed from its security, networking, data-processing and
monitoring modules.

Idle cost in dev (us-east-1 list prices): two Network Firewall endpoints ~$577/month (0.395 $/h each), one NAT
gateway ~$33 plus its public IPv4 ~$4, one KMS key $1, Config and alarms a few dollars: about $620/month, under the
$869 budget. Prod adds a second NAT gateway (~$37); the firewall keeps an endpoint in each AZ in both profiles,
since an AZ without one would have no egress at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from constructs_lib.cdktf.hardened_stack import HardenedStack
from constructs_lib.policy import network_firewall
from stacks.pci_platform.data_processing import PciDataProcessing
from stacks.pci_platform.monitoring import PciMonitoring
from stacks.pci_platform.networking import PciNetworking
from stacks.pci_platform.security import PciSecurity

SYSTEM = "pci-platform"


@dataclass(frozen=True)
class PciPlatformProps:
    """What a deployment may choose; everything else is policy.

    ``region``: None reads context ``region`` / ``AWS_REGION`` / us-east-1. ``allowed_egress_domains``: TLS server
    names the firewall lets out (a leading dot matches subdomains). ``enable_config``: False where the account
    already has an AWS Config recorder in the region (only one is allowed).
    """

    region: str | None = None
    allowed_egress_domains: tuple[str, ...] = network_firewall.DEFAULT_ALLOWED_DOMAINS
    enable_config: bool = True


class PciPlatformStack(HardenedStack):
    """Cardholder-data platform: encrypted, access-logged buckets; a masking function in private subnets; all
    egress through Network Firewall; VPC flow logs; AWS Config with PCI rules.

    Example::

        app = App()
        PciPlatformStack(app, "pci-platform", PciPlatformProps(allowed_egress_domains=(".amazonaws.com",)))
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, props: PciPlatformProps | None = None) -> None:
        props = props or PciPlatformProps()
        super().__init__(
            scope, construct_id, system=SYSTEM, data_classification="pci-cardholder-data", region=props.region
        )
        security = PciSecurity(self, "security", system=SYSTEM)
        networking = PciNetworking(
            self, "networking", system=SYSTEM, security=security, allowed_domains=props.allowed_egress_domains
        )
        data = PciDataProcessing(self, "data-processing", system=SYSTEM, security=security, network=networking.network)
        monitoring = PciMonitoring(
            self,
            "monitoring",
            system=SYSTEM,
            security=security,
            function=data.function,
            enable_config=props.enable_config,
        )
        network, firewall = networking.network, networking.firewall

        self.output("kms_key_arn", security.key.arn, "The platform's customer-managed key")
        self.output("alarm_topic_arn", security.alarm_topic.arn, "Topic every alarm notifies")
        self.output("access_log_bucket_name", security.access_logs.bucket_name, "Bucket receiving S3 access logs")
        self.output("vpc_id", network.vpc.id, "The cardholder-data environment's VPC")
        self.output("private_subnet_ids", network.private_subnet_ids, "Subnets of the function")
        self.output("public_subnet_ids", network.public_subnet_ids, "Subnets of the NAT gateways")
        self.output("isolated_subnet_ids", network.isolated_subnet_ids, "Subnets for data stores: no route out")
        self.output("firewall_subnet_ids", firewall.subnet_ids, "Subnets of the firewall endpoints")
        self.output("flow_log_group_name", network.flow_log_group.name, "VPC flow logs in CloudWatch")
        self.output("flow_log_bucket_name", networking.flow_log_bucket.bucket_name, "VPC flow logs in S3 (parquet)")
        self.output("firewall_arn", firewall.arn, "Network Firewall on all egress")
        self.output("firewall_name", firewall.name, "Network Firewall on all egress")
        self.output("firewall_policy_arn", firewall.policy.arn, "The firewall's strict-order policy")
        self.output("firewall_rule_group_arns", firewall.rule_group_arns, "Protocol rules, then the allow-list")
        self.output("firewall_endpoint_ids", firewall.endpoint_ids, "Firewall endpoint per public subnet")
        self.output("firewall_alert_log_group_name", firewall.log_groups["ALERT"].name, "Firewall alerts")
        self.output("firewall_flow_log_group_name", firewall.log_groups["FLOW"].name, "Firewall flow records")
        self.output("data_bucket_name", data.bucket.bucket_name, "Incoming and masked objects")
        self.output("processor_function_name", data.function.name, "The masking function")
        self.output("processor_role_arn", security.processing_role.arn, "The masking function's role")
        self.output("processor_log_group_name", data.function.log_group.name, "The masking function's logs")
        self.output("processor_dlq_url", data.function.dead_letter.url, "Failed asynchronous invocations")
        self.output("processor_errors_alarm_name", monitoring.function_errors_alarm.alarm_name, "Masking errors")
        self.output("region", self.region, "Where the stack is deployed")
        if monitoring.config is not None:
            self.output("config_bucket_name", monitoring.config.bucket.bucket_name, "AWS Config history")
            self.output("config_recorder_name", monitoring.config.name, "The AWS Config recorder")
            self.output("config_rule_names", monitoring.config.rule_names, "PCI DSS managed rules")
