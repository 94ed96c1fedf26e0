"""AWS Config recording: what is recorded, where it is delivered, how often, and the managed rules checked.

Plain data read by the ``ConfigRecorder`` construct. One recorder per account and region is allowed.
"""

from __future__ import annotations

from types import MappingProxyType

#: AWS Config managed rules, each with the PCI DSS v4 requirement it gives evidence for.
PCI_MANAGED_RULES: MappingProxyType[str, str] = MappingProxyType(
    {
        "S3_BUCKET_SSL_REQUESTS_ONLY": "4.2.1 strong cryptography in transit",
        "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED": "3.5.1 stored account data is unreadable",
        "S3_BUCKET_PUBLIC_READ_PROHIBITED": "1.4.1 no public access to the cardholder-data environment",
        "CLOUDWATCH_LOG_GROUP_ENCRYPTED": "10.3.2 audit logs protected from modification",
        "CMK_BACKING_KEY_ROTATION_ENABLED": "3.7.4 cryptographic keys changed at the end of their cryptoperiod",
        "VPC_FLOW_LOGS_ENABLED": "10.2.1 audit logs capture network activity",
        "LAMBDA_INSIDE_VPC": "1.3.1 inbound/outbound traffic of the CDE restricted",
    }
)
#: The standard the rules above give evidence for; it prefixes each rule's description.
PCI_STANDARD = "PCI DSS"
#: Where AWS Config writes inside the bucket (its fixed layout under the prefix).
CONFIG_KEY_PREFIX = "config"
#: Every supported resource type, global ones (IAM) included: a change nobody recorded cannot be investigated.
RECORD_ALL_SUPPORTED = True
INCLUDE_GLOBAL_RESOURCE_TYPES = True
#: A configuration snapshot a day, besides the change-by-change history.
SNAPSHOT_DELIVERY_FREQUENCY = "TwentyFour_Hours"
#: Only AWS Config may assume the recorder's role ...
CONFIG_PRINCIPAL = "config.amazonaws.com"
#: ... whose read permissions are AWS's own policy for it, kept current as Config learns new resource types.
CONFIG_MANAGED_POLICY = "service-role/AWS_ConfigRole"
#: What the recorder needs on the delivery key: encrypt what it writes (and read it back when checking).
CONFIG_DELIVERY_KMS_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:GenerateDataKey")
#: Configuration history is audit evidence: the bucket keeps it for the ``audit`` retention.
CONFIG_HISTORY_PURPOSE = "audit"
