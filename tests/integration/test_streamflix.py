"""StreamFlix (seed 003, CDK for Terraform), as deployed: the encrypted ingest stream, the job queue and its DLQ,
Aurora Serverless v2 with its writer, ECS with Container Insights, read back; data-plane round trips."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from data_flow import connect, eventually
from deployed_stacks import DeployedStack

from constructs_lib.policy import compute, engines, retention, services, storage
from constructs_lib.policy.alarms import QUEUE_HAS_MESSAGES, STREAM_WRITE_THROTTLED
from stacks.streamflix.stack import PROCESSING_LOG_RETENTION_DAYS

STACK = "streamflix"


@pytest.fixture(scope="module")
def cluster(stack: DeployedStack) -> dict[str, Any]:
    identifier = stack.output("db_cluster_identifier")
    return stack.client("rds").describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]


@pytest.fixture(scope="module")
def cluster_instances(stack: DeployedStack, cluster: dict[str, Any]) -> list[dict[str, Any]]:
    return stack.client("rds").describe_db_instances(
        Filters=[{"Name": "db-cluster-id", "Values": [cluster["DBClusterIdentifier"]]}]
    )["DBInstances"]


@pytest.fixture(scope="module")
def ecs_cluster(stack: DeployedStack) -> dict[str, Any]:
    return stack.client("ecs").describe_clusters(
        clusters=[stack.output("ecs_cluster_name")], include=["SETTINGS", "CONFIGURATIONS"]
    )["clusters"][0]


@pytest.fixture(scope="module")
def task_definition(stack: DeployedStack) -> dict[str, Any]:
    return stack.client("ecs").describe_task_definition(taskDefinition=stack.output("ecs_task_definition_arn"))[
        "taskDefinition"
    ]


def queue_attributes(stack: DeployedStack, output: str) -> dict[str, str]:
    return stack.client("sqs").get_queue_attributes(QueueUrl=stack.output(output), AttributeNames=["All"])["Attributes"]


def log_group(stack: DeployedStack, name: str) -> dict[str, Any]:
    groups = stack.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    matching = [group for group in groups if group["logGroupName"] == name]
    assert matching, f"log group {name} does not exist"
    return matching[0]


def alarm(stack: DeployedStack, output: str) -> dict[str, Any]:
    found = stack.client("cloudwatch").describe_alarms(AlarmNames=[stack.output(output)])["MetricAlarms"]
    assert len(found) == 1, f"alarm {stack.output(output)}"
    return found[0]


# --- Kinesis -------------------------------------------------------------------------------------------------------


def test_ingest_stream_is_encrypted_with_the_stack_key(stack: DeployedStack) -> None:
    summary = stack.client("kinesis").describe_stream_summary(StreamName=stack.output("kinesis_stream_name"))[
        "StreamDescriptionSummary"
    ]
    assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", stack.key_arn)
    assert summary["StreamARN"] == stack.output("kinesis_stream_arn")


def test_ingest_stream_is_provisioned_with_the_policy_shards_and_retention(stack: DeployedStack) -> None:
    summary = stack.client("kinesis").describe_stream_summary(StreamName=stack.output("kinesis_stream_name"))[
        "StreamDescriptionSummary"
    ]
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["StreamModeDetails"]["StreamMode"] == storage.STREAM_MODE
    assert summary["RetentionPeriodHours"] == retention.STREAM_RETENTION_HOURS
    assert summary["OpenShardCount"] == services.STREAM_SHARDS


def test_ingest_stream_round_trip_returns_the_record_put(stack: DeployedStack) -> None:
    kinesis = stack.client("kinesis")
    name = stack.output("kinesis_stream_name")
    payload = json.dumps({"video": str(uuid.uuid4()), "event": "uploaded"}).encode()
    put = kinesis.put_record(StreamName=name, Data=payload, PartitionKey="integration")
    iterator = kinesis.get_shard_iterator(
        StreamName=name,
        ShardId=put["ShardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=put["SequenceNumber"],
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    for _ in range(10):  # AWS may answer an empty page before the record arrives
        response = kinesis.get_records(ShardIterator=iterator, Limit=10)
        records, iterator = response["Records"], response["NextShardIterator"]
        if records:
            break
        time.sleep(1)
    assert records and (records[0]["Data"], records[0]["SequenceNumber"]) == (payload, put["SequenceNumber"])


def test_write_throttle_alarm_notifies_the_topic_on_breach_and_recovery(stack: DeployedStack) -> None:
    found = alarm(stack, "kinesis_throttle_alarm_name")
    assert (found["Namespace"], found["MetricName"]) == ("AWS/Kinesis", "WriteProvisionedThroughputExceeded")
    assert found["Dimensions"] == [{"Name": "StreamName", "Value": stack.output("kinesis_stream_name")}]
    assert found["AlarmActions"] == found["OKActions"] == [stack.output("alarm_topic_arn")]
    assert found["TreatMissingData"] == STREAM_WRITE_THROTTLED.treat_missing_data


# --- SQS -----------------------------------------------------------------------------------------------------------


def test_job_queue_and_dlq_are_encrypted_with_the_stack_key_not_sqs_owned_keys(stack: DeployedStack) -> None:
    for output in ("job_queue_url", "dlq_url"):
        attributes = queue_attributes(stack, output)
        assert attributes["KmsMasterKeyId"] == stack.key_arn, output
        assert attributes.get("SqsManagedSseEnabled", "false") == "false", output


def test_job_queue_redrives_to_the_dlq_after_the_policy_retries(stack: DeployedStack) -> None:
    redrive = json.loads(queue_attributes(stack, "job_queue_url")["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": stack.output("dlq_arn"),
        "maxReceiveCount": services.STREAM_MAX_RETRY_ATTEMPTS,
    }


def test_only_the_job_queue_may_redrive_into_the_dlq_which_keeps_failures_14_days(stack: DeployedStack) -> None:
    attributes = queue_attributes(stack, "dlq_url")
    allow = json.loads(attributes["RedriveAllowPolicy"])
    job_queue_arn = queue_attributes(stack, "job_queue_url")["QueueArn"]
    assert allow == {"redrivePermission": "byQueue", "sourceQueueArns": [job_queue_arn]}
    assert int(attributes["MessageRetentionPeriod"]) == retention.DEAD_LETTER_RETENTION_SECONDS


def test_both_queues_deny_requests_without_tls(stack: DeployedStack) -> None:
    for output in ("job_queue_url", "dlq_url"):
        statements = json.loads(queue_attributes(stack, output)["Policy"])["Statement"]
        assert [(s["Effect"], s["Action"], s["Condition"]) for s in statements] == [
            ("Deny", "sqs:*", {"Bool": {"aws:SecureTransport": "false"}})
        ], output


@pytest.mark.end_to_end
def test_a_job_that_keeps_failing_lands_in_the_dlq_where_its_alarm_watches(stack: DeployedStack) -> None:
    """The worker fails a malformed job on every receive; after maxReceiveCount receives SQS moves it to the DLQ.
    The DLQ alarm is asserted by its definition against the DLQ's depth: the emulator does not evaluate alarms."""
    sqs = stack.client("sqs")
    body = json.dumps({"job": str(uuid.uuid4())})  # no job_id, no video_id: it can never be recorded
    sqs.send_message(QueueUrl=stack.output("job_queue_url"), MessageBody=body)

    def dead_letter() -> dict[str, Any] | None:
        answer = sqs.receive_message(
            QueueUrl=stack.output("dlq_url"), WaitTimeSeconds=1, MessageSystemAttributeNames=["ApproximateReceiveCount"]
        )
        return next((message for message in answer.get("Messages", []) if message["Body"] == body), None)

    dead = eventually(dead_letter, "the malformed job on the dead-letter queue")
    sqs.change_message_visibility(QueueUrl=stack.output("dlq_url"), ReceiptHandle=dead["ReceiptHandle"],
                                  VisibilityTimeout=0)  # fmt: skip
    found = alarm(stack, "dlq_alarm_name")
    visible = int(queue_attributes(stack, "dlq_url")["ApproximateNumberOfMessages"])
    assert BREACHES[found["ComparisonOperator"]](visible, found["Threshold"]), (visible, found)
    sqs.delete_message(QueueUrl=stack.output("dlq_url"), ReceiptHandle=dead["ReceiptHandle"])


