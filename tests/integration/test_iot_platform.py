"""IoT platform (seed 000), as deployed: Aurora Serverless v2, Redis, ECS with Container Insights, read back."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from data_flow import connect, eventually, redis_client
from deployed_stacks import DeployedStack

from constructs_lib.policy import compute, engines, retention, services

STACK = "IotPlatform"


@pytest.fixture(scope="module")
def cluster(stack: DeployedStack) -> dict[str, Any]:
    identifier = stack.output("AuroraClusterIdentifier")
    return stack.client("rds").describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]


@pytest.fixture(scope="module")
def cluster_instances(stack: DeployedStack, cluster: dict[str, Any]) -> list[dict[str, Any]]:
    return stack.client("rds").describe_db_instances(
        Filters=[{"Name": "db-cluster-id", "Values": [cluster["DBClusterIdentifier"]]}]
    )["DBInstances"]


@pytest.fixture(scope="module")
def replication_group(stack: DeployedStack) -> dict[str, Any]:
    group_id = stack.output("RedisReplicationGroupId")
    return stack.client("elasticache").describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]


@pytest.fixture(scope="module")
def ecs_cluster(stack: DeployedStack) -> dict[str, Any]:
    return stack.client("ecs").describe_clusters(
        clusters=[stack.output("EcsClusterName")], include=["SETTINGS", "CONFIGURATIONS"]
    )["clusters"][0]


@pytest.fixture(scope="module")
def task_definition(stack: DeployedStack) -> dict[str, Any]:
    return stack.client("ecs").describe_task_definition(taskDefinition=stack.output("TaskDefinitionArn"))[
        "taskDefinition"
    ]


# --- Aurora Serverless v2 --------------------------------------------------------------------------------------------


def test_aurora_cluster_runs_the_policy_engine_version(cluster: dict[str, Any]) -> None:
    expected = engines.engine("aurora-postgresql")
    assert (cluster["Engine"], cluster["EngineVersion"]) == (expected.engine, expected.version)
    assert cluster["Status"] in {"available", "creating"}


def test_aurora_cluster_endpoints_match_the_outputs(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    assert cluster["Endpoint"] == stack.output("AuroraClusterEndpoint")
    assert cluster["ReaderEndpoint"] == stack.output("AuroraReaderEndpoint")
    assert cluster["Port"] == services.DATABASE_PORT


def test_aurora_storage_is_encrypted_with_the_stack_key(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    assert cluster["StorageEncrypted"] is True
    assert cluster["KmsKeyId"] == stack.output("KmsKeyArn")


def test_aurora_scales_within_the_profile_capacity_range(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    scaling = cluster["ServerlessV2ScalingConfiguration"]
    profile = stack.profile
    assert scaling["MinCapacity"] == profile.aurora_min_capacity
    assert scaling["MaxCapacity"] == profile.aurora_max_capacity
    if profile.aurora_min_capacity == 0:
        assert scaling["SecondsUntilAutoPause"] == profile.aurora_auto_pause_seconds


def test_aurora_keeps_30_days_of_backups_with_tags_and_iam_auth(cluster: dict[str, Any]) -> None:
    assert cluster["BackupRetentionPeriod"] == retention.DATABASE_BACKUP_RETENTION_DAYS
    assert cluster["CopyTagsToSnapshot"] is True
    assert cluster["IAMDatabaseAuthenticationEnabled"] is True
    assert cluster["EnabledCloudwatchLogsExports"] == list(services.POSTGRES_EXPORTED_LOGS)


def test_aurora_deletion_protection_follows_the_profile(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    assert cluster["DeletionProtection"] is stack.profile.deletion_protection


def test_aurora_parameter_group_forces_tls(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    parameters = stack.client("rds").describe_db_cluster_parameters(
        DBClusterParameterGroupName=cluster["DBClusterParameterGroup"]
    )["Parameters"]
    values = {parameter["ParameterName"]: parameter.get("ParameterValue") for parameter in parameters}
    assert values["rds.force_ssl"] == "1"
    assert values["log_connections"] == "1"


def test_aurora_has_a_serverless_writer_and_the_profile_readers(
    stack: DeployedStack, cluster: dict[str, Any], cluster_instances: list[dict[str, Any]]
) -> None:
    members = {member["DBInstanceIdentifier"]: member for member in cluster["DBClusterMembers"]}
    assert sum(member["IsClusterWriter"] for member in members.values()) == 1
    assert len(members) == 1 + stack.profile.aurora_readers
    assert {instance["DBInstanceClass"] for instance in cluster_instances} == {compute.AURORA_INSTANCE_CLASS}


def test_aurora_instances_are_private_monitored_and_encrypt_performance_insights(
    stack: DeployedStack, cluster_instances: list[dict[str, Any]]
) -> None:
    for instance in cluster_instances:
        assert instance["PubliclyAccessible"] is False
        assert instance["CACertificateIdentifier"] == compute.DATABASE_CA_CERTIFICATE
        assert instance["MonitoringInterval"] == services.DATABASE_MONITORING_INTERVAL_SECONDS
        assert instance["PerformanceInsightsEnabled"] is True
        assert instance["PerformanceInsightsKMSKeyId"] == stack.output("KmsKeyArn")


def test_every_db_instance_in_the_region_has_its_own_resource_id(stack: DeployedStack) -> None:
    instances = stack.client("rds").describe_db_instances()["DBInstances"]
    ids = [instance["DbiResourceId"] for instance in instances]
    assert len(set(ids)) == len(ids)


def test_aurora_lives_in_isolated_subnets_behind_its_own_security_group(
    stack: DeployedStack, cluster: dict[str, Any]
) -> None:
    rds, ec2 = stack.client("rds"), stack.client("ec2")
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=cluster["DBSubnetGroup"])["DBSubnetGroups"][0]
    subnet_ids = [subnet["SubnetIdentifier"] for subnet in group["Subnets"]]
    tiers = {
        tag["Value"]
        for subnet in ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        for tag in subnet["Tags"]
        if tag["Key"] == "aws-cdk:subnet-name"
    }
    assert tiers == {"isolated"}
    security_group_ids = [group["VpcSecurityGroupId"] for group in cluster["VpcSecurityGroups"]]
    security_group = ec2.describe_security_groups(GroupIds=security_group_ids)["SecurityGroups"][0]
    assert security_group["VpcId"] == stack.output("VpcId")
    # The processor tasks' group is the only way in, on the database port only.
    assert [
        (rule["FromPort"], rule["ToPort"], [pair["GroupId"] for pair in rule["UserIdGroupPairs"]], rule["IpRanges"])
        for rule in security_group["IpPermissions"]
    ] == [(5432, 5432, [stack.output("ProcessorSecurityGroupId")], [])]


def test_aurora_master_secret_is_managed_by_rds_under_the_stack_key(
    stack: DeployedStack, cluster: dict[str, Any]
) -> None:
    secret_arn = stack.output("AuroraSecretArn")
    assert cluster["MasterUserSecret"]["SecretArn"] == secret_arn
    assert cluster["MasterUserSecret"]["KmsKeyId"] == stack.output("KmsKeyArn")
    value = json.loads(stack.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    assert {"username", "password"} <= set(value)
    assert value["username"] == services.DATABASE_MASTER_USERNAME


# --- Redis ---------------------------------------------------------------------------------------------------------


def test_redis_requires_tls_and_auth(replication_group: dict[str, Any]) -> None:
    assert replication_group["TransitEncryptionEnabled"] is True
    assert replication_group["TransitEncryptionMode"] == compute.CACHE_TRANSIT_ENCRYPTION_MODE
    assert replication_group["AuthTokenEnabled"] is True


def test_redis_is_encrypted_at_rest_with_the_stack_key(stack: DeployedStack, replication_group: dict[str, Any]) -> None:
    assert replication_group["AtRestEncryptionEnabled"] is True
    assert replication_group["KmsKeyId"] == stack.output("KmsKeyArn")


def test_redis_has_the_profile_nodes_and_failover(stack: DeployedStack, replication_group: dict[str, Any]) -> None:
    replicas = stack.profile.cache_replicas
    assert len(replication_group["MemberClusters"]) == 1 + replicas
    assert replication_group["AutomaticFailover"] == ("enabled" if replicas else "disabled")
    assert replication_group["MultiAZ"] == ("enabled" if replicas else "disabled")
    assert replication_group["CacheNodeType"] == services.CACHE_NODE_TYPE


def test_redis_member_nodes_exist_and_belong_to_the_group(
    stack: DeployedStack, replication_group: dict[str, Any]
) -> None:
    elasticache = stack.client("elasticache")
    for member in replication_group["MemberClusters"]:
        node = elasticache.describe_cache_clusters(CacheClusterId=member)["CacheClusters"][0]
        assert node["ReplicationGroupId"] == replication_group["ReplicationGroupId"]


def test_redis_primary_endpoint_matches_the_output(stack: DeployedStack, replication_group: dict[str, Any]) -> None:
    primary = replication_group["NodeGroups"][0]["PrimaryEndpoint"]
    assert primary["Address"] == stack.output("RedisPrimaryEndpoint")
    assert primary["Port"] == services.CACHE_PORT


def test_redis_keeps_snapshots_and_delivers_both_logs_as_json(replication_group: dict[str, Any]) -> None:
    assert replication_group["SnapshotRetentionLimit"] == services.CACHE_SNAPSHOT_RETENTION_DAYS
    deliveries = {item["LogType"]: item for item in replication_group["LogDeliveryConfigurations"]}
    assert set(deliveries) == set(compute.CACHE_LOG_TYPES)
    assert {item["LogFormat"] for item in deliveries.values()} == {compute.CACHE_LOG_FORMAT}


def test_redis_auth_token_is_a_generated_secret_under_the_stack_key(stack: DeployedStack) -> None:
    secrets = stack.client("secretsmanager")
    arn = stack.output("RedisAuthSecretArn")
    assert secrets.describe_secret(SecretId=arn)["KmsKeyId"] == stack.output("KmsKeyArn")
    token = secrets.get_secret_value(SecretId=arn)["SecretString"]
    assert len(token) == services.CACHE_AUTH_TOKEN_LENGTH
    assert not set(token) & set(services.CACHE_AUTH_TOKEN_EXCLUDED_CHARACTERS)


# --- ECS -----------------------------------------------------------------------------------------------------------


def test_ecs_cluster_has_container_insights_on(ecs_cluster: dict[str, Any]) -> None:
    settings = {setting["name"]: setting["value"] for setting in ecs_cluster["settings"]}
    assert settings["containerInsights"] == compute.CONTAINER_INSIGHTS


def test_ecs_exec_sessions_are_encrypted_and_logged(stack: DeployedStack, ecs_cluster: dict[str, Any]) -> None:
    execute = ecs_cluster["configuration"]["executeCommandConfiguration"]
    assert execute["kmsKeyId"] == stack.output("KmsKeyArn")
    assert execute["logging"] == "OVERRIDE"
    assert execute["logConfiguration"]["cloudWatchEncryptionEnabled"] is True
    group_name = execute["logConfiguration"]["cloudWatchLogGroupName"]
    group = stack.client("logs").describe_log_groups(logGroupNamePrefix=group_name)["logGroups"][0]
    assert group["kmsKeyId"] == stack.output("KmsKeyArn")
    assert group["retentionInDays"] == retention.log_retention_days(compute.EXEC_LOG_PURPOSE)


def test_ecs_cluster_offers_fargate_capacity(ecs_cluster: dict[str, Any]) -> None:
    assert set(ecs_cluster["capacityProviders"]) == {"FARGATE", "FARGATE_SPOT"}


def test_task_definition_is_a_graviton_fargate_task_of_the_policy_size(task_definition: dict[str, Any]) -> None:
    assert task_definition["requiresCompatibilities"] == ["FARGATE"]
    assert task_definition["networkMode"] == "awsvpc"
    assert (int(task_definition["cpu"]), int(task_definition["memory"])) == (
        services.FARGATE_TASK_CPU,
        services.FARGATE_TASK_MEMORY_MB,
    )
    assert task_definition["runtimePlatform"]["cpuArchitecture"] == compute.FARGATE_CPU_ARCHITECTURE


def test_container_runs_as_non_root_on_a_read_only_filesystem(task_definition: dict[str, Any]) -> None:
    container = task_definition["containerDefinitions"][0]
    assert container["user"] == compute.CONTAINER_USER
    assert container["readonlyRootFilesystem"] is compute.CONTAINER_READONLY_ROOT_FILESYSTEM


def test_container_logs_go_to_an_encrypted_log_group(stack: DeployedStack, task_definition: dict[str, Any]) -> None:
    logging = task_definition["containerDefinitions"][0]["logConfiguration"]
    assert logging["logDriver"] == "awslogs"
    group = stack.client("logs").describe_log_groups(logGroupNamePrefix=logging["options"]["awslogs-group"])[
        "logGroups"
    ][0]
    assert group["kmsKeyId"] == stack.output("KmsKeyArn")
    assert group["retentionInDays"] == retention.log_retention_days(compute.CONTAINER_LOG_PURPOSE)


def test_container_is_told_where_the_stream_database_and_cache_are(
    stack: DeployedStack, task_definition: dict[str, Any]
) -> None:
    environment = {item["name"]: item["value"] for item in task_definition["containerDefinitions"][0]["environment"]}
    assert environment == {
        "STREAM_NAME": stack.output("TelemetryStreamName"),
        "DB_HOST": stack.output("AuroraClusterEndpoint"),
        "DB_PORT": stack.output("AuroraPort"),
        "DB_NAME": stack.output("AuroraDatabaseName"),
        "REDIS_HOST": stack.output("RedisPrimaryEndpoint"),
        "REDIS_PORT": stack.output("RedisPort"),
    }
    secrets = {item["name"]: item["valueFrom"] for item in task_definition["containerDefinitions"][0]["secrets"]}
    assert secrets == {
        "DB_CREDENTIALS": stack.output("AuroraSecretArn"),
        "REDIS_AUTH_TOKEN": stack.output("RedisAuthSecretArn"),
    }


def test_task_roles_are_assumable_by_ecs_tasks_only(stack: DeployedStack, task_definition: dict[str, Any]) -> None:
    iam = stack.client("iam")
    for arn in (task_definition["taskRoleArn"], task_definition["executionRoleArn"]):
        role = iam.get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]
        principals = [s["Principal"] for s in role["AssumeRolePolicyDocument"]["Statement"]]
        assert principals == [{"Service": compute.ECS_TASKS_PRINCIPAL}]


# --- the telemetry processor, end to end ----------------------------------------------------------------------------


def test_processor_runs_as_a_service_with_the_profiles_task_count(stack: DeployedStack) -> None:
    ecs = stack.client("ecs")
    (service,) = ecs.describe_services(
        cluster=stack.output("EcsClusterName"), services=[stack.output("ProcessorServiceName")]
    )["services"]
    assert service["taskDefinition"] == stack.output("TaskDefinitionArn")
    assert service["desiredCount"] >= 1 and service["status"] == "ACTIVE"


def _database(stack: DeployedStack) -> Any:
    return connect(
        stack, host="AuroraClusterEndpoint", port="AuroraPort", secret="AuroraSecretArn", database="AuroraDatabaseName"
    )


def _count(stack: DeployedStack, sql: str, **parameters: Any) -> int:
    session = _database(stack)
    try:
        return int(session.run(sql, **parameters)[0][0])
    finally:
        session.close()


@pytest.mark.end_to_end
def test_readings_on_the_stream_become_rows_in_aurora_and_each_devices_latest_state_in_redis(
    stack: DeployedStack,
) -> None:
    marker, now = uuid.uuid4().hex, time.time()
    readings = [
        {"reading_id": f"{marker}-{device}-{index}", "device_id": f"{marker}-{device}", "timestamp": now + index,
         "temperature": 20 + index}
        for device in ("a", "b")
        for index in range(3)
    ]  # fmt: skip
    stack.client("kinesis").put_records(
        StreamName=stack.output("TelemetryStreamName"),
        Records=[{"Data": json.dumps(r).encode(), "PartitionKey": r["device_id"]} for r in reversed(readings)],
    )
    count_sql = "SELECT count(*) FROM telemetry_readings WHERE reading_id LIKE :prefix"
    stored = eventually(
        lambda: _count(stack, count_sql, prefix=f"{marker}-%") == len(readings) and len(readings),
        f"{len(readings)} readings marked {marker} in Aurora",
    )
    assert stored == len(readings)
    cache = redis_client(stack, host="RedisPrimaryEndpoint", port="RedisPort", token_secret="RedisAuthSecretArn")
    for device in ("a", "b"):
        latest = cache.hgetall(f"device:{marker}-{device}:latest")
        assert latest["reading_id"] == f"{marker}-{device}-2", "the newest reading wins, whatever the arrival order"


@pytest.mark.end_to_end
def test_a_malformed_reading_is_dead_lettered_with_its_reason_and_the_readings_behind_it_are_stored(
    stack: DeployedStack,
) -> None:
    kinesis, marker = stack.client("kinesis"), uuid.uuid4().hex
    name = stack.output("TelemetryStreamName")
    bad = kinesis.put_record(StreamName=name, Data=json.dumps({"device_id": marker}).encode(), PartitionKey=marker)
    good = {"reading_id": f"{marker}-ok", "device_id": marker, "timestamp": time.time()}
    kinesis.put_record(StreamName=name, Data=json.dumps(good).encode(), PartitionKey=marker)
    reason_sql = "SELECT reason FROM kinesis_dead_letters WHERE sequence_number = CAST(:sequence AS NUMERIC)"

    def reason() -> str | None:
        session = _database(stack)
        try:
            rows = session.run(reason_sql, sequence=bad["SequenceNumber"])
        finally:
            session.close()
        return rows[0][0] if rows else None

    assert "reading_id" in eventually(reason, "the malformed reading in kinesis_dead_letters")
    count_sql = "SELECT count(*) FROM telemetry_readings WHERE reading_id = :id"
    assert eventually(lambda: _count(stack, count_sql, id=good["reading_id"]), "the reading behind it") == 1
