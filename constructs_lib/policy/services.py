"""Per-service defaults that are not about durability: sizes, thresholds, runtimes. Each value says why."""

from __future__ import annotations

from types import MappingProxyType

# --- Network ---------------------------------------------------------------------------------------------------
#: Two AZs: the minimum for Multi-AZ databases and for surviving an AZ outage.
NETWORK_AZ_COUNT = 2
#: A /16 leaves room for the three tiers and later growth without overlapping the common 172.31/16 default VPC.
NETWORK_CIDR = "10.0.0.0/16"
#: /24 per subnet: 251 usable addresses per tier per AZ.
SUBNET_CIDR_MASK = 24
#: Subnet tiers. ``public`` holds NAT gateways and load balancers (no public IPs on launch); ``private`` holds compute,
#: whose only way out is NAT; ``isolated`` holds databases and caches and has no route out of the VPC at all.
PUBLIC_TIER = "public"
PRIVATE_TIER = "private"
ISOLATED_TIER = "isolated"
#: Where each tier starts, as the n-th /24 of the VPC (one slot per AZ from there, room for ten AZs per tier), for a
#: rendering that places subnets itself (cdktf; the CDK ``Vpc`` packs the same tiers in this order).
SUBNET_TIER_SLOTS: MappingProxyType[str, int] = MappingProxyType({PUBLIC_TIER: 0, PRIVATE_TIER: 10, ISOLATED_TIER: 20})
#: Slots from here are free for a caller's own tier (the Network Firewall's subnets).
FREE_SUBNET_SLOT = 30
#: Flow logs capture rejected *and* accepted traffic: an investigation needs both.
FLOW_LOG_TRAFFIC = "ALL"
#: What VPC Flow Logs needs on the (existing) log group it delivers to, and no more: no CreateLogGroup.
FLOW_LOG_DELIVERY_ACTIONS: tuple[str, ...] = (
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
)
#: No instance in a public subnet gets a public IP by itself: only NAT gateways live there.
SUBNET_MAP_PUBLIC_IP_ON_LAUNCH = False
#: DNS resolution and hostnames on: interface endpoints answer AWS API names with private addresses only then.
VPC_DNS_SUPPORT = True
VPC_DNS_HOSTNAMES = True

# --- Kinesis ---------------------------------------------------------------------------------------------------
#: One shard (1 MB/s in, 2 MB/s out) is the cheapest provisioned stream; stacks size it to their load.
STREAM_SHARDS = 1

# --- Databases -------------------------------------------------------------------------------------------------
#: Smallest current-generation burstable class; Graviton is ~20% cheaper than the x86 equivalent.
POSTGRES_INSTANCE_CLASS = "db.t4g.micro"
POSTGRES_ALLOCATED_STORAGE_GB = 20
POSTGRES_MAX_ALLOCATED_STORAGE_GB = 100
DATABASE_PORT = 5432
DATABASE_NAME = "appdb"
DATABASE_MASTER_USERNAME = "dbadmin"
#: Enhanced monitoring every 60 s (HIPAA/PCI checks ask for it); finer granularity costs more CloudWatch.
DATABASE_MONITORING_INTERVAL_SECONDS = 60
#: Performance Insights free tier keeps 7 days.
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7
#: Log every statement taking longer than this (ms) and every connection: evidence for audits and tuning.
POSTGRES_LOG_MIN_DURATION_MS = 1000
POSTGRES_EXPORTED_LOGS: tuple[str, ...] = ("postgresql",)

# --- Redis -----------------------------------------------------------------------------------------------------
CACHE_NODE_TYPE = "cache.t4g.micro"
CACHE_PORT = 6379
#: Daily snapshots kept 15 days: the HIPAA conformance pack minimum (ElastiCache allows up to 35).
CACHE_SNAPSHOT_RETENTION_DAYS = 15
#: AUTH tokens must be 16-128 printable characters without '@', '"' or '/'.
CACHE_AUTH_TOKEN_LENGTH = 64
CACHE_AUTH_TOKEN_EXCLUDED_CHARACTERS = "@\"/\\'` %+~#$&*()|[]{}:;<>?!,=^"

# --- Lambda ----------------------------------------------------------------------------------------------------
#: The newest Python runtime both renderings can express: Terraform hashicorp/aws 5.100.0 (pinned) stops at 3.13.
LAMBDA_RUNTIME = "python3.13"
#: Runtimes AWS no longer lets a function be created with (their "block function create" date has passed), each
#: with the runtime AWS's refusal recommends instead. Source: Lambda Developer Guide, "Deprecated runtimes".
RETIRED_LAMBDA_RUNTIMES: MappingProxyType[str, str] = MappingProxyType(
    {
        "python2.7": LAMBDA_RUNTIME,
        "python3.6": LAMBDA_RUNTIME,
        "python3.7": LAMBDA_RUNTIME,
        "python3.8": LAMBDA_RUNTIME,
        "nodejs": "nodejs22.x",
        "nodejs4.3": "nodejs22.x",
        "nodejs6.10": "nodejs22.x",
        "nodejs8.10": "nodejs22.x",
        "nodejs10.x": "nodejs22.x",
        "nodejs12.x": "nodejs22.x",
        "nodejs14.x": "nodejs22.x",
        "nodejs16.x": "nodejs22.x",
        "dotnetcore2.1": "dotnet8",
        "dotnetcore3.1": "dotnet8",
        "ruby2.5": "ruby3.3",
        "ruby2.7": "ruby3.3",
        "go1.x": "provided.al2023",
    }
)
LAMBDA_MEMORY_MB = 256
LAMBDA_TIMEOUT_SECONDS = 60
#: Caps concurrent executions so a burst cannot exhaust database connections.
LAMBDA_RESERVED_CONCURRENCY = 10
#: Records per invocation and how a failing batch is retried: split it, retry a few times, then dead-letter.
STREAM_BATCH_SIZE = 100
STREAM_MAX_RETRY_ATTEMPTS = 3
STREAM_MAX_RECORD_AGE_SECONDS = 3600
STREAM_BISECT_ON_ERROR = True

# --- ECS -------------------------------------------------------------------------------------------------------
FARGATE_TASK_CPU = 256
FARGATE_TASK_MEMORY_MB = 512
