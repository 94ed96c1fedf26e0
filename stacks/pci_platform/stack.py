"""PciPlatformStack: the PCI DSS data platform composed from its security, networking, data-processing and
monitoring modules.

Idle cost in dev (us-east-1 list prices): two Network Firewall endpoints ~$577/month (0.395 $/h each), one NAT
gateway ~$33 plus its public IPv4 ~$4, one KMS key $1, Config and alarms a few dollars: about $620/month, under the
$869 budget. Prod adds a second NAT gateway (~$37); the firewall keeps an endpoint in each AZ in both profiles,
since an AZ without one would have no egress at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib.cdktf.deployment import deployment_settings
from constructs_lib.cdktf.provider import aws_provider, configure_backend, resolve_region
from constructs_lib.policy.cdktf_backend import check_region
from constructs_lib.policy.tags import standard_tags
from stacks.pci_platform.data_processing import PciDataProcessing
from stacks.pci_platform.monitoring import PciMonitoring
from stacks.pci_platform.networking import PciNetworking
from stacks.pci_platform.security import PciSecurity

SYSTEM = "pci-platform"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class PciPlatformProps:
    """What a deployment may choose; everything else is policy.

    ``region``: None reads context ``region`` / ``AWS_REGION`` / us-east-1. ``allowed_egress_domains``: TLS server
    names the firewall lets out (a leading dot matches subdomains). ``enable_config``: False where the account
    already has an AWS Config recorder in the region (only one is allowed).
    """

    region: str | None = None
    allowed_egress_domains: tuple[str, ...] = (".amazonaws.com",)
    enable_config: bool = True


class PciPlatformStack(TerraformStack):
    """Cardholder-data platform: encrypted, access-logged buckets; a masking function in private subnets; all
    egress through Network Firewall; VPC flow logs; AWS Config with PCI rules.

    Example::

        app = App()
        PciPlatformStack(app, "pci-platform", PciPlatformProps(allowed_egress_domains=(".amazonaws.com",)))
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, props: PciPlatformProps | None = None) -> None:
        super().__init__(scope, construct_id)
        props = props or PciPlatformProps()
        settings = deployment_settings(self)
        suffix = settings.environment_suffix
        region = check_region(props.region) if props.region else resolve_region(self, DEFAULT_REGION)
        aws_provider(self, region, standard_tags(SYSTEM, suffix, settings.profile.name, "pci-cardholder-data"))
        configure_backend(self, construct_id, suffix, region)

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

        network = networking.network
        outputs: dict[str, object] = {
            "kms_key_arn": security.key.arn,
            "alarm_topic_arn": security.alarm_topic.arn,
            "access_log_bucket_name": security.access_logs.bucket_name,
            "vpc_id": network.vpc.id,
            "private_subnet_ids": network.private_subnet_ids,
            "public_subnet_ids": network.public_subnet_ids,
            "firewall_subnet_ids": [subnet.id for subnet in networking.firewall_subnets],
            "flow_log_group_name": network.flow_log_group.name,
            "flow_log_bucket_name": networking.flow_log_bucket.bucket_name,
            "firewall_arn": networking.firewall.arn,
            "firewall_name": networking.firewall.name,
            "firewall_policy_arn": networking.firewall_policy.arn,
            "firewall_rule_group_arns": [networking.suricata_rules.arn, networking.domain_allow_list.arn],
            "firewall_endpoint_ids": networking.endpoint_ids,
            "firewall_alert_log_group_name": networking.alert_logs.name,
            "firewall_flow_log_group_name": networking.flow_logs.name,
            "data_bucket_name": data.bucket.bucket_name,
            "processor_function_name": data.function.name,
            "processor_role_arn": security.processing_role.arn,
            "processor_log_group_name": data.function.log_group.name,
            "processor_dlq_url": data.function.dead_letter.url,
            "processor_errors_alarm_name": monitoring.function_errors_alarm.alarm_name,
            "region": region,
        }
        if monitoring.recorder is not None and monitoring.bucket is not None:
            outputs["config_bucket_name"] = monitoring.bucket.bucket_name
            outputs["config_recorder_name"] = monitoring.recorder.name
            outputs["config_rule_names"] = [rule.name for rule in monitoring.rules]
        for output_name, value in outputs.items():
            TerraformOutput(self, output_name, value=value)
