"""Settings of the data-tier and compute constructs that the other policy modules do not hold. Each value says why.

Plain data only: the CDK constructs (PostgresInstance, AuroraServerlessCluster, RedisReplicationGroup,
ContainerCluster, SecureFunction, StreamConsumerFunction, DeadLetterQueue) and their cdktf twins read the same values.
"""

from __future__ import annotations

from typing import Any

from constructs_lib.policy import services
from constructs_lib.policy.errors import ConfigurationError

# --- RDS and Aurora PostgreSQL ---------------------------------------------------------------------------------
#: gp3 gives 3,000 IOPS and 125 MB/s whatever the size, and costs ~20% less per GB than gp2.
POSTGRES_STORAGE_TYPE = "gp3"
#: The RSA-2048 CA valid until 2061: clients pin one CA for the life of the database, no forced rotation in 2024-25.
DATABASE_CA_CERTIFICATE = "rds-ca-rsa2048-g1"
#: Parameters that make the server refuse plain-text connections (HIPAA 164.312(e)(1), PCI DSS 4.2.1).
DATABASE_TLS_PARAMETERS: dict[str, str] = {"rds.force_ssl": "1"}
#: Parameters that log who connected, when they left and what ran slowly: evidence for audits (PCI DSS 10.2) and
#: tuning. Valid in both the RDS (postgres17) and Aurora (aurora-postgresql17) families.
DATABASE_LOGGING_PARAMETERS: dict[str, str] = {
    "log_connections": "1",
    "log_disconnections": "1",
    "log_min_duration_statement": str(services.POSTGRES_LOG_MIN_DURATION_MS),
    # Schema changes (CREATE/ALTER/DROP) are audit evidence; statement values (which may hold PHI) are not logged.
    "log_statement": "ddl",
}
#: Logs an RDS PostgreSQL instance exports: the server log, and the upgrade log that records every engine upgrade
#: (HIPAA/PCI conformance checks ask for both). Aurora PostgreSQL exports only ``services.POSTGRES_EXPORTED_LOGS``.
POSTGRES_INSTANCE_EXPORTED_LOGS: tuple[str, ...] = (*services.POSTGRES_EXPORTED_LOGS, "upgrade")
#: Exported database logs record every connection: they are an audit trail, kept for the ``audit`` retention.
DATABASE_LOG_PURPOSE = "audit"
#: Where RDS and Aurora publish an exported log; creating the group first lets us set its key and retention
#: (RDS otherwise creates it unencrypted and kept forever).
RDS_INSTANCE_LOG_GROUP = "/aws/rds/instance/{identifier}/{log}"
#: The same for an Aurora cluster (the cluster, not its instances, exports the log).
RDS_CLUSTER_LOG_GROUP = "/aws/rds/cluster/{identifier}/{log}"
#: Only the RDS monitoring service may assume the enhanced-monitoring role ...
DATABASE_MONITORING_PRINCIPAL = "monitoring.rds.amazonaws.com"
#: ... whose permissions are AWS's own policy for it (log groups ``RDS*`` only), kept current by AWS.
DATABASE_MONITORING_MANAGED_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole"
#: What reading the RDS-managed master secret takes: the value, and the metadata clients check before reading it.
DATABASE_SECRET_READ_ACTIONS: tuple[str, ...] = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")

#: Storage, its automated backups and its snapshots are encrypted with the cluster's key (HIPAA 164.312(a)(2)(iv),
#: PCI DSS 3.5.1); RDS cannot encrypt a cluster after it is created.
DATABASE_STORAGE_ENCRYPTED = True
#: RDS generates the master password and keeps it in Secrets Manager under the key: no password in code or state.
DATABASE_MANAGED_MASTER_PASSWORD = True
#: Clients may sign in with short-lived IAM tokens instead of a stored password (PCI DSS 8.3, no shared secrets).
DATABASE_IAM_AUTHENTICATION = True
#: Snapshots carry the cluster's tags (Profile, System, cost allocation): evidence of what a snapshot holds.
DATABASE_COPY_TAGS_TO_SNAPSHOT = True
#: No public endpoint: instances are reachable only from inside the VPC (PCI DSS 1.4.1).
DATABASE_PUBLICLY_ACCESSIBLE = False
#: Minor versions carry security fixes; RDS applies them in the maintenance window (PCI DSS 6.3.3).
DATABASE_AUTO_MINOR_VERSION_UPGRADE = True
#: Performance Insights on, encrypted with the key: query load is visible without logging statement values.
DATABASE_PERFORMANCE_INSIGHTS = True
#: Aurora Serverless v2 is a provisioned cluster whose instances are ``db.serverless``.
AURORA_ENGINE_MODE = "provisioned"

