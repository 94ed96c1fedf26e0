"""Every construct, in both renderings, takes its resource's own arguments as overrides: overriding a hardened value
synthesizes, is applied, and is reported at synth with the property, the hardened default and the new value."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdktf
import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template
from constructs import IConstruct

from constructs_lib.policy import (
    compute,
    encryption,
    engines,
    naming,
    network_firewall,
    profiles,
    retention,
    services,
    storage,
)
from constructs_lib.policy.overrides import describe

CONTEXT = {"profile": "dev", "environmentSuffix": "t1"}
HANDLER_DIR = Path(__file__).resolve().parents[3] / "stacks" / "pci_platform" / "handler"
AURORA_VERSION = engines.engine("aurora-postgresql").version
POSTGRES_VERSION = engines.engine("postgres").version
REDIS_VERSION = engines.engine("redis").version


@dataclass(frozen=True)
class Case:
    """One override: the construct built with ``prop=value`` (``argument={prop: value}`` for ``argument.prop``), and
    how to read the value back from the output."""

    construct: str
    prop: str
    default: Any
    value: Any
    #: The synthesized stack (a CloudFormation template or a Terraform configuration) -> what the override set.
    read: Callable[[dict[str, Any]], Any]
    expected: Any

    @property
    def id(self) -> str:
        return f"{self.construct}-{self.prop}"

    @property
    def arguments(self) -> dict[str, Any]:
        argument, _, prop = self.prop.rpartition(".")
        return {argument: {prop: self.value}} if argument else {prop: self.value}


# --- reading the synthesized output ------------------------------------------------------------------------------


def _cfn(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in template["Resources"].values() if r["Type"] == resource_type]


def _cfn_one(resource_type: str, prop: str) -> Callable[[dict[str, Any]], Any]:
    def read(template: dict[str, Any]) -> Any:
        (properties,) = _cfn(template, resource_type)
        return properties.get(prop)

    return read


def _tf(configuration: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return list(configuration["resource"].get(resource_type, {}).values())


def _tf_one(resource_type: str, argument: str) -> Callable[[dict[str, Any]], Any]:
    def read(configuration: dict[str, Any]) -> Any:
        (body,) = _tf(configuration, resource_type)
        return body.get(argument)

    return read


def _cfn_data_bucket_key(template: dict[str, Any]) -> Any:
    (data,) = [p for p in _cfn(template, "AWS::S3::Bucket") if "LoggingConfiguration" in p]
    return data["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["BucketKeyEnabled"]


def _cfn_versioning(template: dict[str, Any]) -> Any:
    (bucket,) = _cfn(template, "AWS::S3::Bucket")
    return bucket.get("VersioningConfiguration")


def _cfn_work_queue_name(template: dict[str, Any]) -> Any:
    (work,) = [q for q in _cfn(template, "AWS::SQS::Queue") if "RedrivePolicy" in q]
    return work["QueueName"]


def _tf_work_queue_name(configuration: dict[str, Any]) -> Any:
    (work,) = [q for q in _tf(configuration, "aws_sqs_queue") if "redrive_policy" in q]
    return work["name"]


def _tf_bucket_force_destroy(base: str) -> Callable[[dict[str, Any]], Any]:
    def read(configuration: dict[str, Any]) -> Any:
        (bucket,) = [b for b in _tf(configuration, "aws_s3_bucket") if b["bucket"].startswith(f"{base}-t1-")]
        return bucket["force_destroy"]

    return read


def _count(resource_type: str) -> Callable[[dict[str, Any]], int]:
    def read(output: dict[str, Any]) -> int:
        if "Resources" in output:
            return len(_cfn(output, resource_type))
        return len(_tf(output, resource_type))

    return read


# --- the table ---------------------------------------------------------------------------------------------------

CDK_CASES: tuple[Case, ...] = (
    Case("SecureBucket", "bucket_key_enabled", storage.BUCKET_KEY_ENABLED, False, _cfn_data_bucket_key, False),
    Case("AccessLogBucket", "versioned", storage.BUCKET_VERSIONING, False, _cfn_versioning, None),
    Case(
        "KinesisDataStream",
        "retention_period",
        Duration.hours(retention.STREAM_RETENTION_HOURS),
        Duration.hours(48),
        _cfn_one("AWS::Kinesis::Stream", "RetentionPeriodHours"),
        48,
    ),
    Case(
        "DeadLetterQueue",
        "retention_period",
        Duration.seconds(retention.DEAD_LETTER_RETENTION_SECONDS),
        Duration.days(4),
        _cfn_one("AWS::SQS::Queue", "MessageRetentionPeriod"),
        4 * 86_400,
    ),
    Case(
        "SecureQueue",
        "queue_name",
        naming.resource_name("sqs_queue", "built", "t1"),
        "video-jobs",
        _cfn_work_queue_name,
        "video-jobs",
    ),
    Case(
        "EncryptionKey",
        "enable_key_rotation",
        encryption.KEY_ROTATION_ENABLED,
        False,
        _cfn_one("AWS::KMS::Key", "EnableKeyRotation"),
        False,
    ),
    Case(
        "EncryptedLogGroup",
        "retention_days",
        retention.LOG_RETENTION_DAYS["application"],
        30,
        _cfn_one("AWS::Logs::LogGroup", "RetentionInDays"),
        30,
    ),
    Case(
        "AuroraServerlessCluster",
        "storage_encrypted",
        compute.DATABASE_STORAGE_ENCRYPTED,
        False,
        _cfn_one("AWS::RDS::DBCluster", "StorageEncrypted"),
        False,
    ),
    Case(
        "AuroraServerlessCluster",
        "engine_version",
        AURORA_VERSION,
        "16.6",
        _cfn_one("AWS::RDS::DBCluster", "EngineVersion"),
        "16.6",
    ),
    Case(
        "AuroraServerlessCluster",
        "instance_props.publicly_accessible",
        compute.DATABASE_PUBLICLY_ACCESSIBLE,
        True,
        _cfn_one("AWS::RDS::DBInstance", "PubliclyAccessible"),
        True,
    ),
    Case(
        "PostgresInstance",
        "publicly_accessible",
        compute.DATABASE_PUBLICLY_ACCESSIBLE,
        True,
        _cfn_one("AWS::RDS::DBInstance", "PubliclyAccessible"),
        True,
    ),
    Case(
        "PostgresInstance",
        "enable_iam_database_authentication",
        compute.DATABASE_IAM_AUTHENTICATION,
        False,
        _cfn_one("AWS::RDS::DBInstance", "EnableIAMDatabaseAuthentication"),
        False,
    ),
    Case(
        "RedisReplicationGroup",
        "transit_encryption_enabled",
        True,
        False,
        _cfn_one("AWS::ElastiCache::ReplicationGroup", "TransitEncryptionEnabled"),
        False,
    ),
    Case(
        "AlarmTopic",
        "signature_version",
        storage.TOPIC_SIGNATURE_VERSION,
        "1",
        _cfn_one("AWS::SNS::Topic", "SignatureVersion"),
        "1",
    ),
    Case("Network", "nat_gateways", 1, 2, _count("AWS::EC2::NatGateway"), 2),
    Case(
        "NetworkFirewall",
        "subnet_change_protection",
        network_firewall.SUBNET_CHANGE_PROTECTION,
        False,
        _cfn_one("AWS::NetworkFirewall::Firewall", "SubnetChangeProtection"),
        False,
    ),
    Case(
        "SecureFunction",
        "memory_size",
        services.LAMBDA_MEMORY_MB,
        512,
        lambda template: next(
            p["MemorySize"] for p in _cfn(template, "AWS::Lambda::Function") if p.get("Handler") == "app.handler"
        ),
        512,
    ),
    Case(
        "StreamConsumerFunction",
        "batch_size",
        services.STREAM_BATCH_SIZE,
        500,
        _cfn_one("AWS::Lambda::EventSourceMapping", "BatchSize"),
        500,
    ),
    Case(
        "ImageRepository",
        "image_scan_on_push",
        compute.IMAGE_SCAN_ON_PUSH,
        False,
        _cfn_one("AWS::ECR::Repository", "ImageScanningConfiguration"),
        {"ScanOnPush": False},
    ),
    Case(
        "QueueDepthScaling",
        "max_capacity",
        profiles.profile_named(CONTEXT["profile"]).processing_max_tasks,
        4,
        _cfn_one("AWS::ApplicationAutoScaling::ScalableTarget", "MaxCapacity"),
        4,
    ),
)

TF_CASES: tuple[Case, ...] = (
    Case("SecureBucket", "force_destroy", True, False, _tf_bucket_force_destroy("data"), False),
    Case("AccessLogBucket", "force_destroy", True, False, _tf_bucket_force_destroy("logs"), False),
    Case(
        "KinesisDataStream",
        "retention_period",
        retention.STREAM_RETENTION_HOURS,
        48,
        _tf_one("aws_kinesis_stream", "retention_period"),
        48,
    ),
    Case(
        "DeadLetterQueue",
        "message_retention_seconds",
        retention.DEAD_LETTER_RETENTION_SECONDS,
        4 * 86_400,
        _tf_one("aws_sqs_queue", "message_retention_seconds"),
        4 * 86_400,
    ),
    Case(
        "SecureQueue",
        "name",
        naming.resource_name("sqs_queue", "built", "t1"),
        "video-jobs",
        _tf_work_queue_name,
        "video-jobs",
    ),
    Case(
        "EncryptionKey",
        "enable_key_rotation",
        encryption.KEY_ROTATION_ENABLED,
        False,
        _tf_one("aws_kms_key", "enable_key_rotation"),
        False,
    ),
    Case(
        "EncryptedLogGroup",
        "retention_in_days",
        retention.LOG_RETENTION_DAYS["application"],
        30,
        _tf_one("aws_cloudwatch_log_group", "retention_in_days"),
        30,
    ),
    Case(
        "AuroraServerlessCluster",
        "storage_encrypted",
        compute.DATABASE_STORAGE_ENCRYPTED,
        False,
        _tf_one("aws_rds_cluster", "storage_encrypted"),
        False,
    ),
    Case(
        "AuroraServerlessCluster",
        "engine_version",
        AURORA_VERSION,
        "16.6",
        _tf_one("aws_rds_cluster", "engine_version"),
        "16.6",
    ),
    Case(
        "AuroraServerlessCluster",
        "instance_props.publicly_accessible",
        compute.DATABASE_PUBLICLY_ACCESSIBLE,
        True,
        _tf_one("aws_rds_cluster_instance", "publicly_accessible"),
        True,
    ),
    Case(
        "PostgresInstance",
        "publicly_accessible",
        compute.DATABASE_PUBLICLY_ACCESSIBLE,
        True,
        _tf_one("aws_db_instance", "publicly_accessible"),
        True,
    ),
    Case(
        "PostgresInstance",
        "iam_database_authentication_enabled",
        compute.DATABASE_IAM_AUTHENTICATION,
        False,
        _tf_one("aws_db_instance", "iam_database_authentication_enabled"),
        False,
    ),
    Case(
        "PostgresInstance",
        "engine_version",
        POSTGRES_VERSION,
        "16.8",
        _tf_one("aws_db_instance", "engine_version"),
        "16.8",
    ),
    Case(
        "RedisReplicationGroup",
        "transit_encryption_enabled",
        True,
        False,
        _tf_one("aws_elasticache_replication_group", "transit_encryption_enabled"),
        False,
    ),
    Case(
        "RedisReplicationGroup",
        "engine_version",
        REDIS_VERSION,
        "7.0",
        _tf_one("aws_elasticache_replication_group", "engine_version"),
        "7.0",
    ),
    Case(
        "AlarmTopic",
        "signature_version",
        int(storage.TOPIC_SIGNATURE_VERSION),
        1,
        _tf_one("aws_sns_topic", "signature_version"),
        1,
    ),
    Case("Network", "nat_gateways", 1, 2, _count("aws_nat_gateway"), 2),
    Case("Network", "enable_dns_hostnames", True, False, _tf_one("aws_vpc", "enable_dns_hostnames"), False),
    Case(
        "NetworkFirewall",
        "subnet_change_protection",
        network_firewall.SUBNET_CHANGE_PROTECTION,
        False,
        _tf_one("aws_networkfirewall_firewall", "subnet_change_protection"),
        False,
    ),
    Case(
        "SecureFunction",
        "memory_size",
        services.LAMBDA_MEMORY_MB,
        512,
        _tf_one("aws_lambda_function", "memory_size"),
        512,
    ),
    Case(
        "StreamConsumerFunction",
        "batch_size",
        services.STREAM_BATCH_SIZE,
        500,
        _tf_one("aws_lambda_event_source_mapping", "batch_size"),
        500,
    ),
    Case(
        "ImageRepository",
        "image_tag_mutability",
        compute.IMAGE_TAG_MUTABILITY,
        "MUTABLE",
        _tf_one("aws_ecr_repository", "image_tag_mutability"),
        "MUTABLE",
    ),
    Case(
        "QueueDepthScaling",
        "max_capacity",
        profiles.profile_named(CONTEXT["profile"]).processing_max_tasks,
        4,
        _tf_one("aws_appautoscaling_target", "max_capacity"),
        4,
    ),
)


# --- building each case ------------------------------------------------------------------------------------------


def _cdk_construct(stack: cdk.Stack, construct: str, overrides: dict[str, Any]) -> IConstruct:
    from aws_cdk import aws_lambda as lambda_

    from constructs_lib.cdk.alarm_topic import AlarmTopic
    from constructs_lib.cdk.aurora_cluster import AuroraServerlessCluster
    from constructs_lib.cdk.container_cluster import ImageRepository
    from constructs_lib.cdk.encryption_key import EncryptionKey
    from constructs_lib.cdk.kinesis_stream import KinesisDataStream
    from constructs_lib.cdk.log_group import EncryptedLogGroup
    from constructs_lib.cdk.network import Network
    from constructs_lib.cdk.network_firewall import NetworkFirewall
    from constructs_lib.cdk.postgres_instance import PostgresInstance
    from constructs_lib.cdk.redis_cluster import RedisReplicationGroup
    from constructs_lib.cdk.secure_bucket import AccessLogBucket, SecureBucket
    from constructs_lib.cdk.secure_function import SecureFunction
    from constructs_lib.cdk.secure_queue import DeadLetterQueue, SecureQueue
    from constructs_lib.cdk.stream_consumer import StreamConsumerFunction

    code = lambda_.Code.from_asset(str(HANDLER_DIR))
    if construct == "SecureFunction":
        return SecureFunction(stack, "Built", code=code, handler="app.handler", **overrides)
    if construct == "StreamConsumerFunction":
        source = KinesisDataStream(stack, "Source")
        return StreamConsumerFunction(
            stack, "Built", stream=source, code=code, handler="app.handler", event_source_overrides=overrides
        )
    if construct == "NetworkFirewall":
        return NetworkFirewall(stack, "Built", network=Network(stack, "Net"), **overrides)
    if construct == "QueueDepthScaling":
        return _cdk_queue_depth_scaling(stack, overrides)
    classes: dict[str, type] = {
        "SecureBucket": SecureBucket,
        "AccessLogBucket": AccessLogBucket,
        "KinesisDataStream": KinesisDataStream,
        "DeadLetterQueue": DeadLetterQueue,
        "SecureQueue": SecureQueue,
        "EncryptionKey": EncryptionKey,
        "EncryptedLogGroup": EncryptedLogGroup,
        "AuroraServerlessCluster": AuroraServerlessCluster,
        "AlarmTopic": AlarmTopic,
        "Network": Network,
        "PostgresInstance": PostgresInstance,
        "RedisReplicationGroup": RedisReplicationGroup,
        "ImageRepository": ImageRepository,
    }
    return classes[construct](stack, "Built", **overrides)


def _cdk_queue_depth_scaling(stack: cdk.Stack, overrides: dict[str, Any]) -> IConstruct:
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_sqs as sqs

    from constructs_lib.cdk.container_cluster import ContainerCluster, QueueDepthScaling

    cluster = ContainerCluster(stack, "Cluster")
    tasks = ec2.SecurityGroup(stack, "Tasks", vpc=cluster.vpc)
    service = cluster.add_processing_service("Service", cluster.add_processing_task("Task"), security_groups=[tasks])
    return QueueDepthScaling(stack, "Built", service=service, queue=sqs.Queue(stack, "Jobs"), **overrides)


def _tf_construct(stack: cdktf.TerraformStack, construct: str, overrides: dict[str, Any]) -> IConstruct:
    from constructs_lib.cdktf.alarm_topic import AlarmTopic
    from constructs_lib.cdktf.aurora_cluster import AuroraServerlessCluster
    from constructs_lib.cdktf.container_cluster import ImageRepository
    from constructs_lib.cdktf.encryption_key import EncryptionKey
    from constructs_lib.cdktf.kinesis_stream import KinesisDataStream
    from constructs_lib.cdktf.log_group import EncryptedLogGroup
    from constructs_lib.cdktf.network import Network
    from constructs_lib.cdktf.network_firewall import NetworkFirewall
    from constructs_lib.cdktf.postgres_instance import PostgresInstance
    from constructs_lib.cdktf.redis_cluster import RedisReplicationGroup
    from constructs_lib.cdktf.secure_bucket import AccessLogBucket, SecureBucket
    from constructs_lib.cdktf.secure_function import SecureFunction
    from constructs_lib.cdktf.secure_queue import DeadLetterQueue, SecureQueue
    from constructs_lib.cdktf.stream_consumer import StreamConsumerFunction

    if construct == "SecureFunction":
        return SecureFunction(stack, "built", code_path=str(HANDLER_DIR), handler="app.handler", **overrides)
    if construct == "StreamConsumerFunction":
        source = KinesisDataStream(stack, "source")
        return StreamConsumerFunction(
            stack,
            "built",
            stream=source,
            code_path=str(HANDLER_DIR),
            handler="app.handler",
            event_source_overrides=overrides,
        )
    if construct == "NetworkFirewall":
        network = Network(stack, "net", public_default_route=False)
        return NetworkFirewall(stack, "built", network=network, **overrides)
    if construct == "QueueDepthScaling":
        return _tf_queue_depth_scaling(stack, overrides)
    classes: dict[str, type] = {
        "SecureBucket": SecureBucket,
        "AccessLogBucket": AccessLogBucket,
        "KinesisDataStream": KinesisDataStream,
        "DeadLetterQueue": DeadLetterQueue,
        "SecureQueue": SecureQueue,
        "EncryptionKey": EncryptionKey,
        "EncryptedLogGroup": EncryptedLogGroup,
        "AuroraServerlessCluster": AuroraServerlessCluster,
        "AlarmTopic": AlarmTopic,
        "Network": Network,
        "PostgresInstance": PostgresInstance,
        "RedisReplicationGroup": RedisReplicationGroup,
        "ImageRepository": ImageRepository,
    }
    name_prefix = {"SecureBucket": "data", "AccessLogBucket": "logs"}.get(construct)
    extra = {"name_prefix": name_prefix} if name_prefix else {}
    return classes[construct](stack, "built", **extra, **overrides)


def _tf_queue_depth_scaling(stack: cdktf.TerraformStack, overrides: dict[str, Any]) -> IConstruct:
    from constructs_lib.cdktf.container_cluster import ContainerCluster, FargateTask, QueueDepthScaling

    cluster = ContainerCluster(stack, "cluster")
    service = cluster.add_processing_service(
        "service", FargateTask(stack, "task"), security_group_ids=["sg-0"], subnet_ids=["subnet-0"]
    )
    return QueueDepthScaling(stack, "built", cluster=cluster, service=service, queue_name="jobs", **overrides)


def _warnings(construct: IConstruct, kind: str) -> list[str]:
    return [str(entry.data) for entry in construct.node.metadata if entry.type == kind]


def _expected_warning(case: Case) -> str:
    return f"'{case.prop}' overrides the hardened default {describe(case.default)} with {describe(case.value)}"


def test_every_construct_is_covered_in_both_renderings() -> None:
    assert len({case.construct for case in CDK_CASES}) == 17
    assert len({case.construct for case in TF_CASES}) == 17


@pytest.mark.parametrize("case", CDK_CASES, ids=lambda case: case.id)
def test_cdk_override_is_applied_and_warned(case: Case) -> None:
    stack = cdk.Stack(cdk.App(context=CONTEXT), "Overrides")
    built = _cdk_construct(stack, case.construct, case.arguments)
    template = Template.from_stack(stack).to_json()
    assert case.read(template) == case.expected
    (warning,) = [w for w in _warnings(built, "aws:cdk:warning") if f"'{case.prop}'" in w]
    assert _expected_warning(case) in warning


@pytest.mark.parametrize("case", TF_CASES, ids=lambda case: case.id)
def test_cdktf_override_is_applied_and_warned(case: Case) -> None:
    stack = cdktf.TerraformStack(cdktf.Testing.app(context=CONTEXT), "overrides")
    built = _tf_construct(stack, case.construct, case.arguments)
    configuration = json.loads(cdktf.Testing.synth(stack))
    assert case.read(configuration) == case.expected
    (warning,) = [w for w in _warnings(built, "@cdktf/warn") if f"'{case.prop}'" in w]
    assert _expected_warning(case) in warning


def test_cdktf_key_policy_is_not_an_override_and_says_how_to_add_to_it() -> None:
    from constructs_lib.cdktf.encryption_key import EncryptionKey
    from constructs_lib.policy import ConfigurationError

    stack = cdktf.TerraformStack(cdktf.Testing.app(context=CONTEXT), "overrides")
    with pytest.raises(ConfigurationError) as error:
        EncryptionKey(stack, "key", policy="{}")
    assert error.value.field == "policy" and "add_statement" in error.value.allowed
