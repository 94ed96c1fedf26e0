"""StreamFlix stack (seed 003): the controls it promises, read from the synthesized Terraform JSON."""

from __future__ import annotations

import json

import pytest
from tfjson import by_path, policy, ref, resources, statement

STACK = "streamflix"


def test_aurora_cluster_has_a_serverless_instance_that_references_it(dev):
    stack = dev[STACK]
    cluster_id = ref(stack, "aws_rds_cluster", "metadata/cluster", "id")
    instances = resources(stack, "aws_rds_cluster_instance")
    assert instances, "seed 003: a cluster without instances serves nothing"
    for instance in instances.values():
        assert instance["cluster_identifier"] == cluster_id
        assert instance["instance_class"] == "db.serverless"
        assert instance["publicly_accessible"] is False


def test_prod_adds_a_reader_instance_in_another_promotion_tier(prod):
    instances = resources(prod[STACK], "aws_rds_cluster_instance").values()
    assert sorted(i["promotion_tier"] for i in instances) == [0, 1]


def test_rds_manages_the_master_password_and_no_password_is_in_the_template(dev, prod):
    for synth in (dev, prod):
        cluster = by_path(synth[STACK], "aws_rds_cluster", "metadata/cluster")
        assert cluster["manage_master_user_password"] is True
        assert cluster["master_user_secret_kms_key_id"] == ref(synth[STACK], "aws_kms_key", "key/key", "arn")
        text = synth.text(STACK)
        assert "master_password" not in text
        assert "random_password" not in text and '"random"' not in text


def test_database_is_encrypted_private_and_tls_only(dev):
    stack = dev[STACK]
    cluster = by_path(stack, "aws_rds_cluster", "metadata/cluster")
    assert cluster["storage_encrypted"] is True
    assert cluster["kms_key_id"] == ref(stack, "aws_kms_key", "key/key", "arn")
    assert cluster["iam_database_authentication_enabled"] is True
    params = by_path(stack, "aws_rds_cluster_parameter_group", "metadata/parameters")["parameter"]
    assert {"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"} in params
    logged = {p["name"]: p["value"] for p in params}
    assert logged["log_statement"] == "ddl", "schema changes are logged, statement values are not"
    assert logged["log_connections"] == "1" and logged["log_min_duration_statement"] == "1000"
    assert cluster["db_cluster_parameter_group_name"] == ref(
        stack, "aws_rds_cluster_parameter_group", "metadata/parameters", "name"
    )


def test_database_logs_go_to_an_encrypted_group_created_before_the_cluster(dev):
    stack = dev[STACK]
    cluster = by_path(stack, "aws_rds_cluster", "metadata/cluster")
    group = by_path(stack, "aws_cloudwatch_log_group", "metadata/postgresql-logs/group")
    assert group["name"] == "/aws/rds/cluster/streamflix-metadata-dev/postgresql"
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    assert cluster["enabled_cloudwatch_logs_exports"] == ["postgresql"]
    assert any("metadata_postgresql-logs_group" in dep for dep in cluster["depends_on"])


@pytest.mark.parametrize(
    ("profile", "skip_snapshot", "protected", "min_acu"),
    [("dev", True, False, 0), ("prod", False, True, 0.5)],
)
def test_database_deletion_and_capacity_follow_the_profile(synthesized, profile, skip_snapshot, protected, min_acu):
    cluster = by_path(synthesized[profile][STACK], "aws_rds_cluster", "metadata/cluster")
    assert cluster["skip_final_snapshot"] is skip_snapshot
    assert cluster["deletion_protection"] is protected
    assert ("final_snapshot_identifier" in cluster) is not skip_snapshot
    assert cluster["serverlessv2_scaling_configuration"]["min_capacity"] == min_acu
    assert ("seconds_until_auto_pause" in cluster["serverlessv2_scaling_configuration"]) is (min_acu == 0)


