"""Idle-cost prices: one dated table of AWS on-demand prices, per region where it differs, each line with its source.

The stack report (``python -m constructs_lib.report``) multiplies these by what a synthesized stack keeps running
while nobody uses it: 730 hours a month of NAT gateways, database instances, cache nodes, shards and firewall
endpoints, and one month of each key and secret. Usage charges (requests, GB stored or processed) are zero when
idle and are listed, not priced. ``--live`` asks the AWS Price List API for the same lines (``query`` below) instead.

A region missing from a line's ``usd`` is not guessed: the report lists that line as not priced. ``"*"`` means the
price is the same in every commercial region. Plain data, no AWS import.

Example::

    from constructs_lib.policy.prices import PRICES, rds_instance_key

    PRICES[rds_instance_key("postgres", "db.t4g.micro", multi_az=True)].in_region("eu-west-2")   # 0.036
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: The day this table was compiled. us-east-1 values: the AWS pricing pages named per line; eu-west-2 values: the
#: AWS Price List bulk offer files published 2026-09-03/04 (AmazonEC2, AmazonRDS, AmazonElastiCache, AmazonECS).
PRICES_AS_OF = "2026-11-23"
#: AWS bills hourly resources on 730 hours a month (8,760 hours a year / 12).
HOURS_PER_MONTH = 730
#: Where a stack that leaves its region to deploy time (CDK ``env`` unset) is priced; the report says so.
DEFAULT_PRICING_REGION = "us-east-1"
#: ``usd`` key for a price that is the same in every commercial region.
ALL_REGIONS = "*"
#: The Price List API is served from us-east-1 (and ap-south-1) whatever region the prices are for.
PRICE_LIST_API_REGION = "us-east-1"


@dataclass(frozen=True)
class PriceListQuery:
    """How the AWS Price List API names a price: its service code, attribute filters (TERM_MATCH) and a pattern the
    product's ``usagetype`` must match (the usage type carries a region prefix such as ``EUW2-``, except in
    us-east-1, so it is matched, not filtered)."""

    service_code: str
    filters: Mapping[str, str] = field(default_factory=dict)
    usage_type: str = ""


@dataclass(frozen=True)
class Price:
    """One billable unit: what it is, USD per unit by region, where the number comes from, how to look it up live."""

    key: str
    item: str
    unit: str
    usd: Mapping[str, float]
    source: str
    query: PriceListQuery

    @property
    def hourly(self) -> bool:
        """Billed per hour: the report multiplies by ``HOURS_PER_MONTH``."""
        return self.unit.endswith("hour")

    def in_region(self, region: str) -> float | None:
        """USD per unit in ``region``, or ``None`` when this table has no verified price there."""
        if ALL_REGIONS in self.usd:
            return self.usd[ALL_REGIONS]
        return self.usd.get(region)


_VPC_PAGE = "https://aws.amazon.com/vpc/pricing/"
_RDS_PAGE = "https://aws.amazon.com/rds/postgresql/pricing/"
_AURORA_PAGE = "https://aws.amazon.com/rds/aurora/pricing/ (Aurora Standard)"
_CACHE_PAGE = "https://aws.amazon.com/elasticache/pricing/"
_KINESIS_PAGE = "https://aws.amazon.com/kinesis/data-streams/pricing/"
_FARGATE_PAGE = "https://aws.amazon.com/fargate/pricing/"
_DEPLOYMENT = {False: "Single-AZ", True: "Multi-AZ"}
_ENGINES = {"postgres": "PostgreSQL", "redis": "Redis", "valkey": "Valkey"}


def _price(key: str, item: str, unit: str, usd: Mapping[str, float], source: str, query: PriceListQuery) -> Price:
    return Price(key=key, item=item, unit=unit, usd=usd, source=source, query=query)


def rds_instance_key(engine: str, instance_class: str, *, multi_az: bool) -> str:
    """``rds.instance.postgres.db.t4g.micro.multi-az``: the key of an RDS instance-hour line."""
    return f"rds.instance.{engine}.{instance_class}.{_DEPLOYMENT[multi_az].lower()}"


def rds_storage_key(engine: str, storage_type: str, *, multi_az: bool) -> str:
    """``rds.storage.postgres.gp3.single-az``: the key of an RDS storage GB-month line."""
    return f"rds.storage.{engine}.{storage_type}.{_DEPLOYMENT[multi_az].lower()}"


def cache_node_key(engine: str, node_type: str) -> str:
    """``elasticache.node.redis.cache.t4g.micro``: the key of an ElastiCache node-hour line."""
    return f"elasticache.node.{engine}.{node_type}"


def fargate_key(architecture: str, dimension: str) -> str:
    """``fargate.arm64.vcpu`` / ``fargate.x86_64.gb``: the keys of the two Fargate task-hour lines."""
    return f"fargate.{architecture}.{dimension}"


#: RDS PostgreSQL on-demand instance-hour, (class, Multi-AZ) -> USD by region. Multi-AZ bills the standby too.
_RDS_INSTANCE_HOURLY: dict[tuple[str, bool], dict[str, float]] = {
    ("db.t4g.micro", False): {"us-east-1": 0.016, "eu-west-2": 0.018},
    ("db.t4g.micro", True): {"us-east-1": 0.032, "eu-west-2": 0.036},
    ("db.t4g.small", False): {"us-east-1": 0.032},
    ("db.t4g.small", True): {"us-east-1": 0.064},
    ("db.t4g.medium", False): {"us-east-1": 0.065, "eu-west-2": 0.072},
    ("db.t4g.medium", True): {"us-east-1": 0.130, "eu-west-2": 0.145},
}
#: RDS storage GB-month, (type, Multi-AZ) -> USD by region. gp3 includes 3,000 IOPS / 125 MB/s; Multi-AZ doubles.
_RDS_STORAGE_MONTHLY: dict[tuple[str, bool], dict[str, float]] = {
    ("gp3", False): {"us-east-1": 0.115, "eu-west-2": 0.133},
    ("gp3", True): {"us-east-1": 0.23, "eu-west-2": 0.266},
    ("gp2", False): {"us-east-1": 0.115, "eu-west-2": 0.133},
    ("gp2", True): {"us-east-1": 0.23, "eu-west-2": 0.266},
}
_RDS_VOLUME_TYPES = {"gp3": "General Purpose-GP3", "gp2": "General Purpose"}
#: ElastiCache node-hour, (engine, node type) -> USD by region. Valkey nodes cost 20% less than Redis OSS.
_CACHE_NODE_HOURLY: dict[tuple[str, str], dict[str, float]] = {
    ("redis", "cache.t4g.micro"): {"us-east-1": 0.016, "eu-west-2": 0.018},
    ("redis", "cache.t4g.small"): {"us-east-1": 0.032},
    ("redis", "cache.t4g.medium"): {"us-east-1": 0.065, "eu-west-2": 0.072},
    ("valkey", "cache.t4g.micro"): {"us-east-1": 0.0128, "eu-west-2": 0.0144},
}
#: Fargate per vCPU-hour and per GB-hour of a task, by CPU architecture. Graviton (ARM64) is ~20% cheaper.
_FARGATE_HOURLY: dict[tuple[str, str], dict[str, float]] = {
    ("x86_64", "vcpu"): {"us-east-1": 0.04048, "eu-west-2": 0.04656},
    ("x86_64", "gb"): {"us-east-1": 0.004445, "eu-west-2": 0.00511},
    ("arm64", "vcpu"): {"us-east-1": 0.03238, "eu-west-2": 0.03725},
    ("arm64", "gb"): {"us-east-1": 0.00356, "eu-west-2": 0.00409},
}
_FARGATE_USAGE = {
    ("x86_64", "vcpu"): "Fargate-vCPU-Hours:perCPU",
    ("x86_64", "gb"): "Fargate-GB-Hours",
    ("arm64", "vcpu"): "Fargate-ARM-vCPU-Hours:perCPU",
    ("arm64", "gb"): "Fargate-ARM-GB-Hours",
}


def _table() -> dict[str, Price]:
    prices = [
        _price(
            "vpc.nat_gateway",
            "NAT gateway",
            "NAT gateway-hour",
            {"us-east-1": 0.045, "eu-west-2": 0.05},
            _VPC_PAGE,
            PriceListQuery("AmazonEC2", {"productFamily": "NAT Gateway"}, r"(^|-)NatGateway-Hours$"),
        ),
        _price(
            "vpc.public_ipv4",
            "public IPv4 address",
            "address-hour",
            {ALL_REGIONS: 0.005},
            _VPC_PAGE + " (public IPv4, in use or idle)",
            PriceListQuery("AmazonVPC", {}, r"(^|-)PublicIPv4:InUseAddress$"),
        ),
        _price(
            "vpc.interface_endpoint",
            "interface VPC endpoint",
            "endpoint-AZ-hour",
            {"us-east-1": 0.01},
            "https://aws.amazon.com/privatelink/pricing/",
            PriceListQuery("AmazonVPC", {}, r"(^|-)VpcEndpoint-Hours$"),
        ),
        _price(
            "rds.aurora_serverless_v2",
            "Aurora Serverless v2 capacity",
            "ACU-hour",
            {"us-east-1": 0.12},
            _AURORA_PAGE,
            PriceListQuery("AmazonRDS", {}, r"(^|-)Aurora:ServerlessV2Usage$"),
        ),
        _price(
            "kinesis.shard",
            "Kinesis shard (provisioned)",
            "shard-hour",
            {"us-east-1": 0.015},
            _KINESIS_PAGE,
            PriceListQuery("AmazonKinesis", {}, r"(^|-)Storage-ShardHour$"),
        ),
        _price(
            "kinesis.on_demand_stream",
            "Kinesis stream (on-demand)",
            "stream-hour",
            {"us-east-1": 0.04},
            _KINESIS_PAGE,
            PriceListQuery("AmazonKinesis", {}, r"(^|-)OnDemand-StreamHour$"),
        ),
        _price(
            "kms.key",
            "KMS customer-managed key",
            "key-month",
            {ALL_REGIONS: 1.0},
            "https://aws.amazon.com/kms/pricing/",
            PriceListQuery("awskms", {}, r"(^|-)KMS-Keys$"),
        ),
        _price(
            "secretsmanager.secret",
            "Secrets Manager secret",
            "secret-month",
            {ALL_REGIONS: 0.40},
            "https://aws.amazon.com/secrets-manager/pricing/",
            PriceListQuery("AWSSecretsManager", {}, r"(^|-)AWSSecretsManager-Secrets$"),
        ),
        _price(
            "networkfirewall.endpoint",
            "Network Firewall endpoint",
            "endpoint-hour",
            {"us-east-1": 0.395},
            "https://aws.amazon.com/network-firewall/pricing/",
            PriceListQuery("AWSNetworkFirewall", {}, r"(^|-)Endpoint-Hour$"),
        ),
        _price(
            "config.configuration_item",
            "AWS Config configuration item recorded",
            "configuration item",
            {"us-east-1": 0.003, "eu-west-2": 0.003},
            "https://aws.amazon.com/config/pricing/",
            PriceListQuery("AWSConfig", {}, r"(^|-)ConfigurationItemRecorded$"),
        ),
        _price(
            "cloudwatch.alarm",
            "CloudWatch alarm (standard resolution)",
            "alarm-metric-month",
            {"us-east-1": 0.10, "eu-west-2": 0.10},
            "https://aws.amazon.com/cloudwatch/pricing/",
            PriceListQuery("AmazonCloudWatch", {}, r"(^|-)CW:AlarmMonitorUsage$"),
        ),
        _price(
            "cloudwatch.alarm_high_resolution",
            "CloudWatch alarm (high resolution, period < 60 s)",
            "alarm-metric-month",
            {"us-east-1": 0.30, "eu-west-2": 0.30},
            "https://aws.amazon.com/cloudwatch/pricing/",
            PriceListQuery("AmazonCloudWatch", {}, r"(^|-)CW:HighResAlarmMonitorUsage$"),
        ),
    ]
    for (instance_class, multi_az), usd in _RDS_INSTANCE_HOURLY.items():
        prices.append(
            _price(
                rds_instance_key("postgres", instance_class, multi_az=multi_az),
                f"RDS PostgreSQL {instance_class} {_DEPLOYMENT[multi_az]}",
                "instance-hour",
                usd,
                _RDS_PAGE,
                PriceListQuery(
                    "AmazonRDS",
                    {
                        "productFamily": "Database Instance",
                        "instanceType": instance_class,
                        "databaseEngine": "PostgreSQL",
                        "deploymentOption": _DEPLOYMENT[multi_az],
                    },
                    r"(^|-)(InstanceUsage|Multi-AZUsage):",
                ),
            )
        )
    for (storage_type, multi_az), usd in _RDS_STORAGE_MONTHLY.items():
        prices.append(
            _price(
                rds_storage_key("postgres", storage_type, multi_az=multi_az),
                f"RDS {storage_type} storage {_DEPLOYMENT[multi_az]}",
                "GB-month",
                usd,
                _RDS_PAGE,
                PriceListQuery(
                    "AmazonRDS",
                    {
                        "productFamily": "Database Storage",
                        "volumeType": _RDS_VOLUME_TYPES[storage_type],
                        "databaseEngine": "PostgreSQL",
                        "deploymentOption": _DEPLOYMENT[multi_az],
                    },
                    r"(^|-)RDS:",
                ),
            )
        )
    for (engine, node_type), usd in _CACHE_NODE_HOURLY.items():
        prices.append(
            _price(
                cache_node_key(engine, node_type),
                f"ElastiCache {_ENGINES[engine]} {node_type} node",
                "node-hour",
                usd,
                _CACHE_PAGE,
                PriceListQuery(
                    "AmazonElastiCache",
                    {"instanceType": node_type, "cacheEngine": _ENGINES[engine]},
                    r"(^|-)NodeUsage:",
                ),
            )
        )
    for (architecture, dimension), usd in _FARGATE_HOURLY.items():
        prices.append(
            _price(
                fargate_key(architecture, dimension),
                f"Fargate {architecture} {'vCPU' if dimension == 'vcpu' else 'memory'}",
                "vCPU-hour" if dimension == "vcpu" else "GB-hour",
                usd,
                _FARGATE_PAGE,
                PriceListQuery("AmazonECS", {}, rf"(^|-){_FARGATE_USAGE[(architecture, dimension)]}$"),
            )
        )
    return {p.key: p for p in prices}


PRICES: dict[str, Price] = _table()

#: A NAT gateway's hourly (and per-GB) charge is waived one-to-one for each Network Firewall endpoint-hour
#: (AWS Network Firewall pricing page): a firewalled VPC pays for its endpoints, not also for its NAT gateways.
NAT_HOURS_WAIVED_PER_FIREWALL_ENDPOINT = 1

#: Resource types that cost nothing at all, idle or not (network plumbing, IAM, policies, parameter groups).
NO_CHARGE_TYPES: frozenset[str] = frozenset(
    {
        "AWS::CDK::Metadata",
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::RouteTable",
        "AWS::EC2::Route",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::NetworkAcl",
        "AWS::EC2::NetworkAclEntry",
        "AWS::EC2::SubnetNetworkAclAssociation",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::InstanceProfile",
        "AWS::RDS::DBSubnetGroup",
        "AWS::RDS::DBParameterGroup",
        "AWS::RDS::DBClusterParameterGroup",
        "AWS::ElastiCache::SubnetGroup",
        "AWS::ElastiCache::ParameterGroup",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::S3::BucketPolicy",
        "AWS::KMS::Alias",
        "AWS::Lambda::Permission",
        "AWS::ECS::ClusterCapacityProviderAssociations",
        "AWS::ECS::TaskDefinition",
        "AWS::Logs::ResourcePolicy",
        "AWS::NetworkFirewall::FirewallPolicy",
        "AWS::NetworkFirewall::RuleGroup",
        "AWS::Config::DeliveryChannel",
        "Custom::VpcRestrictDefaultSG",
        "Custom::S3AutoDeleteObjects",
        "Custom::LogRetention",
        "aws_vpc",
        "aws_subnet",
        "aws_route_table",
        "aws_route",
        "aws_route_table_association",
        "aws_internet_gateway",
        "aws_security_group",
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_default_security_group",
        "aws_network_acl",
        "aws_iam_role",
        "aws_iam_policy",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_db_subnet_group",
        "aws_db_parameter_group",
        "aws_rds_cluster_parameter_group",
        "aws_elasticache_subnet_group",
        "aws_elasticache_parameter_group",
        "aws_sns_topic_policy",
        "aws_sqs_queue_policy",
        "aws_sqs_queue_redrive_policy",
        "aws_sqs_queue_redrive_allow_policy",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_notification",
        "aws_kms_alias",
        "aws_kms_key_policy",
        "aws_lambda_permission",
        "aws_ecs_cluster_capacity_providers",
        "aws_ecs_task_definition",
        "aws_cloudwatch_log_resource_policy",
        "aws_networkfirewall_firewall_policy",
        "aws_networkfirewall_rule_group",
        "aws_config_configuration_recorder_status",
        "aws_config_delivery_channel",
        "aws_ecr_lifecycle_policy",
        "aws_appautoscaling_target",
        "aws_appautoscaling_policy",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
    }
)

#: Resource types billed only on use (requests, GB stored or processed): nothing while idle. Value: what they bill.
USAGE_ONLY_TYPES: dict[str, str] = {
    "AWS::Lambda::Function": "requests and GB-seconds",
    "aws_lambda_function": "requests and GB-seconds",
    "AWS::Lambda::EventSourceMapping": "nothing beyond the function's invocations",
    "aws_lambda_event_source_mapping": "nothing beyond the function's invocations",
    "AWS::SQS::Queue": "requests",
    "aws_sqs_queue": "requests",
    "AWS::SNS::Topic": "publishes and deliveries",
    "aws_sns_topic": "publishes and deliveries",
    "AWS::SNS::Subscription": "deliveries",
    "aws_sns_topic_subscription": "deliveries",
    "AWS::S3::Bucket": "GB stored and requests",
    "aws_s3_bucket": "GB stored and requests",
    "AWS::Logs::LogGroup": "GB ingested and stored",
    "aws_cloudwatch_log_group": "GB ingested and stored",
    "AWS::EC2::FlowLog": "GB of log data delivered",
    "aws_flow_log": "GB of log data delivered",
    "AWS::ECS::Cluster": "the tasks it runs (Container Insights per task metric)",
    "aws_ecs_cluster": "the tasks it runs (Container Insights per task metric)",
    "AWS::Config::ConfigRule": "rule evaluations",
    "aws_config_config_rule": "rule evaluations",
    "AWS::NetworkFirewall::LoggingConfiguration": "GB of logs delivered",
    "aws_networkfirewall_logging_configuration": "GB of logs delivered",
    "AWS::ECR::Repository": "GB of images stored",
    "aws_ecr_repository": "GB of images stored",
    "AWS::DynamoDB::Table": "requests and GB stored (on-demand capacity)",
    "aws_dynamodb_table": "requests and GB stored (on-demand capacity)",
}


@dataclass(frozen=True)
class IdleBudget:
    """The most a stack's dev profile may cost idle, and why that number."""

    usd: float
    reason: str


#: Dev-profile idle budget per reference system (the ``System`` tag): what the system we replace costs idle,
#: measured on its synthesized output. Ours must be cheaper while carrying more controls.
IDLE_BUDGETS: dict[str, IdleBudget] = {
    "iot-platform": IdleBudget(124, "the IoT platform we replace (seed 000) idles at ~$124 a month"),
    "healthcare-pipeline": IdleBudget(105, "the HIPAA pipeline we replace (seed 001) idles at ~$105 a month"),
    "stream-processor": IdleBudget(62, "the Kinesis-Lambda-RDS processor we replace (seed 002) idles at ~$62"),
    "streamflix": IdleBudget(117, "the StreamFlix pipeline we replace (seed 003) idles at ~$117 with its database"),
    "pci-platform": IdleBudget(869, "the PCI platform we replace (seed 004) idles at ~$869 (3 firewall endpoints)"),
}