@pytest.mark.end_to_end
def test_jobs_on_the_queue_become_video_metadata_rows_and_leave_the_queue(stack: DeployedStack) -> None:
    sqs, marker = stack.client("sqs"), uuid.uuid4().hex
    for index in range(5):
        job = {"job_id": f"{marker}-{index}", "video_id": f"video-{index}", "title": f"Episode {index}"}
        sqs.send_message(QueueUrl=stack.output("job_queue_url"), MessageBody=json.dumps(job))
    count_sql = "SELECT count(*) FROM video_jobs WHERE job_id LIKE :prefix"
    assert eventually(lambda: _count(stack, count_sql, prefix=f"{marker}-%") == 5 and 5, "5 video_jobs rows") == 5


@pytest.mark.end_to_end
def test_ingest_events_on_the_stream_become_rows(stack: DeployedStack) -> None:
    kinesis, marker = stack.client("kinesis"), uuid.uuid4().hex
    events = [{"event_id": f"{marker}-{index}", "video_id": "v", "event_type": "uploaded", "occurred_at": time.time()}
              for index in range(3)]  # fmt: skip
    kinesis.put_records(
        StreamName=stack.output("kinesis_stream_name"),
        Records=[{"Data": json.dumps(event).encode(), "PartitionKey": event["event_id"]} for event in events],
    )
    count_sql = "SELECT count(*) FROM ingest_events WHERE event_id LIKE :prefix"
    assert eventually(lambda: _count(stack, count_sql, prefix=f"{marker}-%") == 3 and 3, "3 ingest_events rows") == 3


