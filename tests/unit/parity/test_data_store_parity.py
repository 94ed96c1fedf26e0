"""The CDK and cdktf PostgresInstance and RedisReplicationGroup render the same hardened controls in each profile."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import cdktf
import pytest
from aws_cdk.assertions import Template

PROFILES = ("dev", "prod")

#: CloudFormation property of AWS::RDS::DBInstance -> argument of aws_db_instance, for every control compared.
POSTGRES_FIELDS = {
    "Engine": "engine",
    "EngineVersion": "engine_version",
    "DBInstanceClass": "instance_class",
    "DBName": "db_name",
    "MasterUsername": "username",
    "Port": "port",
    "AllocatedStorage": "allocated_storage",
    "MaxAllocatedStorage": "max_allocated_storage",
    "StorageType": "storage_type",
    "StorageEncrypted": "storage_encrypted",
    "ManageMasterUserPassword": "manage_master_user_password",
    "CACertificateIdentifier": "ca_cert_identifier",
    "BackupRetentionPeriod": "backup_retention_period",
    "CopyTagsToSnapshot": "copy_tags_to_snapshot",
    "DeleteAutomatedBackups": "delete_automated_backups",
    "EnableCloudwatchLogsExports": "enabled_cloudwatch_logs_exports",
    "MonitoringInterval": "monitoring_interval",
    "EnablePerformanceInsights": "performance_insights_enabled",
    "PerformanceInsightsRetentionPeriod": "performance_insights_retention_period",
    "AutoMinorVersionUpgrade": "auto_minor_version_upgrade",
    "PubliclyAccessible": "publicly_accessible",
    "EnableIAMDatabaseAuthentication": "iam_database_authentication_enabled",
    "MultiAZ": "multi_az",
    "DeletionProtection": "deletion_protection",
}
#: The same for AWS::ElastiCache::ReplicationGroup -> aws_elasticache_replication_group.
REDIS_FIELDS = {
    "Engine": "engine",
    "EngineVersion": "engine_version",
    "CacheNodeType": "node_type",
    "Port": "port",
    "NumCacheClusters": "num_cache_clusters",
    "AutomaticFailoverEnabled": "automatic_failover_enabled",
    "MultiAZEnabled": "multi_az_enabled",
    "TransitEncryptionEnabled": "transit_encryption_enabled",
    "TransitEncryptionMode": "transit_encryption_mode",
    "AtRestEncryptionEnabled": "at_rest_encryption_enabled",
    "SnapshotRetentionLimit": "snapshot_retention_limit",
    "AutoMinorVersionUpgrade": "auto_minor_version_upgrade",
}


def _plain(value: Any) -> str:
    """Compare across renderings: CloudFormation writes some numbers as strings, the provider some booleans."""
    return json.dumps(value).strip('"').lower()


def _one(found: dict[str, Any]) -> dict[str, Any]:
    assert len(found) == 1, list(found)
    return next(iter(found.values()))


def _cdk_subnet_tiers(template: Template, group_type: str) -> list[str]:
    """Subnet-group names (``aws-cdk:subnet-name``) of the subnets in the template's one subnet group of a type."""
    resources = template.to_json()["Resources"]
    ids = _one(template.find_resources(group_type))["Properties"]["SubnetIds"]
    tags = [tag for i in ids for tag in resources[i["Ref"]]["Properties"]["Tags"]]
    return sorted({tag["Value"] for tag in tags if tag["Key"] == "aws-cdk:subnet-name"})


def _tf_subnet_tiers(tf: dict[str, Any], group_type: str) -> list[str]:
    """``Tier`` tags of the subnets in the configuration's one subnet group of a type."""
    subnets = tf["resource"]["aws_subnet"]
    ids = _one(tf["resource"][group_type])["subnet_ids"]
    return sorted({subnets[i.removeprefix("${aws_subnet.").removesuffix(".id}")]["tags"]["Tier"] for i in ids})