#: Aurora Serverless v2 instances scale with the cluster's ACU range; no instance size to choose or resize.
AURORA_INSTANCE_CLASS = "db.serverless"
#: The writer and the readers sit in failover tiers 0 and 1: they fail over first and pause and resume together.
AURORA_WRITER_PROMOTION_TIER = 0
#: Readers in tier 1 are the first failover targets and never pause on their own while the writer serves.
AURORA_READER_PROMOTION_TIER = 1
#: Aurora allows fifteen readers in a cluster besides the writer.
AURORA_MAX_READERS = 15
#: SecondsUntilAutoPause that Aurora accepts when the ACU floor is 0 (five minutes to one day).
AURORA_AUTO_PAUSE_RANGE_SECONDS: tuple[int, int] = (300, 86_400)

# --- ElastiCache Redis -----------------------------------------------------------------------------------------
#: Clients must use TLS; "preferred" would still accept plain text (only meant for migrating a live cluster).
CACHE_TRANSIT_ENCRYPTION_MODE = "required"
#: Traffic between clients and nodes and between nodes is TLS (PCI DSS 4.2.1); with the mode above, only TLS.
CACHE_TRANSIT_ENCRYPTION = True
#: Data on disk, backups and snapshots are encrypted with the cache's key (HIPAA 164.312(a)(2)(iv), PCI DSS 3.5.1);
#: ElastiCache cannot encrypt a replication group after it is created.
CACHE_AT_REST_ENCRYPTION = True
#: Minor engine versions carry security fixes; ElastiCache applies them in the maintenance window (PCI DSS 6.3.3).
CACHE_AUTO_MINOR_VERSION_UPGRADE = True
#: Slow-log and engine-log are the two log types Redis can deliver; JSON so Logs Insights can query fields.
CACHE_LOG_TYPES: tuple[str, ...] = ("slow-log", "engine-log")
CACHE_LOG_FORMAT = "json"
#: CloudWatch Logs rather than Firehose: searchable at once, encrypted with the CMK, retention set per purpose.
CACHE_LOG_DESTINATION = "cloudwatch-logs"
#: Cache logs help debug latency and evictions; they hold no access trail, so ``application`` retention.
CACHE_LOG_PURPOSE = "application"

# --- Lambda ----------------------------------------------------------------------------------------------------
#: A new consumer starts at the oldest retained record: nothing written before it existed or during an outage is lost.
STREAM_STARTING_POSITION = "TRIM_HORIZON"
#: X-Ray traces every invocation: a slow or failing record can be followed from the stream to the database.
LAMBDA_TRACING = "ACTIVE"
#: Structured logs: Logs Insights queries by field, and the request id is on every line.
LAMBDA_LOG_FORMAT = "JSON"
#: Function logs serve debugging; audit trails live in the stores the function writes to.
LAMBDA_LOG_PURPOSE = "application"
#: The only egress a function (or task) in a VPC gets: HTTPS to AWS APIs and allow-listed endpoints; a data store
#: opens its own port to it.
HTTPS_PORT = 443
#: What active tracing needs (the X-Ray API has no resource-level permissions for these).
XRAY_WRITE_ACTIONS: tuple[str, ...] = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
#: Only the Lambda service may assume a function's execution role.
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
#: What a function in a VPC needs to attach its network interfaces; EC2 offers no narrower resource for these.
LAMBDA_VPC_ACTIONS: tuple[str, ...] = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
#: What sending to a queue encrypted with a CMK takes on the key, and no more (CDK's queue grants add
#: kms:Encrypt and kms:ReEncrypt*, which a producer never needs).
SQS_SEND_KMS_ACTIONS: tuple[str, ...] = ("kms:GenerateDataKey", "kms:Decrypt")
#: A dead-letter producer only sends; it never reads, deletes or purges what it dead-lettered.
SQS_SEND_ACTIONS: tuple[str, ...] = ("sqs:SendMessage",)
#: What the function needs to write to its own log group, and nothing else (no logs:CreateLogGroup on "*").
LAMBDA_LOG_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")

