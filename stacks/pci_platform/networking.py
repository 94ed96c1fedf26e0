"""Networking module: VPC with flow logs to CloudWatch and to S3, and Network Firewall on all internet egress."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.flow_log import FlowLog, FlowLogDestinationOptions
from constructs import Construct

from constructs_lib.cdktf.deployment import account_context
from constructs_lib.cdktf.network import Network
from constructs_lib.cdktf.network_firewall import NetworkFirewall
from constructs_lib.cdktf.secure_bucket import SecureBucket
from constructs_lib.policy import retention, services
from stacks.pci_platform.security import PciSecurity


class PciNetworking(Construct):
    """VPC over two AZs, flow logs to an encrypted log group *and* (parquet, hourly) to the flow-log bucket, and a
    :class:`NetworkFirewall` on all internet egress that lets HTTPS out only to ``allowed_domains``.

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
        account = account_context(self)
        key = security.key
        # The public subnets get their internet route from the firewall, so nothing leaves uninspected.
        self.network = Network(self, "network", encryption_key=key, public_default_route=False)
        self.flow_log_bucket = SecureBucket(
            self,
            "flow-log-bucket",
            name_prefix=f"{system}-flow-logs",
            encryption_key=key,
            access_log_bucket=security.access_logs,
            expiration_days=retention.LOG_RETENTION_DAYS["audit"],
        )
        bucket = self.flow_log_bucket
        delivery = {
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account.account_id},
                "ArnLike": {"aws:SourceArn": account.arn("logs", "*")},
            },
        }
        bucket.add_policy_statement(
            {
                "Sid": "AllowFlowLogDeliveryWrite",
                **delivery,
                "Action": "s3:PutObject",
                "Resource": f"{bucket.arn}/AWSLogs/{account.account_id}/*",
            }
        )
        bucket.add_policy_statement(
            {
                "Sid": "AllowFlowLogDeliveryAclCheck",
                **delivery,
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": bucket.arn,
            }
        )
        self.archive_flow_log = FlowLog(
            self,
            "flow-log-archive",
            vpc_id=self.network.vpc.id,
            traffic_type=services.FLOW_LOG_TRAFFIC,
            log_destination_type="s3",
            log_destination=bucket.arn,
            destination_options=FlowLogDestinationOptions(file_format="parquet", per_hour_partition=True),
            depends_on=[bucket.policy],
        )
        self.firewall = NetworkFirewall(
            self,
            "firewall",
            network=self.network,
            name_prefix=f"{system}-egress",
            encryption_key=key,
            allowed_domains=allowed_domains,
        )