#: How CloudWatch compares a metric with an alarm's threshold, per comparison operator.
BREACHES = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


def _count(stack: DeployedStack, sql: str, **parameters: Any) -> int:
    session = connect(stack, host="db_cluster_endpoint", port="db_port", secret="db_secret_arn", database="db_name")
    try:
        return int(session.run(sql, **parameters)[0][0])
    finally:
        session.close()


def test_dlq_alarm_fires_on_the_first_dead_letter(stack: DeployedStack) -> None:
    found = alarm(stack, "dlq_alarm_name")
    assert (found["Namespace"], found["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert found["Dimensions"] == [{"Name": "QueueName", "Value": stack.output("dlq_arn").rsplit(":", 1)[-1]}]
    assert (found["Threshold"], found["ComparisonOperator"]) == (
        QUEUE_HAS_MESSAGES.threshold,
        QUEUE_HAS_MESSAGES.comparison_operator,
    )
    assert found["AlarmActions"] == [stack.output("alarm_topic_arn")]


# --- Aurora Serverless v2 --------------------------------------------------------------------------------------------


def test_aurora_runs_the_policy_engine_version_in_provisioned_mode(cluster: dict[str, Any]) -> None:
    expected = engines.engine("aurora-postgresql")
    assert (cluster["Engine"], cluster["EngineVersion"]) == (expected.engine, expected.version)
    assert cluster["EngineMode"] == "provisioned"


def test_aurora_endpoints_and_port_match_the_outputs(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    assert cluster["Endpoint"] == stack.output("db_cluster_endpoint")
    assert cluster["ReaderEndpoint"] == stack.output("db_reader_endpoint")
    assert cluster["Port"] == services.DATABASE_PORT
    assert cluster["DatabaseName"] == stack.output("db_name") == services.DATABASE_NAME


def test_aurora_storage_is_encrypted_with_the_stack_key(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    assert (cluster["StorageEncrypted"], cluster["KmsKeyId"]) == (True, stack.key_arn)


def test_aurora_scales_serverless_v2_within_the_profile_range(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    scaling = cluster["ServerlessV2ScalingConfiguration"]
    profile = stack.profile
    assert (scaling["MinCapacity"], scaling["MaxCapacity"]) == (
        profile.aurora_min_capacity,
        profile.aurora_max_capacity,
    )
    if profile.aurora_min_capacity == 0:
        assert scaling["SecondsUntilAutoPause"] == profile.aurora_auto_pause_seconds
    assert "ScalingConfigurationInfo" not in cluster  # the Serverless v1 block belongs to no v2 cluster


def test_aurora_has_one_serverless_writer_and_the_profile_readers(
    stack: DeployedStack, cluster: dict[str, Any], cluster_instances: list[dict[str, Any]]
) -> None:
    members = cluster["DBClusterMembers"]
    assert sum(member["IsClusterWriter"] for member in members) == 1
    assert len(members) == len(cluster_instances) == 1 + stack.profile.aurora_readers
    assert {instance["DBInstanceClass"] for instance in cluster_instances} == {compute.AURORA_INSTANCE_CLASS}


def test_aurora_instances_are_private_monitored_and_encrypt_performance_insights(
    stack: DeployedStack, cluster_instances: list[dict[str, Any]]
) -> None:
    for instance in cluster_instances:
        assert instance["PubliclyAccessible"] is False
        assert instance["CACertificateIdentifier"] == compute.DATABASE_CA_CERTIFICATE
        assert instance["MonitoringInterval"] == services.DATABASE_MONITORING_INTERVAL_SECONDS
        assert (instance["PerformanceInsightsEnabled"], instance["PerformanceInsightsKMSKeyId"]) == (
            True,
            stack.key_arn,
        )


def test_aurora_backups_iam_auth_log_export_and_deletion_follow_the_policy(
    stack: DeployedStack, cluster: dict[str, Any]
) -> None:
    assert cluster["BackupRetentionPeriod"] == retention.DATABASE_BACKUP_RETENTION_DAYS
    assert cluster["IAMDatabaseAuthenticationEnabled"] is True
    assert cluster["CopyTagsToSnapshot"] is True
    assert cluster["EnabledCloudwatchLogsExports"] == list(services.POSTGRES_EXPORTED_LOGS)
    assert cluster["DeletionProtection"] is stack.profile.deletion_protection


def test_aurora_parameter_group_forces_tls_and_logs_connections(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    parameters = stack.client("rds").describe_db_cluster_parameters(
        DBClusterParameterGroupName=cluster["DBClusterParameterGroup"]
    )["Parameters"]
    values = {parameter["ParameterName"]: parameter.get("ParameterValue") for parameter in parameters}
    assert {name: values.get(name) for name in compute.DATABASE_TLS_PARAMETERS} == compute.DATABASE_TLS_PARAMETERS
    assert {name: values.get(name) for name in compute.DATABASE_LOGGING_PARAMETERS} == (
        compute.DATABASE_LOGGING_PARAMETERS
    )


def test_aurora_log_export_goes_to_an_encrypted_audit_log_group(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    for log in services.POSTGRES_EXPORTED_LOGS:
        name = compute.RDS_CLUSTER_LOG_GROUP.format(identifier=cluster["DBClusterIdentifier"], log=log)
        group = log_group(stack, name)
        assert group["kmsKeyId"] == stack.key_arn
        assert group["retentionInDays"] == retention.log_retention_days(compute.DATABASE_LOG_PURPOSE)


def test_aurora_master_secret_is_kept_by_rds_under_the_stack_key(stack: DeployedStack, cluster: dict[str, Any]) -> None:
    secret_arn = stack.output("db_secret_arn")
    assert (cluster["MasterUserSecret"]["SecretArn"], cluster["MasterUserSecret"]["KmsKeyId"]) == (
        secret_arn,
        stack.key_arn,
    )
    value = json.loads(stack.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    assert {"username", "password"} <= set(value)
    assert value["username"] == services.DATABASE_MASTER_USERNAME
    assert len(value["password"]) >= 16


def test_aurora_lives_in_the_isolated_subnets_and_admits_only_the_processing_tasks(
    stack: DeployedStack, cluster: dict[str, Any]
) -> None:
    rds, ec2 = stack.client("rds"), stack.client("ec2")
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=cluster["DBSubnetGroup"])["DBSubnetGroups"][0]
    assert sorted(subnet["SubnetIdentifier"] for subnet in group["Subnets"]) == sorted(
        stack.output("isolated_subnet_ids")
    )
    assert [item["VpcSecurityGroupId"] for item in cluster["VpcSecurityGroups"]] == [
        stack.output("db_security_group_id")
    ]
    security_group = ec2.describe_security_groups(GroupIds=[stack.output("db_security_group_id")])["SecurityGroups"][0]
    assert [
        (rule["IpProtocol"], rule["FromPort"], rule["ToPort"], [pair["GroupId"] for pair in rule["UserIdGroupPairs"]])
        for rule in security_group["IpPermissions"]
    ] == [("tcp", services.DATABASE_PORT, services.DATABASE_PORT, [stack.output("ecs_tasks_security_group_id")])]
    assert not any(rule["IpRanges"] for rule in security_group["IpPermissions"])


def test_every_db_instance_in_the_region_has_its_own_resource_id(stack: DeployedStack) -> None:
    instances = stack.client("rds").describe_db_instances()["DBInstances"]
    ids = [instance["DbiResourceId"] for instance in instances]
    assert len(set(ids)) == len(ids)


# --- ECS -----------------------------------------------------------------------------------------------------------


def test_ecs_cluster_has_container_insights_on(ecs_cluster: dict[str, Any]) -> None:
    settings = {setting["name"]: setting["value"] for setting in ecs_cluster["settings"]}
    assert settings["containerInsights"] == compute.CONTAINER_INSIGHTS
    assert ecs_cluster["status"] == "ACTIVE"


def test_ecs_exec_sessions_are_encrypted_and_logged_to_an_encrypted_group(
    stack: DeployedStack, ecs_cluster: dict[str, Any]
) -> None:
    execute = ecs_cluster["configuration"]["executeCommandConfiguration"]
    assert (execute["kmsKeyId"], execute["logging"]) == (stack.key_arn, "OVERRIDE")
    assert execute["logConfiguration"]["cloudWatchEncryptionEnabled"] is True
    group = log_group(stack, execute["logConfiguration"]["cloudWatchLogGroupName"])
    assert group["kmsKeyId"] == stack.key_arn
    assert group["retentionInDays"] == retention.log_retention_days(compute.EXEC_LOG_PURPOSE)


def test_ecs_cluster_runs_on_fargate_only(ecs_cluster: dict[str, Any]) -> None:
    assert ecs_cluster["capacityProviders"] == ["FARGATE"]
    assert [item["capacityProvider"] for item in ecs_cluster["defaultCapacityProviderStrategy"]] == ["FARGATE"]


def test_task_definition_is_a_graviton_fargate_task_of_the_policy_size(task_definition: dict[str, Any]) -> None:
    assert (task_definition["requiresCompatibilities"], task_definition["networkMode"]) == (["FARGATE"], "awsvpc")
    assert (int(task_definition["cpu"]), int(task_definition["memory"])) == (
        services.FARGATE_TASK_CPU,
        services.FARGATE_TASK_MEMORY_MB,
    )
    assert task_definition["runtimePlatform"]["cpuArchitecture"] == compute.FARGATE_CPU_ARCHITECTURE


def test_container_runs_as_non_root_on_a_read_only_filesystem(task_definition: dict[str, Any]) -> None:
    container = task_definition["containerDefinitions"][0]
    assert container["user"] == compute.CONTAINER_USER
    assert container["readonlyRootFilesystem"] is compute.CONTAINER_READONLY_ROOT_FILESYSTEM
    assert container.get("privileged", False) is False


def test_container_gets_the_database_credentials_as_a_secret_never_as_plain_environment(
    stack: DeployedStack, task_definition: dict[str, Any]
) -> None:
    container = task_definition["containerDefinitions"][0]
    assert [(item["name"], item["valueFrom"]) for item in container["secrets"]] == [
        ("DB_CREDENTIALS", stack.output("db_secret_arn"))
    ]
    environment = {item["name"]: item["value"] for item in container["environment"]}
    assert environment == {
        "DB_HOST": stack.output("db_cluster_endpoint"),
        "DB_NAME": services.DATABASE_NAME,
        "JOB_QUEUE_URL": stack.output("job_queue_url"),
        "STREAM_NAME": stack.output("kinesis_stream_name"),
    }


def test_container_logs_go_to_the_encrypted_processing_log_group(
    stack: DeployedStack, task_definition: dict[str, Any]
) -> None:
    logging = task_definition["containerDefinitions"][0]["logConfiguration"]
    assert logging["logDriver"] == "awslogs"
    assert logging["options"]["awslogs-group"] == stack.output("processing_log_group_name")
    group = log_group(stack, stack.output("processing_log_group_name"))
    assert (group["kmsKeyId"], group["retentionInDays"]) == (stack.key_arn, PROCESSING_LOG_RETENTION_DAYS)


def test_task_roles_are_assumable_by_ecs_tasks_only(stack: DeployedStack, task_definition: dict[str, Any]) -> None:
    iam = stack.client("iam")
    for arn in (task_definition["taskRoleArn"], task_definition["executionRoleArn"]):
        role = iam.get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]
        principals = [statement["Principal"] for statement in role["AssumeRolePolicyDocument"]["Statement"]]
        assert principals == [{"Service": compute.ECS_TASKS_PRINCIPAL}]


def test_tasks_may_leave_only_by_https_and_to_the_database(stack: DeployedStack) -> None:
    group = stack.client("ec2").describe_security_groups(GroupIds=[stack.output("ecs_tasks_security_group_id")])[
        "SecurityGroups"
    ][0]
    assert group["IpPermissions"] == []
    egress = sorted(
        (rule["FromPort"], [r["CidrIp"] for r in rule["IpRanges"]], [p["GroupId"] for p in rule["UserIdGroupPairs"]])
        for rule in group["IpPermissionsEgress"]
    )
    assert egress == [(443, ["0.0.0.0/0"], []), (services.DATABASE_PORT, [], [stack.output("db_security_group_id")])]