def test_database_accepts_postgres_only_from_the_processing_tasks(dev):
    stack = dev[STACK]
    (rule,) = resources(stack, "aws_vpc_security_group_ingress_rule").values()
    assert rule["security_group_id"] == ref(stack, "aws_security_group", "metadata/security-group", "id")
    assert rule["referenced_security_group_id"] == ref(stack, "aws_security_group", "tasks/group", "id")
    assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (5432, 5432, "tcp")
    db_group = by_path(stack, "aws_security_group", "metadata/security-group")
    assert "ingress" not in db_group and "egress" not in db_group


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_database_subnet_group_is_exactly_the_isolated_subnets_which_have_no_route_out(synthesized, profile):
    stack = synthesized[profile][STACK]
    (group,) = resources(stack, "aws_db_subnet_group").values()
    assert group["subnet_ids"] == [ref(stack, "aws_subnet", f"network/isolated-{i}", "id") for i in range(2)]
    cluster = by_path(stack, "aws_rds_cluster", "metadata/cluster")
    assert cluster["db_subnet_group_name"] == ref(stack, "aws_db_subnet_group", "metadata/subnets", "name")
    isolated_tables = {ref(stack, "aws_route_table", f"network/isolated-{i}-routes", "id") for i in range(2)}
    routes = resources(stack, "aws_route").values()
    assert len(routes) == 4, "an internet route per public subnet and a NAT route per private subnet, no other"
    assert not [r for r in routes if r["route_table_id"] in isolated_tables]


def test_worker_tasks_stay_private_and_reach_the_isolated_database_by_security_group(dev):
    stack = dev[STACK]
    service = by_path(stack, "aws_ecs_service", "processing/worker")
    private = [ref(stack, "aws_subnet", f"network/private-{i}", "id") for i in range(2)]
    assert service["network_configuration"]["subnets"] == private
    egress = by_path(stack, "aws_vpc_security_group_egress_rule", "tasks/egress-5432")
    assert egress["security_group_id"] == ref(stack, "aws_security_group", "tasks/group", "id")
    assert egress["referenced_security_group_id"] == ref(stack, "aws_security_group", "metadata/security-group", "id")


def test_ingest_stream_is_encrypted_with_the_stacks_key(dev):
    stack = dev[STACK]
    stream = by_path(stack, "aws_kinesis_stream", "ingest/stream")
    assert stream["encryption_type"] == "KMS"
    assert stream["kms_key_id"] == ref(stack, "aws_kms_key", "key/key", "arn")
    assert stream["retention_period"] == 24
    assert stream["name"] == "streamflix-ingest-dev"


def test_job_queue_and_dead_letter_queue_are_encrypted_and_redriven(dev):
    stack = dev[STACK]
    key_arn = ref(stack, "aws_kms_key", "key/key", "arn")
    queue = by_path(stack, "aws_sqs_queue", "jobs/queue")
    dlq = by_path(stack, "aws_sqs_queue", "jobs/dlq/queue")
    assert queue["kms_master_key_id"] == key_arn and dlq["kms_master_key_id"] == key_arn
    redrive = json.loads(queue["redrive_policy"])
    assert redrive == {
        "deadLetterTargetArn": ref(stack, "aws_sqs_queue", "jobs/dlq/queue", "arn"),
        "maxReceiveCount": 3,
    }
    assert dlq["message_retention_seconds"] == 14 * 24 * 3600


def test_alarms_watch_kinesis_throttling_and_dead_letter_depth(dev):
    stack = dev[STACK]
    topic = ref(stack, "aws_sns_topic", "alarms/topic", "arn")
    throttle = by_path(stack, "aws_cloudwatch_metric_alarm", "ingest/write-throttled")
    assert throttle["metric_name"] == "WriteProvisionedThroughputExceeded"
    assert throttle["dimensions"] == {"StreamName": ref(stack, "aws_kinesis_stream", "ingest/stream", "name")}
    depth = by_path(stack, "aws_cloudwatch_metric_alarm", "jobs/dlq/depth")
    assert depth["metric_name"] == "ApproximateNumberOfMessagesVisible"
    assert depth["threshold"] == 1
    for alarm in (throttle, depth):
        assert alarm["alarm_actions"] == [topic]
        assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"


