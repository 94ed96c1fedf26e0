"""Compliance-pack findings we accept, each with the reason a reviewer gets. Plain data; constructs apply them.

A finding is accepted only where the control is met another way or the rule does not fit the resource. Everything
else is fixed in the construct. The main job lists every acknowledgement with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AcceptedFinding:
    """One decision: the rule ids it covers (all packs that raise it) and why."""

    rules: tuple[str, ...]
    reason: str


RDS_MONITORING_MANAGED_POLICY = AcceptedFinding(
    ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]",),
    "enhanced monitoring needs exactly AWS's AmazonRDSEnhancedMonitoringRole (logs on RDSOSMetrics only); a copy "
    "would drift from what RDS requires and still need a log-stream wildcard",
)
DEFAULT_DATABASE_PORT = AcceptedFinding(
    ("AwsSolutions-RDS11",),
    "5432 is kept so clients and tooling work unchanged; the database is in isolated subnets and its security group "
    "admits only peers granted with allow_from, which a non-default port would not improve",
)
DEFAULT_CACHE_PORT = AcceptedFinding(
    ("AwsSolutions-AEC5",),
    "6379 is kept for client compatibility; the cache is in isolated subnets, TLS + AUTH only, and its security "
    "group admits only peers granted with allow_from",
)
REDIS_AUTH_TOKEN_ROTATION = AcceptedFinding(
    ("AwsSolutions-SMG4", "HIPAA.Security-SecretsManagerRotationEnabled"),
    "Secrets Manager has no managed rotation for ElastiCache AUTH tokens; the token is generated, never leaves "
    "Secrets Manager (dynamic reference) and is rotated by ModifyReplicationGroup with AuthTokenUpdateStrategy=ROTATE",
)
DATABASE_BACKUP_PLAN = AcceptedFinding(
    ("HIPAA.Security-RDSInBackupPlan",),
    "recovery is covered by RDS automated backups kept 30 days with point-in-time restore, copied tags, and a final "
    "snapshot on delete in prod; an AWS Backup vault would also block dev teardown once it holds recovery points",
)
STREAM_FAILURE_QUEUE = AcceptedFinding(
    ("AwsSolutions-SQS3",),
    "this queue is itself the dead-letter destination of the Kinesis event source mapping (on-failure destination); "
    "a dead-letter queue of a dead-letter queue would only move the same messages",
)
VPC_FUNCTION_WILDCARDS = AcceptedFinding(
    ("AwsSolutions-IAM5[Resource::*]",),
    "ec2:CreateNetworkInterface/DescribeNetworkInterfaces/DeleteNetworkInterface (VPC attachment) and "
    "xray:PutTraceSegments/PutTelemetryRecords support no resource-level permissions",
)
PINNED_LAMBDA_RUNTIME = AcceptedFinding(
    ("AwsSolutions-L1",),
    "the policy pins python3.13 for every function, the newest runtime the pinned Terraform AWS provider accepts, so "
    "CDK and Terraform deploy the same runtime; it is in standard support until 2029",
)
CONTAINER_ENVIRONMENT = AcceptedFinding(
    ("AwsSolutions-ECS2",),
    "the task environment holds only resource names and endpoints; credentials reach the task through its role "
    "and Secrets Manager, never through environment variables",
)
IMAGE_PULL_AUTHORIZATION = AcceptedFinding(
    ("AwsSolutions-IAM5[Resource::*]",),
    "ecr:GetAuthorizationToken, which ECS needs to pull a task's image from ECR, supports no resource-level "
    "permissions; the pull itself (BatchGetImage) is limited to the image's repository",
)
CUSTOMER_MANAGED_STREAM_KEY = AcceptedFinding(
    ("AwsSolutions-KDS3",),
    "the policy requires a customer-managed key (rotation, key policy, audit in CloudTrail) instead of aws/kinesis",
)
PUBLIC_SUBNET_INTERNET_ROUTE = AcceptedFinding(
    ("HIPAA.Security-VPCNoUnrestrictedRouteToIGW", "PCI.DSS.321-VPCNoUnrestrictedRouteToIGW"),
    "the public tier holds only NAT gateways (no instance gets a public IP); its route to the internet gateway is "
    "what lets the private tier reach AWS APIs, and data stores sit in isolated subnets with no such route",
)
FIREWALL_SUBNET_INTERNET_ROUTE = AcceptedFinding(
    ("HIPAA.Security-VPCNoUnrestrictedRouteToIGW", "PCI.DSS.321-VPCNoUnrestrictedRouteToIGW"),
    "the firewall tier holds only Network Firewall endpoints; its route to the internet gateway carries only "
    "traffic the firewall has inspected and allowed, and is the one way out of the network",
)
BUCKET_REPLICATION = AcceptedFinding(
    ("HIPAA.Security-S3BucketReplicationEnabled", "PCI.DSS.321-S3BucketReplicationEnabled"),
    "objects are versioned and KMS-encrypted with lifecycle retention; cross-region replication needs a second "
    "region chosen per system and doubles storage, so it is a system decision, not a construct default",
)
ACCESS_LOG_BUCKET_SSE_S3 = AcceptedFinding(
    ("HIPAA.Security-S3DefaultEncryptionKMS", "PCI.DSS.321-S3DefaultEncryptionKMS"),
    "S3 delivers server access logs only to buckets encrypted with SSE-S3; SSE-KMS on the target drops every log",
)
DEV_SINGLE_AZ = AcceptedFinding(
    ("AwsSolutions-RDS3", "HIPAA.Security-RDSMultiAZSupport", "AwsSolutions-AEC4"),
    "dev profile only: one AZ halves the idle cost of a throwaway environment; prod is Multi-AZ",
)
DEV_NO_DELETION_PROTECTION = AcceptedFinding(
    ("AwsSolutions-RDS10", "HIPAA.Security-RDSInstanceDeletionProtectionEnabled"),
    "dev profile only: the environment must tear down by automation; prod has deletion protection and final snapshots",
)
CONFIG_RECORDER_MANAGED_POLICY = AcceptedFinding(
    ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]",),
    "AWS Config needs read access to every resource type it records; AWS keeps AWS_ConfigRole current as types are "
    "added, which a customer-managed copy would not",
)
#: Its rule names the bucket's logical id and the prefix: the construct fills in ``{bucket}`` and ``{prefix}``.
CONFIG_DELIVERY_PREFIX = AcceptedFinding(
    ("AwsSolutions-IAM5[Resource::<{bucket}.Arn>/{prefix}/AWSLogs/<AWS::AccountId>/*]",),
    "AWS Config writes objects it names itself under <prefix>/AWSLogs/<account>/ of one bucket; the role may write "
    "there and nowhere else, and no object name is known in advance",
)
ENDPOINT_LOOKUP_OUTSIDE_VPC = AcceptedFinding(
    ("HIPAA.Security-LambdaInsideVPC", "PCI.DSS.321-LambdaInsideVPC"),
    "the function reads the Network Firewall's endpoint ids at deploy; in the VPC its calls would leave through the "
    "private subnets' egress, that is through the very firewall being looked up (and only to allow-listed domains), "
    "so an update or delete of the firewall would depend on the firewall it changes",
)
CUSTOM_RESOURCE_PROVIDER_INVOCATION = AcceptedFinding(
    ("HIPAA.Security-LambdaConcurrency", "HIPAA.Security-LambdaDLQ"),
    "CDK's AwsCustomResource provider is invoked only by CloudFormation during a deployment, synchronously: it "
    "waits for the answer and rolls back on failure; there is no event to dead-letter and no traffic to cap",
)
CUSTOM_RESOURCE_PROVIDER_MANAGED_POLICY = AcceptedFinding(
    ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",),
    "the role of CDK's AwsCustomResource provider, one per stack, with only AWSLambdaBasicExecutionRole (its own "
    "logs); the first custom resource of the stack sets it, so a role of ours could not be relied on",
)
CUSTOM_RESOURCE_CALL_POLICY = AcceptedFinding(
    ("HIPAA.Security-IAMNoInlinePolicy", "PCI.DSS.321-IAMNoInlinePolicy"),
    "AwsCustomResource attaches each call's permission to its provider's role as an inline policy; this one allows "
    "a single read-only action on a single resource ARN",
)
