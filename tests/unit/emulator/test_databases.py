"""RDS and ElastiCache additions: instance identity, managed secrets, the DBInstance properties CloudFormation sets,
Aurora clusters and their parameter groups, Redis replication groups with member nodes, final snapshots."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_templates import get_att, key, network, ref

from tests.unit.local_aws import Account

ENGINE_VERSION = "17.9"


def subnet_group() -> dict[str, Any]:
    return {
        "Type": "AWS::RDS::DBSubnetGroup",
        "Properties": {"DBSubnetGroupDescription": "isolated", "SubnetIds": [ref("Subnet0"), ref("Subnet1")]},
    }


def instance(**overrides: Any) -> dict[str, Any]:
    """A PostgreSQL instance as the stacks declare it (CloudFormation types: Port and storage as strings)."""
    properties: dict[str, Any] = {
        "DBInstanceIdentifier": "records",
        "Engine": "postgres",
        "EngineVersion": ENGINE_VERSION,
        "DBInstanceClass": "db.t4g.micro",
        "AllocatedStorage": "20",
        "MaxAllocatedStorage": 100,
        "StorageType": "gp3",
        "StorageEncrypted": True,
        "KmsKeyId": get_att("Key", "Arn"),
        "Port": "5432",
        "DBName": "appdb",
        "MasterUsername": "records_admin",
        "ManageMasterUserPassword": True,
        "MasterUserSecret": {"KmsKeyId": get_att("Key", "Arn")},
        "DBSubnetGroupName": ref("SubnetGroup"),
        "DBParameterGroupName": ref("Parameters"),
        "MultiAZ": True,
        "EnableIAMDatabaseAuthentication": True,
        "EnablePerformanceInsights": True,
        "PerformanceInsightsKMSKeyId": get_att("Key", "Arn"),
        "PerformanceInsightsRetentionPeriod": 7,
        "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
        "DeletionProtection": False,
        "CACertificateIdentifier": "rds-ca-rsa2048-g1",
        "PubliclyAccessible": False,
    }
    properties.update(overrides)
    return {"Type": "AWS::RDS::DBInstance", "Properties": properties}


def postgres_stack(**overrides: Any) -> dict[str, Any]:
    resources = network()
    resources.update(
        {
            "Key": key(),
            "SubnetGroup": subnet_group(),
            "Parameters": {
                "Type": "AWS::RDS::DBParameterGroup",
                "Properties": {"Family": "postgres17", "Description": "tls", "Parameters": {"rds.force_ssl": "1"}},
            },
            "Db": instance(**overrides),
        }
    )
    return resources


# --- RDS instances -------------------------------------------------------------------------------------------------


def test_every_db_instance_gets_its_own_resource_id(aws: Account) -> None:
    rds = aws.client("rds")
    for name in ("first", "second"):
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t4g.micro")
    ids = [db["DbiResourceId"] for db in rds.describe_db_instances()["DBInstances"]]
    assert len(set(ids)) == 2


def test_api_created_instance_reports_performance_insights_and_a_standby_zone(aws: Account) -> None:
    rds = aws.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="insights",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        MultiAZ=True,
        EnablePerformanceInsights=True,
        PerformanceInsightsKMSKeyId="alias/insights",
    )
    rds.create_db_instance(DBInstanceIdentifier="plain", Engine="postgres", DBInstanceClass="db.t4g.micro")
    found = {db["DBInstanceIdentifier"]: db for db in rds.describe_db_instances()["DBInstances"]}
    assert found["insights"]["PerformanceInsightsEnabled"] is True
    assert found["insights"]["PerformanceInsightsKMSKeyId"] == "alias/insights"
    assert found["insights"]["PerformanceInsightsRetentionPeriod"] == 7
    assert found["insights"]["SecondaryAvailabilityZone"] not in (None, found["insights"]["AvailabilityZone"])
    assert found["plain"]["PerformanceInsightsEnabled"] is False
    assert "SecondaryAvailabilityZone" not in found["plain"]


def test_rds_managed_secret_holds_the_master_username_and_a_fresh_password(aws: Account) -> None:
    rds, secrets = aws.client("rds"), aws.client("secretsmanager")
    values = []
    for name in ("one", "two"):
        db = rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="postgres",
            DBInstanceClass="db.t4g.micro",
            MasterUsername=f"{name}_owner",
            ManageMasterUserPassword=True,
        )["DBInstance"]
        values.append(
            json.loads(secrets.get_secret_value(SecretId=db["MasterUserSecret"]["SecretArn"])["SecretString"])
        )
    assert [value["username"] for value in values] == ["one_owner", "two_owner"]
    assert values[0]["password"] != values[1]["password"]
    assert len(values[0]["password"]) >= 32


def test_db_instance_template_properties_reach_the_instance(aws: Account) -> None:
    stack = aws.create_stack(
        "postgres",
        postgres_stack(),
        {
            "SecretArn": get_att("Db", "MasterUserSecret.SecretArn"),
            "Address": get_att("Db", "Endpoint.Address"),
            "Port": get_att("Db", "Endpoint.Port"),
            "ResourceId": get_att("Db", "DbiResourceId"),
            "Arn": get_att("Db", "DBInstanceArn"),
            "KeyArn": get_att("Key", "Arn"),
        },
    )
    out = stack["out"]
    db = aws.client("rds").describe_db_instances(DBInstanceIdentifier="records")["DBInstances"][0]
    assert (db["Engine"], db["EngineVersion"], db["Endpoint"]["Port"], out["Port"]) == (
        "postgres",
        ENGINE_VERSION,
        5432,
        "5432",
    )
    assert (db["MultiAZ"], db["StorageEncrypted"], db["KmsKeyId"]) == (True, True, out["KeyArn"])
    assert (db["AllocatedStorage"], db["MaxAllocatedStorage"], db["StorageType"]) == (20, 100, "gp3")
    assert db["IAMDatabaseAuthenticationEnabled"] is True
    assert (db["PerformanceInsightsEnabled"], db["PerformanceInsightsKMSKeyId"]) == (True, out["KeyArn"])
    assert sorted(db["EnabledCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    assert (db["MasterUserSecret"]["SecretArn"], db["MasterUserSecret"]["KmsKeyId"]) == (
        out["SecretArn"],
        out["KeyArn"],
    )
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] and db["DBParameterGroups"][0]["DBParameterGroupName"] != "default"
    assert (out["Address"], out["ResourceId"], out["Arn"]) == (
        db["Endpoint"]["Address"],
        db["DbiResourceId"],
        db["DBInstanceArn"],
    )
    secret = json.loads(aws.client("secretsmanager").get_secret_value(SecretId=out["SecretArn"])["SecretString"])
    assert secret["username"] == "records_admin"


def test_db_instance_snapshot_policy_takes_a_final_snapshot(aws: Account) -> None:
    resources = postgres_stack()
    resources["Db"]["DeletionPolicy"] = "Snapshot"
    aws.create_stack("snapshot", resources)
    assert aws.delete_stack("snapshot") == "DELETE_COMPLETE"
    snapshots = aws.client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert [snapshot["DBInstanceIdentifier"] for snapshot in snapshots] == ["records"]
    assert aws.client("rds").describe_db_instances()["DBInstances"] == []


def test_db_instance_delete_policy_leaves_no_snapshot(aws: Account) -> None:
    aws.create_stack("no-snapshot", postgres_stack())
    assert aws.delete_stack("no-snapshot") == "DELETE_COMPLETE"
    assert aws.client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"] == []


def test_read_replica_instances_are_created_from_their_source(aws: Account) -> None:
    resources = postgres_stack()
    resources["Replica"] = {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {"SourceDBInstanceIdentifier": ref("Db"), "DBInstanceClass": "db.t4g.micro"},
    }
    aws.create_stack("replica", resources)
    found = {db["DBInstanceIdentifier"]: db for db in aws.client("rds").describe_db_instances()["DBInstances"]}
    replica = next(db for name, db in found.items() if name != "records")
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == "records"


def test_an_unknown_db_instance_attribute_is_a_template_error(aws: Account) -> None:
    with pytest.raises(ClientError, match="does not support attribute type NoSuchAttribute"):
        aws.create_stack("bad-attribute", postgres_stack(), {"Nope": get_att("Db", "NoSuchAttribute")})


# --- Aurora --------------------------------------------------------------------------------------------------------


def aurora_stack(deletion_policy: str = "Delete") -> dict[str, Any]:
    resources = network()
    resources.update(
        {
            "Key": key(),
            "SubnetGroup": subnet_group(),
            "ClusterParameters": {
                "Type": "AWS::RDS::DBClusterParameterGroup",
                "Properties": {
                    "Family": "aurora-postgresql17",
                    "Description": "tls only",
                    "Parameters": {"rds.force_ssl": "1", "log_connections": 1},
                },
            },
            "Cluster": {
                "Type": "AWS::RDS::DBCluster",
                "DeletionPolicy": deletion_policy,
                "Properties": {
                    "DBClusterIdentifier": "Metadata",
                    "Engine": "aurora-postgresql",
                    "EngineVersion": ENGINE_VERSION,
                    "DatabaseName": "appdb",
                    "Port": 5432,
                    "MasterUsername": "cluster_admin",
                    "ManageMasterUserPassword": True,
                    "MasterUserSecret": {"KmsKeyId": get_att("Key", "Arn")},
                    "StorageEncrypted": True,
                    "KmsKeyId": get_att("Key", "Arn"),
                    "DBSubnetGroupName": ref("SubnetGroup"),
                    "DBClusterParameterGroupName": ref("ClusterParameters"),
                    "BackupRetentionPeriod": 30,
                    "EnableIAMDatabaseAuthentication": True,
                    "EnableCloudwatchLogsExports": ["postgresql"],
                    "DeletionProtection": False,
                    "ServerlessV2ScalingConfiguration": {
                        "MinCapacity": 0,
                        "MaxCapacity": 2,
                        "SecondsUntilAutoPause": 300,
                    },
                },
            },
            "Writer": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "DBClusterIdentifier": ref("Cluster"),
                    "DBInstanceClass": "db.serverless",
                    "Engine": "aurora-postgresql",
                    "PromotionTier": 0,
                    "EnablePerformanceInsights": True,
                    "PerformanceInsightsKMSKeyId": get_att("Key", "Arn"),
                },
            },
        }
    )
    return resources


AURORA_OUTPUTS = {
    "Id": ref("Cluster"),
    "Endpoint": get_att("Cluster", "Endpoint.Address"),
    "Port": get_att("Cluster", "Endpoint.Port"),
    "Reader": get_att("Cluster", "ReadEndpoint.Address"),
    "SecretArn": get_att("Cluster", "MasterUserSecret.SecretArn"),
    "Arn": get_att("Cluster", "DBClusterArn"),
    "ResourceId": get_att("Cluster", "DBClusterResourceId"),
    "ParameterGroup": ref("ClusterParameters"),
    "KeyArn": get_att("Key", "Arn"),
}


def test_aurora_cluster_template_creates_the_cluster_with_its_writer(aws: Account) -> None:
    out = aws.create_stack("aurora", aurora_stack(), AURORA_OUTPUTS)["out"]
    cluster = aws.client("rds").describe_db_clusters(DBClusterIdentifier=out["Id"])["DBClusters"][0]
    assert out["Id"] == "metadata"
    assert (cluster["Endpoint"], cluster["ReaderEndpoint"], out["Port"]) == (out["Endpoint"], out["Reader"], "5432")
    assert cluster["ServerlessV2ScalingConfiguration"] == {
        "MinCapacity": 0.0,
        "MaxCapacity": 2.0,
        "SecondsUntilAutoPause": 300,
    }
    assert "ScalingConfigurationInfo" not in cluster
    assert (cluster["StorageEncrypted"], cluster["KmsKeyId"]) == (True, out["KeyArn"])
    assert (cluster["BackupRetentionPeriod"], cluster["IAMDatabaseAuthenticationEnabled"]) == (30, True)
    assert cluster["MasterUserSecret"]["SecretArn"] == out["SecretArn"]
    assert (cluster["DBClusterArn"], cluster["DbClusterResourceId"]) == (out["Arn"], out["ResourceId"])
    assert [member["IsClusterWriter"] for member in cluster["DBClusterMembers"]] == [True]
    secret = json.loads(aws.client("secretsmanager").get_secret_value(SecretId=out["SecretArn"])["SecretString"])
    assert secret["username"] == "cluster_admin"


def test_aurora_cluster_parameter_group_holds_its_parameters(aws: Account) -> None:
    out = aws.create_stack("aurora-parameters", aurora_stack(), AURORA_OUTPUTS)["out"]
    parameters = aws.client("rds").describe_db_cluster_parameters(DBClusterParameterGroupName=out["ParameterGroup"])
    values = {item["ParameterName"]: item["ParameterValue"] for item in parameters["Parameters"]}
    assert values == {"rds.force_ssl": "1", "log_connections": "1"}


def test_aurora_stack_delete_removes_cluster_instances_groups_and_automated_snapshots(aws: Account) -> None:
    aws.create_stack("aurora-delete", aurora_stack(), AURORA_OUTPUTS)
    assert aws.delete_stack("aurora-delete") == "DELETE_COMPLETE"
    rds = aws.client("rds")
    assert rds.describe_db_clusters()["DBClusters"] == []
    assert rds.describe_db_instances()["DBInstances"] == []
    assert rds.describe_db_cluster_snapshots()["DBClusterSnapshots"] == []
    assert [
        g
        for g in rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]
        if "aurora-delete" in g["DBClusterParameterGroupName"]
    ] == []


def test_aurora_snapshot_policy_keeps_a_final_cluster_snapshot(aws: Account) -> None:
    aws.create_stack("aurora-snapshot", aurora_stack("Snapshot"), AURORA_OUTPUTS)
    assert aws.delete_stack("aurora-snapshot") == "DELETE_COMPLETE"
    snapshots = aws.client("rds").describe_db_cluster_snapshots()["DBClusterSnapshots"]
    assert [(s["DBClusterIdentifier"], s["SnapshotType"]) for s in snapshots] == [("metadata", "manual")]


def test_an_api_cluster_with_serverless_v2_reports_no_v1_scaling_block(aws: Account) -> None:
    rds = aws.client("rds")
    rds.create_db_cluster(
        DBClusterIdentifier="api",
        Engine="aurora-postgresql",
        MasterUsername="owner",
        ManageMasterUserPassword=True,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 4},
    )
    rds.create_db_cluster(
        DBClusterIdentifier="v1",
        Engine="aurora-postgresql",
        EngineMode="serverless",
        MasterUsername="owner",
        ManageMasterUserPassword=True,
    )
    found = {cluster["DBClusterIdentifier"]: cluster for cluster in rds.describe_db_clusters()["DBClusters"]}
    assert "ScalingConfigurationInfo" not in found["api"]
    assert found["v1"]["ScalingConfigurationInfo"]["MaxCapacity"] == 16


# --- ElastiCache ---------------------------------------------------------------------------------------------------


def test_replication_group_has_one_member_node_per_cache_cluster_in_the_region(aws: Account) -> None:
    elasticache = aws.client("elasticache")
    group = elasticache.create_replication_group(
        ReplicationGroupId="pair", ReplicationGroupDescription="two nodes", NumCacheClusters=2, Engine="redis"
    )["ReplicationGroup"]
    assert group["MemberClusters"] == ["pair-001", "pair-002"]
    nodes = {node["CacheClusterId"]: node for node in elasticache.describe_cache_clusters()["CacheClusters"]}
    assert set(nodes) == {"pair-001", "pair-002"}
    assert {node["ReplicationGroupId"] for node in nodes.values()} == {"pair"}
    zones = {node["PreferredAvailabilityZone"] for node in nodes.values()}
    assert len(zones) == 2 and all(zone.startswith(aws.region) for zone in zones)


def test_replicas_per_node_group_decide_the_member_count(aws: Account) -> None:
    group = aws.client("elasticache").create_replication_group(
        ReplicationGroupId="replicas", ReplicationGroupDescription="r", ReplicasPerNodeGroup=2
    )["ReplicationGroup"]
    assert len(group["MemberClusters"]) == 3


def test_a_deleted_replication_group_and_its_nodes_are_gone(aws: Account) -> None:
    elasticache = aws.client("elasticache")
    elasticache.create_replication_group(ReplicationGroupId="gone", ReplicationGroupDescription="d", NumCacheClusters=2)
    elasticache.delete_replication_group(ReplicationGroupId="gone")
    assert elasticache.describe_replication_groups()["ReplicationGroups"] == []
    assert elasticache.describe_cache_clusters()["CacheClusters"] == []


def test_cache_subnet_groups_can_be_deleted(aws: Account) -> None:
    elasticache, ec2 = aws.client("elasticache"), aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="temporary", CacheSubnetGroupDescription="t", SubnetIds=[subnet_id]
    )
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName="temporary")
    assert elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    try:
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName="temporary")
    except ClientError as error:
        assert error.response["Error"]["Code"] == "CacheSubnetGroupNotFoundFault"
    else:
        raise AssertionError("deleting a missing subnet group must fail")


def redis_stack(deletion_policy: str = "Delete", **overrides: Any) -> dict[str, Any]:
    resources = network()
    properties: dict[str, Any] = {
        "ReplicationGroupId": "Telemetry-Cache",
        "ReplicationGroupDescription": "redis",
        "Engine": "redis",
        "EngineVersion": "7.1",
        "CacheNodeType": "cache.t4g.micro",
        "NumCacheClusters": 2,
        "AutomaticFailoverEnabled": True,
        "MultiAZEnabled": True,
        "Port": 6379,
        "TransitEncryptionEnabled": True,
        "TransitEncryptionMode": "required",
        "AtRestEncryptionEnabled": True,
        "KmsKeyId": get_att("Key", "Arn"),
        "AuthToken": {"Fn::Join": ["", ["{{resolve:secretsmanager:", ref("Token"), ":SecretString:::}}"]]},
        "CacheSubnetGroupName": ref("CacheSubnets"),
        "SnapshotRetentionLimit": 15,
        "LogDeliveryConfigurations": [
            {
                "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "/cache/slow"}},
                "DestinationType": "cloudwatch-logs",
                "LogFormat": "json",
                "LogType": "slow-log",
            }
        ],
    }
    properties.update(overrides)
    resources.update(
        {
            "Key": key(),
            "Token": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {"GenerateSecretString": {"PasswordLength": 32}},
            },
            "CacheSubnets": {
                "Type": "AWS::ElastiCache::SubnetGroup",
                "Properties": {"Description": "isolated", "SubnetIds": [ref("Subnet0"), ref("Subnet1")]},
            },
            "Cache": {
                "Type": "AWS::ElastiCache::ReplicationGroup",
                "DeletionPolicy": deletion_policy,
                "Properties": properties,
            },
        }
    )
    return resources


REDIS_OUTPUTS = {
    "Id": ref("Cache"),
    "Primary": get_att("Cache", "PrimaryEndPoint.Address"),
    "PrimaryPort": get_att("Cache", "PrimaryEndPoint.Port"),
    "Reader": get_att("Cache", "ReaderEndPoint.Address"),
    "ReaderPort": get_att("Cache", "ReaderEndPoint.Port"),
    "Readers": get_att("Cache", "ReadEndPoint.Addresses"),
    "Subnets": ref("CacheSubnets"),
    "KeyArn": get_att("Key", "Arn"),
}


def test_replication_group_template_creates_an_encrypted_group_with_auth(aws: Account) -> None:
    out = aws.create_stack("redis", redis_stack(), REDIS_OUTPUTS)["out"]
    group = aws.client("elasticache").describe_replication_groups(ReplicationGroupId=out["Id"])["ReplicationGroups"][0]
    assert out["Id"] == "telemetry-cache"
    assert (group["TransitEncryptionEnabled"], group["TransitEncryptionMode"], group["AuthTokenEnabled"]) == (
        True,
        "required",
        True,
    )
    assert (group["AtRestEncryptionEnabled"], group["KmsKeyId"]) == (True, out["KeyArn"])
    assert (group["AutomaticFailover"], group["MultiAZ"], len(group["MemberClusters"])) == ("enabled", "enabled", 2)
    assert group["NodeGroups"][0]["PrimaryEndpoint"]["Address"] == out["Primary"]
    assert (out["PrimaryPort"], out["ReaderPort"]) == ("6379", "6379")
    assert out["Reader"] == out["Primary"] and len(out["Readers"].split(",")) == 2  # one local server behind both
    assert [item["LogType"] for item in group["LogDeliveryConfigurations"]] == ["slow-log"]
    assert aws.client("elasticache").describe_cache_subnet_groups(CacheSubnetGroupName=out["Subnets"])[
        "CacheSubnetGroups"
    ]


def test_replication_group_stack_delete_leaves_nothing(aws: Account) -> None:
    aws.create_stack("redis-delete", redis_stack(), REDIS_OUTPUTS)
    assert aws.delete_stack("redis-delete") == "DELETE_COMPLETE"
    elasticache = aws.client("elasticache")
    assert elasticache.describe_replication_groups()["ReplicationGroups"] == []
    assert elasticache.describe_cache_clusters()["CacheClusters"] == []
    assert elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    assert elasticache.describe_snapshots()["Snapshots"] == []


def test_replication_group_snapshot_policy_keeps_a_final_snapshot(aws: Account) -> None:
    aws.create_stack("redis-snapshot", redis_stack("Snapshot"), REDIS_OUTPUTS)
    assert aws.delete_stack("redis-snapshot") == "DELETE_COMPLETE"
    snapshots = aws.client("elasticache").describe_snapshots()["Snapshots"]
    assert [snapshot["ReplicationGroupId"] for snapshot in snapshots] == ["telemetry-cache"]


def test_a_replication_group_property_the_emulator_does_not_map_fails_loudly(aws: Account) -> None:
    aws.create_stack("redis-unknown", redis_stack(DataTieringEnabled=False, NotAProperty="x"))
    assert aws.stack("redis-unknown")["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = next(e for e in aws.events("redis-unknown") if e["ResourceStatus"] == "CREATE_FAILED")[
        "ResourceStatusReason"
    ]
    assert "not_a_property" in reason