# --- ECS -------------------------------------------------------------------------------------------------------
#: Container Insights "enabled" (per-task CPU, memory, network); "enhanced" adds per-container metrics at extra cost.
CONTAINER_INSIGHTS = "enabled"
#: Graviton (ARM64) Fargate tasks cost ~20% less than x86 for the same vCPU and memory.
FARGATE_CPU_ARCHITECTURE = "ARM64"
#: Default image of a processing task: stacks pass their own; this keeps a bare task definition complete, pulled
#: from ECR Public (no Docker Hub rate limit), multi-architecture so it runs on ARM64.
PROCESSING_TASK_IMAGE = "public.ecr.aws/docker/library/python:3.12-slim"
#: Containers run as an unprivileged user with a read-only root filesystem: a compromised process can neither act
#: as root nor change the image's files (CIS Docker 4.1 and 5.12).
CONTAINER_USER = "1000:1000"
CONTAINER_READONLY_ROOT_FILESYSTEM = True
#: No container gets the host's devices and kernel capabilities (CIS Docker 5.4); Fargate refuses it anyway.
CONTAINER_PRIVILEGED = False
#: Container output serves debugging; ECS Exec sessions (below) are the audit trail.
CONTAINER_LOG_PURPOSE = "application"
#: A service deployment whose new tasks keep failing stops and rolls back to the last working task definition.
SERVICE_CIRCUIT_BREAKER_ROLLBACK = True
#: New tasks start before old ones stop (100/200): a deploy never leaves the stream or queue without a consumer.
SERVICE_MIN_HEALTHY_PERCENT = 100
SERVICE_MAX_HEALTHY_PERCENT = 200
#: Tasks live in private subnets and reach AWS through NAT or endpoints; a public IP would expose them.
SERVICE_ASSIGN_PUBLIC_IP = False
#: The newest Fargate platform carries the current kernel and runtime patches.
FARGATE_PLATFORM_VERSION = "LATEST"
#: A queue-fed service adds a task per this many visible messages (the target of its backlog-per-task tracking).
QUEUE_BACKLOG_PER_TASK = 100
#: Seconds between scaling actions: long enough for a new task to start taking messages.
SCALING_COOLDOWN_SECONDS = 60
#: Target tracking holds the backlog per task at ``QUEUE_BACKLOG_PER_TASK``: (namespace, metric, statistic) by query
#: id, the queue's visible messages and the service's running tasks (Container Insights) ...
SCALING_METRICS: dict[str, tuple[str, str, str]] = {
    "backlog": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Sum"),
    "tasks": ("ECS/ContainerInsights", "RunningTaskCount", "Average"),
}
#: ... divided, with at least one task counted: a service scaled to no tasks still sees its backlog.
SCALING_EXPRESSION = "backlog / MAX([tasks, 1])"
#: The id of that expression: the one query whose value target tracking follows.
SCALING_EXPRESSION_ID = "per_task"
#: Image tags never move: a tag names one build, so a running service cannot change under a re-push.
IMAGE_TAG_MUTABILITY = "IMMUTABLE"
#: A stack's image repository goes with the stack, images included, in every profile: images are build outputs,
#: rebuilt from the repository at the same content tag, and a repository left behind would block the next create.
IMAGE_REPOSITORY_FORCE_DELETE = True
#: Every pushed image is scanned for known vulnerabilities.
IMAGE_SCAN_ON_PUSH = True
#: Images are encrypted with the customer-managed key (not ECR's AES-256 default): key use is logged and revocable.
IMAGE_REPOSITORY_ENCRYPTION = "KMS"
#: A repository keeps this many tagged images (rollbacks go this far back); untagged layers expire after a day.
IMAGES_KEPT = 20
UNTAGGED_IMAGE_EXPIRY_DAYS = 1
#: The repository's lifecycle policy in ECR's own rule format: untagged images expire first, then all but the
#: last ``IMAGES_KEPT`` (ECR requires the ``any`` rule to come last).
IMAGE_LIFECYCLE_RULES: tuple[dict[str, Any], ...] = (
    {
        "rulePriority": 1,
        "description": "expire untagged images",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                      "countNumber": UNTAGGED_IMAGE_EXPIRY_DAYS},
        "action": {"type": "expire"},
    },
    {
        "rulePriority": 2,
        "description": f"keep the last {IMAGES_KEPT} images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": IMAGES_KEPT},
        "action": {"type": "expire"},
    },
)  # fmt: skip
#: What an execution role needs to pull a task's image from its ECR repository, and no more.
IMAGE_PULL_ACTIONS: tuple[str, ...] = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
#: Registry login; ECR offers no resource-level permission for it.
IMAGE_REGISTRY_LOGIN_ACTION = "ecr:GetAuthorizationToken"
#: Only ECS tasks may assume a task or task-execution role.
ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"
#: ECS Exec sessions are commands typed into running containers: an audit trail, kept for the ``audit`` retention.
EXEC_LOG_PURPOSE = "audit"
#: ECS Exec session output goes to that log group encrypted with the cluster's key, never in clear text.
EXEC_LOG_ENCRYPTION = True

