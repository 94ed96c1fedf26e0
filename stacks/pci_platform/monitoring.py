"""Monitoring module: AWS Config recording into an encrypted bucket, PCI-relevant managed rules, and alarms."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.config_config_rule import ConfigConfigRule
from cdktf_cdktf_provider_aws.config_configuration_recorder import ConfigConfigurationRecorder
from cdktf_cdktf_provider_aws.config_configuration_recorder_status import ConfigConfigurationRecorderStatus
from cdktf_cdktf_provider_aws.config_delivery_channel import ConfigDeliveryChannel
from constructs import Construct

from constructs_lib.cdktf.alarms import metric_alarm
from constructs_lib.cdktf.bucket import SecureBucket
from constructs_lib.cdktf.deployment import account_context, deployment_settings
from constructs_lib.cdktf.function import SecureFunction
from constructs_lib.cdktf.iam import ServiceRole
from constructs_lib.policy import alarms, naming, retention
from stacks.pci_platform.security import PciSecurity

#: AWS Config managed rules, each with the PCI DSS v4 requirement it gives evidence for.
PCI_MANAGED_RULES: dict[str, str] = {
    "S3_BUCKET_SSL_REQUESTS_ONLY": "4.2.1 strong cryptography in transit",
    "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED": "3.5.1 stored account data is unreadable",
    "S3_BUCKET_PUBLIC_READ_PROHIBITED": "1.4.1 no public access to the cardholder-data environment",
    "CLOUDWATCH_LOG_GROUP_ENCRYPTED": "10.3.2 audit logs protected from modification",
    "CMK_BACKING_KEY_ROTATION_ENABLED": "3.7.4 cryptographic keys changed at the end of their cryptoperiod",
    "VPC_FLOW_LOGS_ENABLED": "10.2.1 audit logs capture network activity",
    "LAMBDA_INSIDE_VPC": "1.3.1 inbound/outbound traffic of the CDE restricted",
}
#: Where AWS Config writes inside the bucket (its fixed layout under the prefix).
CONFIG_KEY_PREFIX = "config"


class PciMonitoring(Construct):
    """AWS Config with its recorder, delivery channel (SSE-KMS bucket), recorder status and managed rules, plus an
    alarm on the data-processing function's errors (``alarms.FUNCTION_ERRORS``: an error leaves an object unmasked).

    The Config role gets ``AWS_ConfigRole`` through its own attachment (seed 004 inlined it in the role), and may
    write only under this bucket's Config prefix with this key. One recorder per account and region is allowed:
    set ``enable_config=False`` on the stack where the organisation already records.

    Example::

        PciMonitoring(self, "monitoring", system="pci-platform", security=security, function=data.function)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        system: str,
        security: PciSecurity,
        function: SecureFunction,
        enable_config: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        suffix = settings.environment_suffix
        account = account_context(self)
        self.function_errors_alarm = metric_alarm(
            self,
            "function-errors",
            alarms.FUNCTION_ERRORS,
            resource=function.name,
            name_prefix=f"{system}-processor",
            topic=security.alarm_topic,
        )
        self.rules: list[ConfigConfigRule] = []
        self.recorder: ConfigConfigurationRecorder | None = None
        self.bucket: SecureBucket | None = None
        if not enable_config:
            return

        self.bucket = SecureBucket(
            self,
            "config-bucket",
            name_prefix=f"{system}-config",
            encryption_key=security.key,
            access_log_bucket=security.access_logs,
            expiration_days=retention.LOG_RETENTION_DAYS["audit"],
        )
        self.role = ServiceRole(
            self,
            "config-role",
            name_prefix=f"{system}-config",
            service="config.amazonaws.com",
            managed_policies=["service-role/AWS_ConfigRole"],
            statements=[
                {
                    "Sid": "DeliverConfigurationHistory",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": f"{self.bucket.arn}/{CONFIG_KEY_PREFIX}/AWSLogs/{account.account_id}/*",
                },
                {"Sid": "CheckBucketAcl", "Effect": "Allow", "Action": "s3:GetBucketAcl", "Resource": self.bucket.arn},
                {
                    "Sid": "EncryptDeliveries",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": security.key.arn,
                },
            ],
        )
        recorder_name = naming.resource_name("config_rule", system, suffix)
        self.recorder = ConfigConfigurationRecorder(
            self,
            "recorder",
            name=recorder_name,
            role_arn=self.role.arn,
            recording_group={"all_supported": True, "include_global_resource_types": True},
        )
        channel = ConfigDeliveryChannel(
            self,
            "delivery-channel",
            name=recorder_name,
            s3_bucket_name=self.bucket.bucket_name,
            s3_key_prefix=CONFIG_KEY_PREFIX,
            s3_kms_key_arn=security.key.arn,
            snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
            depends_on=[self.recorder, *self.role.attachments],
        )
        ConfigConfigurationRecorderStatus(
            self, "recorder-status", name=self.recorder.name, is_enabled=True, depends_on=[channel]
        )
        for identifier, requirement in PCI_MANAGED_RULES.items():
            rule_base = f"{system}-{identifier.lower().replace('_', '-')}"
            self.rules.append(
                ConfigConfigRule(
                    self,
                    f"rule-{identifier.lower()}",
                    name=naming.resource_name("config_rule", rule_base, suffix),
                    description=f"PCI DSS {requirement}",
                    source={"owner": "AWS", "source_identifier": identifier},
                    depends_on=[self.recorder],
                )
            )