def test_ecs_cluster_has_container_insights_and_encrypted_exec_logging(dev):
    stack = dev[STACK]
    cluster = by_path(stack, "aws_ecs_cluster", "processing/cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster["setting"]
    exec_config = cluster["configuration"]["execute_command_configuration"]
    assert exec_config["kms_key_id"] == ref(stack, "aws_kms_key", "key/key", "arn")
    assert exec_config["log_configuration"]["cloud_watch_encryption_enabled"] is True


def test_processing_task_uses_two_least_privilege_roles_and_a_read_only_root(dev):
    stack = dev[STACK]
    task = by_path(stack, "aws_ecs_task_definition", "processor/definition")
    execution = ref(stack, "aws_iam_role", "processor/execution-role/role", "arn")
    task_role = ref(stack, "aws_iam_role", "processor/task-role/role", "arn")
    assert task["execution_role_arn"] == execution and task["task_role_arn"] == task_role
    assert task["requires_compatibilities"] == ["FARGATE"] and task["network_mode"] == "awsvpc"
    (container,) = json.loads(task["container_definitions"])
    assert container["readonlyRootFilesystem"] is True and container["privileged"] is False
    cluster = ref(stack, "aws_rds_cluster", "metadata/cluster", "master_user_secret")
    assert container["secrets"] == [{"name": "DB_CREDENTIALS", "valueFrom": f"{cluster[:-1]}[0].secret_arn}}"}]
    assert container["logConfiguration"]["options"]["awslogs-group"] == ref(
        stack, "aws_cloudwatch_log_group", "processing-logs/group", "name"
    )


def test_task_role_may_read_only_its_stream_and_queue(dev):
    stack = dev[STACK]
    document = by_path(stack, "aws_iam_policy", "processor/task-role/policy-permissions")["policy"]
    assert statement(document, "ReadIngestStream")["Resource"] == ref(
        stack, "aws_kinesis_stream", "ingest/stream", "arn"
    )
    assert statement(document, "ConsumeJobs")["Resource"] == ref(stack, "aws_sqs_queue", "jobs/queue", "arn")
    for item in policy(document)["Statement"]:
        assert item["Resource"] != "*"
        assert all(not action.endswith(":*") for action in item["Action"])


def test_execution_role_reads_only_the_database_secret(dev):
    stack = dev[STACK]
    document = by_path(stack, "aws_iam_policy", "processor/execution-role/policy-permissions")["policy"]
    (secret,) = statement(document, "ReadSecrets")["Resource"]
    assert secret.endswith(".master_user_secret[0].secret_arn}")
    decrypt = statement(document, "DecryptSecretsThroughSecretsManager")
    assert decrypt["Resource"] == ref(stack, "aws_kms_key", "key/key", "arn")
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"].startswith("secretsmanager.${data.aws_region.")


def test_processing_log_group_keeps_seven_days_and_says_so_at_synth(dev):
    group = by_path(dev[STACK], "aws_cloudwatch_log_group", "processing-logs/group")
    assert group["retention_in_days"] == 7
    assert group["name"] == "/streamflix/processing-dev"


def test_outputs_name_every_identifier_an_integration_test_needs(dev):
    outputs = dev[STACK]["output"]
    expected = {
        "kinesis_stream_name",
        "kinesis_stream_arn",
        "db_cluster_identifier",
        "db_cluster_endpoint",
        "dlq_url",
        "db_secret_arn",
        "vpc_id",
        "ecs_cluster_name",
        "kms_key_arn",
        "processing_log_group_name",
        "job_queue_url",
        "ecs_task_definition_arn",
        "ecs_tasks_security_group_id",
        "private_subnet_ids",
        "isolated_subnet_ids",
        "region",
    }
    assert expected <= set(outputs)
    assert outputs["db_secret_arn"]["value"].endswith(".master_user_secret[0].secret_arn}")
    assert outputs["region"]["value"] == "us-east-1"


# --- the job worker service ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "tasks", "ceiling"), [("dev", 1, 2), ("prod", 2, 10)])
def test_worker_service_runs_the_profiles_tasks_and_scales_on_the_backlog_up_to_its_ceiling(
    synthesized, profile, tasks, ceiling
):
    stack = synthesized[profile][STACK]
    service = by_path(stack, "aws_ecs_service", "processing/worker")
    assert service["desired_count"] == tasks
    target = by_path(stack, "aws_appautoscaling_target", "worker-scaling/target")
    assert (target["min_capacity"], target["max_capacity"]) == (tasks, ceiling)
    assert target["resource_id"].endswith(f"/{ref(stack, 'aws_ecs_service', 'processing/worker', 'name')}")


def test_worker_service_runs_the_task_privately_and_rolls_back_failed_deployments(dev):
    stack = dev[STACK]
    service = by_path(stack, "aws_ecs_service", "processing/worker")
    assert service["task_definition"] == ref(stack, "aws_ecs_task_definition", "processor/definition", "arn")
    network = service["network_configuration"]
    assert network["assign_public_ip"] is False
    assert network["security_groups"] == [ref(stack, "aws_security_group", "tasks/group", "id")]
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert (service["deployment_minimum_healthy_percent"], service["deployment_maximum_percent"]) == (100, 200)


def test_scaling_tracks_visible_jobs_per_running_task(dev):
    stack = dev[STACK]
    config = by_path(stack, "aws_appautoscaling_policy", "worker-scaling/backlog-per-task")[
        "target_tracking_scaling_policy_configuration"
    ]
    metrics = {query["id"]: query for query in config["customized_metric_specification"]["metrics"]}
    backlog = metrics["backlog"]["metric_stat"]["metric"]
    assert backlog["metric_name"] == "ApproximateNumberOfMessagesVisible"
    assert backlog["dimensions"] == [{"name": "QueueName", "value": ref(stack, "aws_sqs_queue", "jobs/queue", "name")}]
    assert metrics["per_task"]["return_data"] is True and config["target_value"] == 100


def test_worker_image_is_built_from_the_repository_into_the_stacks_encrypted_immutable_repository(dev):
    stack = dev[STACK]
    repository = by_path(stack, "aws_ecr_repository", "worker-images/repository")
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"] == {"scan_on_push": True}
    assert repository["encryption_configuration"] == [
        {"encryption_type": "KMS", "kms_key": ref(stack, "aws_kms_key", "key/key", "arn")}
    ]
    task = by_path(stack, "aws_ecs_task_definition", "processor/definition")
    (container,) = json.loads(task["container_definitions"])
    url = ref(stack, "aws_ecr_repository", "worker-images/repository", "repository_url")
    assert container["image"].startswith(url[:-1]) and len(container["image"].rsplit(":", 1)[1]) == 16
    assert dev[STACK]["output"]["worker_image_uri"]["value"] == container["image"]
    assert dev[STACK]["output"]["worker_image_dockerfile"]["value"] == "stacks/streamflix/worker/Dockerfile"


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_a_destroy_deletes_the_image_repository_with_its_rebuildable_images(synthesized, profile):
    repository = by_path(synthesized[profile][STACK], "aws_ecr_repository", "worker-images/repository")
    assert repository["force_delete"] is True


def test_execution_role_pulls_only_from_the_worker_repository(dev):
    stack = dev[STACK]
    document = by_path(stack, "aws_iam_policy", "processor/execution-role/policy-permissions")["policy"]
    pull = statement(document, "PullImage")
    assert pull["Resource"] == ref(stack, "aws_ecr_repository", "worker-images/repository", "arn")
    assert set(pull["Action"]) == {"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
    assert statement(document, "RegistryLogin")["Action"] == "ecr:GetAuthorizationToken"
