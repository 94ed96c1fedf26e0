"""Security module: the platform's key, the access-log bucket, the alarm topic and the processing role."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdktf.alarm_topic import AlarmTopic
from constructs_lib.cdktf.deployment import account_context
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.secure_bucket import AccessLogBucket
from constructs_lib.cdktf.service_role import ServiceRole
from constructs_lib.policy import compute


class PciSecurity(Construct):
    """Everything other modules borrow: one customer-managed key, the bucket all access logs go to, the topic alarms
    publish to, and the data-processing function's role (seed 004 hard-coded that role's ARN with a fake account).

    The key additionally lets CloudWatch Logs' delivery service write VPC flow logs into the SSE-KMS flow-log bucket
    (only for this account's log deliveries).

    Example::

        security = PciSecurity(self, "security", system="pci-platform")
        PciNetworking(self, "networking", security=security, ...)
    """

    def __init__(self, scope: Construct, construct_id: str, *, system: str) -> None:
        super().__init__(scope, construct_id)
        account = account_context(self)
        self.key = EncryptionKey(self, "key", alias=system, description=f"{system} cardholder-data environment")
        self.key.add_statement(
            {
                "Sid": "AllowLogDeliveryOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account.account_id},
                    "ArnLike": {"aws:SourceArn": account.arn("logs", "*")},
                },
            }
        )
        self.access_logs = AccessLogBucket(self, "access-logs", name_prefix=f"{system}-access-logs")
        self.alarm_topic = AlarmTopic(self, "alarms", name_prefix=f"{system}-alarms", encryption_key=self.key)
        self.processing_role = ServiceRole(
            self,
            "processing-role",
            name_prefix=f"{system}-processor",
            service=compute.LAMBDA_PRINCIPAL,
            description="Data-processing function: reads incoming objects and writes masked ones, nothing else",
            source_account_condition=False,
        )