# --- Grants ----------------------------------------------------------------------------------------------------
#: What reading a Kinesis stream takes (a consumer discovers shards, then reads them), and no write.
STREAM_READ_ACTIONS: tuple[str, ...] = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
)
#: What consuming a queue takes: receive, delete when done, extend while working; never purge or send.
QUEUE_CONSUME_ACTIONS: tuple[str, ...] = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
)
#: Reading and writing objects of a bucket: objects only, never its policy, ACL or configuration.
BUCKET_READ_ACTIONS: tuple[str, ...] = ("s3:GetObject",)
BUCKET_WRITE_ACTIONS: tuple[str, ...] = ("s3:PutObject",)
#: What a reader needs on the key of an SSE-KMS store, and what a writer needs besides.
KMS_READ_ACTIONS: tuple[str, ...] = ("kms:Decrypt",)
KMS_WRITE_ACTIONS: tuple[str, ...] = ("kms:GenerateDataKey",)


def check_aurora_scaling(min_capacity: float, max_capacity: float, seconds_until_auto_pause: int | None) -> None:
    """Reject ACU settings Aurora refuses on deploy: an inverted range, or a 0 floor without a valid pause delay.

    Raises a ConfigurationError naming ``max_capacity`` or ``seconds_until_auto_pause``.
    """
    if max_capacity < min_capacity:
        raise ConfigurationError("max_capacity", max_capacity, f"at least min_capacity ({min_capacity})")
    low, high = AURORA_AUTO_PAUSE_RANGE_SECONDS
    if min_capacity == 0 and not (seconds_until_auto_pause is not None and low <= seconds_until_auto_pause <= high):
        raise ConfigurationError(
            "seconds_until_auto_pause", seconds_until_auto_pause, f"{low}-{high} seconds when min_capacity is 0"
        )


def check_cache_failover(num_cache_clusters: int, automatic_failover_enabled: bool, multi_az_enabled: bool) -> None:
    """Reject what ElastiCache refuses on deploy: failover without a replica, Multi-AZ without failover.

    Raises a ConfigurationError naming ``automatic_failover_enabled`` or ``multi_az_enabled``.
    """
    if automatic_failover_enabled and num_cache_clusters < 2:
        raise ConfigurationError(
            "automatic_failover_enabled",
            True,
            f"only with a replica (num_cache_clusters >= 2, not {num_cache_clusters})",
        )
    if multi_az_enabled and not automatic_failover_enabled:
        raise ConfigurationError("multi_az_enabled", True, "only with automatic_failover_enabled=True")