@pytest.fixture(scope="module")
def renderings() -> dict[str, dict[str, dict[str, Any]]]:
    """Per profile, each store's resource in each rendering, all built with no arguments."""
    from constructs_lib.cdk.postgres_instance import PostgresInstance as CdkPostgres
    from constructs_lib.cdk.redis_cluster import RedisReplicationGroup as CdkRedis
    from constructs_lib.cdktf.postgres_instance import PostgresInstance
    from constructs_lib.cdktf.redis_cluster import RedisReplicationGroup

    result = {}
    for profile in PROFILES:
        context = {"profile": profile, "environmentSuffix": "t1"}
        stack = cdk.Stack(cdk.App(context=context), "Stores")
        CdkPostgres(stack, "Db")
        CdkRedis(stack, "Cache")
        template = Template.from_stack(stack)
        tf_stack = cdktf.TerraformStack(cdktf.Testing.app(context=context), "stores")
        PostgresInstance(tf_stack, "db")
        RedisReplicationGroup(tf_stack, "cache")
        tf = json.loads(cdktf.Testing.synth(tf_stack))
        result[profile] = {
            "cdk_postgres": _one(template.find_resources("AWS::RDS::DBInstance"))["Properties"],
            "cdk_parameters": _one(template.find_resources("AWS::RDS::DBParameterGroup"))["Properties"],
            "cdk_redis": _one(template.find_resources("AWS::ElastiCache::ReplicationGroup"))["Properties"],
            "tf_postgres": _one(tf["resource"]["aws_db_instance"]),
            "tf_parameters": _one(tf["resource"]["aws_db_parameter_group"]),
            "tf_redis": _one(tf["resource"]["aws_elasticache_replication_group"]),
            "cdk_subnet_tiers": {
                "postgres": _cdk_subnet_tiers(template, "AWS::RDS::DBSubnetGroup"),
                "redis": _cdk_subnet_tiers(template, "AWS::ElastiCache::SubnetGroup"),
            },
            "tf_subnet_tiers": {
                "postgres": _tf_subnet_tiers(tf, "aws_db_subnet_group"),
                "redis": _tf_subnet_tiers(tf, "aws_elasticache_subnet_group"),
            },
        }
    return result


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("cfn", "tf"), POSTGRES_FIELDS.items())
def test_postgres_twins_render_the_same_control(renderings, profile: str, cfn: str, tf: str) -> None:
    rendered = renderings[profile]
    assert _plain(rendered["cdk_postgres"].get(cfn)) == _plain(rendered["tf_postgres"].get(tf))


@pytest.mark.parametrize("profile", PROFILES)
def test_postgres_twins_set_the_same_database_parameters(renderings, profile: str) -> None:
    rendered = renderings[profile]
    tf_parameters = {p["name"]: p["value"] for p in rendered["tf_parameters"]["parameter"]}
    assert rendered["cdk_parameters"]["Parameters"] == tf_parameters
    assert rendered["cdk_parameters"]["Family"] == rendered["tf_parameters"]["family"]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("cfn", "tf"), REDIS_FIELDS.items())
def test_redis_twins_render_the_same_control(renderings, profile: str, cfn: str, tf: str) -> None:
    rendered = renderings[profile]
    assert _plain(rendered["cdk_redis"].get(cfn)) == _plain(rendered["tf_redis"].get(tf))


@pytest.mark.parametrize("profile", PROFILES)
def test_redis_twins_deliver_the_same_logs(renderings, profile: str) -> None:
    rendered = renderings[profile]
    cdk_logs = {(d["LogType"], d["LogFormat"]) for d in rendered["cdk_redis"]["LogDeliveryConfigurations"]}
    tf_logs = {(d["log_type"], d["log_format"]) for d in rendered["tf_redis"]["log_delivery_configuration"]}
    assert cdk_logs == tf_logs and len(tf_logs) == 2


@pytest.mark.parametrize("profile", PROFILES)
def test_both_twins_place_their_stores_in_the_isolated_subnets_only(renderings, profile: str) -> None:
    rendered = renderings[profile]
    assert (
        rendered["cdk_subnet_tiers"] == rendered["tf_subnet_tiers"] == {"postgres": ["isolated"], "redis": ["isolated"]}
    )
