"""Each cdktf construct is secure with no arguments, and says so at synth when a hardened default is overridden."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cdktf
import pytest
from tfjson import by_path, policy, ref, resources, statement

from constructs_lib.policy import ConfigurationError, services

HANDLER_DIR = Path(__file__).resolve().parents[3] / "stacks" / "pci_platform" / "handler"


def _bare_stack(tmp_path_factory: pytest.TempPathFactory, profile: str = "dev") -> cdktf.TerraformStack:
    from constructs_lib.cdktf.provider import aws_provider

    app = cdktf.App(
        outdir=str(tmp_path_factory.mktemp("bare")), context={"profile": profile, "environmentSuffix": "t1"}
    )
    stack = cdktf.TerraformStack(app, "bare")
    aws_provider(stack, "us-east-1", {"System": "bare"})
    return stack


def _synth(stack: cdktf.TerraformStack) -> dict[str, Any]:
    """Synthesize the stack's app (keeping construct paths in the JSON, which Testing.synth strips)."""
    app = stack.node.root
    app.synth()
    return json.loads((Path(app.outdir) / "stacks" / stack.node.id / "cdk.tf.json").read_text())


def _warnings(construct: Any) -> list[str]:
    return [entry.data for entry in construct.node.metadata if entry.type == "@cdktf/warn"]


@pytest.fixture(scope="module")
def bare(tf_app, tmp_path_factory) -> dict[str, Any]:
    """Every construct built with nothing but what it cannot guess, in one stack."""
    from constructs_lib.cdktf.alarm_topic import AlarmTopic
    from constructs_lib.cdktf.aurora_cluster import AuroraServerlessCluster
    from constructs_lib.cdktf.container_cluster import ContainerCluster, FargateTask
    from constructs_lib.cdktf.encryption_key import EncryptionKey
    from constructs_lib.cdktf.kinesis_stream import KinesisDataStream
    from constructs_lib.cdktf.log_group import EncryptedLogGroup
    from constructs_lib.cdktf.network import Network
    from constructs_lib.cdktf.secure_bucket import SecureBucket
    from constructs_lib.cdktf.secure_function import SecureFunction
    from constructs_lib.cdktf.secure_queue import DeadLetterQueue, SecureQueue
    from constructs_lib.cdktf.service_role import ServiceRole

    stack = _bare_stack(tmp_path_factory)
    EncryptionKey(stack, "key")
    EncryptedLogGroup(stack, "logs")
    SecureBucket(stack, "bucket")
    KinesisDataStream(stack, "stream")
    SecureQueue(stack, "queue")
    DeadLetterQueue(stack, "dlq")
    AlarmTopic(stack, "topic")
    network = Network(stack, "net")
    AuroraServerlessCluster(stack, "db", network=network)
    ContainerCluster(stack, "ecs")
    FargateTask(stack, "task", image="public.ecr.aws/docker/library/busybox:latest", command=["true"])
    SecureFunction(stack, "fn", code_path=str(HANDLER_DIR), handler="app.handler")
    ServiceRole(stack, "role", service="states.amazonaws.com")
    return _synth(stack)


def test_key_rotates_and_its_policy_comes_from_data_sources(bare):
    key = by_path(bare, "aws_kms_key", "bare/key/key")
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 7
    sids = [s["Sid"] for s in policy(key["policy"])["Statement"]]
    assert sids == [
        "EnableIamPoliciesOfThisAccount",
        "AllowCloudWatchLogsInThisAccount",
        "AllowCloudWatchAlarmsToPublish",
    ]
    assert "alias" not in json.dumps(resources(bare, "aws_kms_alias"))


def test_log_group_without_a_key_gets_its_own_and_application_retention(bare):
    group = by_path(bare, "aws_cloudwatch_log_group", "bare/logs/group")
    assert group["kms_key_id"] == ref(bare, "aws_kms_key", "logs/key/key", "arn")
    assert group["retention_in_days"] == 14 and group["skip_destroy"] is False
    assert group["name"] == "/bare/logs-t1"


def test_bucket_without_arguments_gets_a_key_and_an_access_log_bucket(bare):
    (rule,) = by_path(bare, "aws_s3_bucket_server_side_encryption_configuration", "bare/bucket/encryption")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["kms_master_key_id"] == ref(
        bare, "aws_kms_key", "bucket/key/key", "arn"
    )
    logging = by_path(bare, "aws_s3_bucket_logging", "bare/bucket/logging")
    assert logging["target_bucket"] == ref(bare, "aws_s3_bucket", "bucket/access-logs/bucket", "id")
    assert by_path(bare, "aws_s3_bucket", "bucket/access-logs/bucket")["bucket"].startswith("bucket-logs-t1-")


def test_stream_queue_and_topic_without_a_key_each_get_one(bare):
    assert by_path(bare, "aws_kinesis_stream", "bare/stream/stream")["kms_key_id"] == ref(
        bare, "aws_kms_key", "stream/key/key", "arn"
    )
    assert by_path(bare, "aws_sqs_queue", "bare/queue/queue")["kms_master_key_id"] == ref(
        bare, "aws_kms_key", "queue/key/key", "arn"
    )
    assert by_path(bare, "aws_sqs_queue", "bare/dlq/queue")["kms_master_key_id"] == ref(
        bare, "aws_kms_key", "dlq/key/key", "arn"
    )
    assert by_path(bare, "aws_sns_topic", "bare/topic/topic")["kms_master_key_id"] == ref(
        bare, "aws_kms_key", "topic/key/key", "arn"
    )


def test_every_queue_denies_requests_without_tls(bare):
    for body in resources(bare, "aws_sqs_queue_policy").values():
        deny = statement(body["policy"], "DenyRequestsWithoutTls")
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_network_spans_two_azs_from_the_data_source_and_strips_the_default_security_group(bare):
    zones = {
        by_path(bare, "aws_subnet", f"bare/net/{tier}-{i}")["availability_zone"]
        for tier in ("public", "private", "isolated")
        for i in range(2)
    }
    (azs,) = [name for name in bare["data"]["aws_availability_zones"] if name.startswith("net_")]
    assert zones == {f"${{element(data.aws_availability_zones.{azs}.names, {i})}}" for i in range(2)}
    default_sg = by_path(bare, "aws_default_security_group", "bare/net/default-sg")
    assert "ingress" not in default_sg and "egress" not in default_sg
    for index in range(2):
        assert by_path(bare, "aws_subnet", f"bare/net/public-{index}")["map_public_ip_on_launch"] is False


def test_network_has_an_isolated_subnet_per_az_in_its_policy_slot_with_its_own_route_table(bare):
    for index in range(2):
        subnet = by_path(bare, "aws_subnet", f"bare/net/isolated-{index}")
        assert subnet["cidr_block"] == f"10.0.{services.SUBNET_TIER_SLOTS['isolated'] + index}.0/24"
        assert subnet["tags"]["Tier"] == "isolated"
        association = by_path(bare, "aws_route_table_association", f"bare/net/isolated-{index}-routes-association")
        assert association["subnet_id"] == ref(bare, "aws_subnet", f"bare/net/isolated-{index}", "id")
        assert association["route_table_id"] == ref(bare, "aws_route_table", f"bare/net/isolated-{index}-routes", "id")


def test_network_isolated_route_tables_have_no_route_but_the_local_one(bare):
    tables = {ref(bare, "aws_route_table", f"bare/net/isolated-{i}-routes", "id") for i in range(2)}
    routes = resources(bare, "aws_route").values()
    assert routes, "the public and private tiers have routes: the filter below reads real ones"
    assert not [r for r in routes if r["route_table_id"] in tables]
    for index in range(2):
        assert "route" not in by_path(bare, "aws_route_table", f"bare/net/isolated-{index}-routes")


def test_network_in_dev_has_one_nat_gateway_shared_by_both_private_subnets(bare):
    assert len([n for n in resources(bare, "aws_nat_gateway") if n.startswith("net_")]) == 1
    nat = ref(bare, "aws_nat_gateway", "bare/net/nat-0", "id")
    for index in range(2):
        assert by_path(bare, "aws_route", f"bare/net/private-{index}-egress")["nat_gateway_id"] == nat


def test_flow_log_role_writes_only_its_log_group(bare):
    document = by_path(bare, "aws_iam_policy", "bare/net/flow-log-role/policy-permissions")["policy"]
    (only,) = policy(document)["Statement"]
    group_arn = ref(bare, "aws_cloudwatch_log_group", "bare/net/flow-logs/group", "arn")
    assert only["Resource"] == [group_arn, f"{group_arn}:*"]
    trust = policy(by_path(bare, "aws_iam_role", "bare/net/flow-log-role/role")["assume_role_policy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Statement"][0]["Condition"]["StringEquals"]


def test_aurora_without_a_key_encrypts_with_its_own_and_monitors_through_an_attached_policy(bare):
    cluster = by_path(bare, "aws_rds_cluster", "bare/db/cluster")
    own_key = ref(bare, "aws_kms_key", "db/key/key", "arn")
    assert cluster["kms_key_id"] == own_key and cluster["master_user_secret_kms_key_id"] == own_key
    attachment = by_path(
        bare, "aws_iam_role_policy_attachment", "db/monitoring-role/managed-AmazonRDSEnhancedMonitoringRole"
    )
    assert attachment["policy_arn"].endswith(":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
    writer = by_path(bare, "aws_rds_cluster_instance", "bare/db/writer")
    assert writer["performance_insights_kms_key_id"] == own_key and writer["monitoring_interval"] == 60
    assert writer["identifier"] == "db-writer-t1" and writer["ca_cert_identifier"] == "rds-ca-rsa2048-g1"
    assert by_path(bare, "aws_cloudwatch_log_group", "bare/db/postgresql-logs/group")["retention_in_days"] == 365


def test_fargate_task_without_secrets_gets_no_secret_permissions(bare):
    document = by_path(bare, "aws_iam_policy", "bare/task/execution-role/policy-permissions")["policy"]
    assert [s["Sid"] for s in policy(document)["Statement"]] == ["WriteTaskLogs"]
    assert not [p for p in resources(bare, "aws_iam_policy") if p.startswith("task_task-role")]
    definition = by_path(bare, "aws_ecs_task_definition", "bare/task/definition")
    (container,) = json.loads(definition["container_definitions"])
    assert container["command"] == ["true"] and container["secrets"] == []
    assert container["user"] == "1000:1000" and container["readonlyRootFilesystem"] is True
    assert definition["runtime_platform"]["cpu_architecture"] == "ARM64"


# --- overrides are applied and reported; impossible values fail at synth ----------------------------------------


def test_overriding_a_hardened_default_is_applied_and_warned(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.encryption_key import EncryptionKey
    from constructs_lib.cdktf.log_group import EncryptedLogGroup

    stack = _bare_stack(tmp_path_factory)
    key = EncryptionKey(stack, "key", alias="audit", enable_key_rotation=False)
    same = EncryptedLogGroup(stack, "same", encryption_key=key, retention_in_days=14)
    synthesized = _synth(stack)
    assert by_path(synthesized, "aws_kms_key", "bare/key/key")["enable_key_rotation"] is False
    (warning,) = _warnings(key)
    assert "'enable_key_rotation' overrides the hardened default True with False" in warning
    assert _warnings(same) == [], "re-stating the default is not an override"
    assert by_path(synthesized, "aws_kms_alias", "bare/key/alias")["name"] == "alias/audit-t1"


def test_network_overrides_shape_the_vpc(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.network import Network

    stack = _bare_stack(tmp_path_factory, profile="prod")
    network = Network(stack, "net", cidr_block="10.20.0.0/16", nat_gateways=0)
    synthesized = _synth(stack)
    assert by_path(synthesized, "aws_vpc", "bare/net/vpc")["cidr_block"] == "10.20.0.0/16"
    assert by_path(synthesized, "aws_subnet", "bare/net/private-1")["cidr_block"] == "10.20.11.0/24"
    assert by_path(synthesized, "aws_subnet", "bare/net/isolated-1")["cidr_block"] == "10.20.21.0/24"
    assert not resources(synthesized, "aws_nat_gateway")
    assert len(_warnings(network)) == 2


def test_prod_network_has_a_nat_gateway_per_az_and_retained_log_groups(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.network import Network

    stack = _bare_stack(tmp_path_factory, profile="prod")
    Network(stack, "net")
    synthesized = _synth(stack)
    assert len(resources(synthesized, "aws_nat_gateway")) == 2
    assert by_path(synthesized, "aws_cloudwatch_log_group", "bare/net/flow-logs/group")["skip_destroy"] is True


def test_each_nat_address_carries_its_own_name_so_a_stray_one_is_adopted_as_the_right_one(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.network import Network

    stack = _bare_stack(tmp_path_factory, profile="prod")
    Network(stack, "net")
    synthesized = _synth(stack)
    names = [by_path(synthesized, "aws_eip", f"bare/net/nat-{index}-ip")["tags"]["Name"] for index in range(2)]
    assert names == ["bare/net-nat-0", "bare/net-nat-1"]


@pytest.mark.parametrize("days", [0, 30])
def test_bucket_expiration_must_come_after_the_infrequent_access_transition(tf_app, tmp_path_factory, days):
    from constructs_lib.cdktf.secure_bucket import SecureBucket

    with pytest.raises(ConfigurationError) as error:
        SecureBucket(_bare_stack(tmp_path_factory), "bucket", expiration_days=days)
    assert error.value.field == "expiration_days"


def test_log_retention_cloudwatch_rejects_fails_at_synth(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.log_group import EncryptedLogGroup

    with pytest.raises(ConfigurationError) as error:
        EncryptedLogGroup(_bare_stack(tmp_path_factory), "logs", retention_in_days=10)
    assert error.value.field == "retention_in_days"


def test_bucket_name_that_cannot_fit_fails_naming_the_suffix(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.secure_bucket import SecureBucket

    with pytest.raises(ConfigurationError) as error:
        SecureBucket(_bare_stack(tmp_path_factory), "bucket", name_prefix="a-very-long-bucket-base-name-for-data")
    assert error.value.field == "environment_suffix"


def test_unknown_log_purpose_fails_naming_the_purposes(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.log_group import EncryptedLogGroup

    with pytest.raises(ConfigurationError) as error:
        EncryptedLogGroup(_bare_stack(tmp_path_factory), "logs", purpose="forever")
    assert error.value.field == "log_purpose"


def test_stream_without_a_topic_alarms_to_an_encrypted_topic_of_its_own(bare):
    alarm = by_path(bare, "aws_cloudwatch_metric_alarm", "bare/stream/write-throttled")
    topic = ref(bare, "aws_sns_topic", "bare/stream/alarms/topic", "arn")
    assert alarm["alarm_actions"] == [topic] and alarm["ok_actions"] == [topic]
    assert alarm["treat_missing_data"] == "notBreaching"
    assert by_path(bare, "aws_sns_topic", "bare/stream/alarms/topic")["name"] == "stream-alarms-t1"


def test_dead_letter_queue_without_a_topic_alarms_without_actions(bare):
    alarm = by_path(bare, "aws_cloudwatch_metric_alarm", "bare/dlq/depth")
    assert alarm["alarm_actions"] == [] and alarm["threshold"] == 1


def test_topic_policy_denies_plain_http_and_admits_only_this_accounts_alarms(bare):
    topic = by_path(bare, "aws_sns_topic", "bare/topic/topic")
    assert topic["signature_version"] == 2
    document = by_path(bare, "aws_sns_topic_policy", "bare/topic/policy")["policy"]
    assert statement(document, "DenyPublishWithoutTls")["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    alarms = statement(document, "AllowCloudWatchAlarmsInThisAccount")
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"]["StringEquals"]["aws:SourceAccount"].startswith("${data.aws_caller_identity.")


def test_function_without_a_network_or_role_gets_its_own_private_ones(bare):
    function = by_path(bare, "aws_lambda_function", "bare/fn/function")
    assert function["role"] == ref(bare, "aws_iam_role", "bare/fn/role/role", "arn")
    assert function["vpc_config"]["subnet_ids"] == [
        ref(bare, "aws_subnet", f"bare/fn/network/private-{i}", "id") for i in range(2)
    ]
    assert "environment" not in function
    trust = policy(by_path(bare, "aws_iam_role", "bare/fn/role/role")["assume_role_policy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert "Condition" not in trust["Statement"][0]
    assert by_path(bare, "aws_sqs_queue", "bare/fn/dlq/queue")["message_retention_seconds"] == 1209600


def test_function_role_gets_its_permissions_from_one_attached_customer_managed_policy(bare):
    document = by_path(bare, "aws_iam_policy", "bare/fn/role/policy-fn-runtime")["policy"]
    logs = statement(document, "WriteOwnLogGroup")
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == ref(bare, "aws_cloudwatch_log_group", "bare/fn/logs/group", "arn") + ":*"
    dlq_arn = ref(bare, "aws_sqs_queue", "bare/fn/dlq/queue", "arn")
    assert statement(document, "DeadLetterFailedEvents")["Resource"] == dlq_arn
    attachment = by_path(bare, "aws_iam_role_policy_attachment", "bare/fn/role/policy-fn-runtime-attachment")
    assert attachment["policy_arn"] == ref(bare, "aws_iam_policy", "bare/fn/role/policy-fn-runtime", "arn")
    function = by_path(bare, "aws_lambda_function", "bare/fn/function")
    assert any("fn_role_policy-fn-runtime-attachment" in dep for dep in function["depends_on"])
    assert not resources(bare, "aws_iam_role_policy"), "no inline policies anywhere"


def test_function_without_a_topic_alarms_to_one_topic_of_its_own(bare):
    topic_arn = ref(bare, "aws_sns_topic", "bare/fn/alarms/topic", "arn")
    for alarm in ("bare/fn/errors-alarm", "bare/fn/throttles-alarm", "bare/fn/dlq/depth"):
        found = by_path(bare, "aws_cloudwatch_metric_alarm", alarm)
        assert found["alarm_actions"] == found["ok_actions"] == [topic_arn]


def test_role_without_statements_has_no_policy(bare):
    assert not [name for name in resources(bare, "aws_iam_policy") if name.startswith("role_")]
    assert by_path(bare, "aws_iam_role", "bare/role/role")["name"] == "bare-role-t1"


def test_aurora_refuses_a_master_password_and_impossible_reader_counts(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.aurora_cluster import AuroraServerlessCluster

    with pytest.raises(ConfigurationError) as error:
        AuroraServerlessCluster(_bare_stack(tmp_path_factory), "db", master_password="hunter2hunter2")
    assert error.value.field == "master_password" and "hunter2" not in str(error.value)
    with pytest.raises(ConfigurationError) as error:
        AuroraServerlessCluster(_bare_stack(tmp_path_factory), "db", readers=16)
    assert error.value.field == "readers"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"min_capacity": 4, "max_capacity": 2}, "max_capacity"),
        ({"seconds_until_auto_pause": 60}, "seconds_until_auto_pause"),
    ],
)
def test_aurora_capacity_aurora_would_refuse_fails_at_synth(tf_app, tmp_path_factory, overrides, field):
    from constructs_lib.cdktf.aurora_cluster import AuroraServerlessCluster

    with pytest.raises(ConfigurationError) as error:
        AuroraServerlessCluster(_bare_stack(tmp_path_factory), "db", **overrides)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"serverlessv2_scaling_configuration": {"min_capacity": 1}}, "serverlessv2_scaling_configuration"),
        ({"instance_props": {"promotion_tier": 3}}, "instance_props.promotion_tier"),
        ({"instance_props": {"identifier": "mine"}}, "instance_props.identifier"),
    ],
)
def test_aurora_refuses_what_it_sets_from_its_own_arguments(tf_app, tmp_path_factory, overrides, field):
    from constructs_lib.cdktf.aurora_cluster import AuroraServerlessCluster

    with pytest.raises(ConfigurationError) as error:
        AuroraServerlessCluster(_bare_stack(tmp_path_factory), "db", **overrides)
    assert error.value.field == field


def test_prod_aurora_instance_props_reach_the_writer_and_the_reader_and_are_reported(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.aurora_cluster import AuroraServerlessCluster

    stack = _bare_stack(tmp_path_factory, profile="prod")
    db = AuroraServerlessCluster(stack, "db", instance_props={"performance_insights_retention_period": 31})
    instances = resources(_synth(stack), "aws_rds_cluster_instance").values()
    assert [i["performance_insights_retention_period"] for i in instances] == [31, 31]
    (warning,) = [w for w in _warnings(db) if "instance_props" in w]
    prop, default = "instance_props.performance_insights_retention_period", services.PERFORMANCE_INSIGHTS_RETENTION_DAYS
    assert f"'{prop}' overrides the hardened default {default} with 31" in warning


def test_prod_aurora_with_fewer_readers_than_the_profile_is_reported(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.aurora_cluster import AuroraServerlessCluster

    stack = _bare_stack(tmp_path_factory, profile="prod")
    db = AuroraServerlessCluster(stack, "db", readers=0, parameters={"log_min_duration_statement": "500"})
    synthesized = _synth(stack)
    assert [i["identifier"] for i in resources(synthesized, "aws_rds_cluster_instance").values()] == ["db-writer-t1"]
    warnings = " ".join(_warnings(db))
    assert "'readers' overrides the hardened default 1 with 0" in warnings
    assert "'log_min_duration_statement'" in warnings
    statements = db.secret_read_statements()
    assert [s["Sid"] for s in statements] == ["ReadSecrets", "DecryptSecretsThroughSecretsManager"]


def test_bucket_refuses_object_lock(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.secure_bucket import SecureBucket

    with pytest.raises(ConfigurationError) as error:
        SecureBucket(_bare_stack(tmp_path_factory), "bucket", object_lock_enabled=True)
    assert error.value.field == "object_lock_enabled"


def test_policy_statements_are_exposed_as_copies(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.encryption_key import EncryptionKey
    from constructs_lib.cdktf.secure_bucket import AccessLogBucket

    stack = _bare_stack(tmp_path_factory)
    bucket, key = AccessLogBucket(stack, "logs"), EncryptionKey(stack, "key")
    bucket.statements.append({"Sid": "Injected"})
    key.statements.append({"Sid": "Injected"})
    assert [s["Sid"] for s in bucket.statements] == ["DenyRequestsWithoutTls", "DenyOutdatedTls"]
    assert "Injected" not in [s["Sid"] for s in key.statements]
    assert key.key_id.startswith("${TfToken")


def test_a_policy_name_iam_would_refuse_fails_at_synth(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.service_role import ServiceRole

    role = ServiceRole(_bare_stack(tmp_path_factory), "role", service="states.amazonaws.com")
    with pytest.raises(ConfigurationError) as error:
        role.add_statements("x" * 120, [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])
    assert error.value.field == "policy_name"
    assert role.name.startswith("${TfToken")


@pytest.mark.parametrize(
    ("policy_runtime", "rendered", "warned"), [("python3.12", "python3.12", False), ("python3.99", "python3.13", True)]
)
def test_function_runtime_is_one_the_pinned_provider_accepts(
    tf_app, tmp_path_factory, monkeypatch, policy_runtime, rendered, warned
):
    from constructs_lib.cdktf.secure_function import SecureFunction
    from constructs_lib.policy import services

    monkeypatch.setattr(services, "LAMBDA_RUNTIME", policy_runtime)
    stack = _bare_stack(tmp_path_factory)
    function = SecureFunction(stack, "fn", code_path=str(HANDLER_DIR), handler="app.handler")
    assert by_path(_synth(stack), "aws_lambda_function", "bare/fn/function")["runtime"] == rendered
    assert bool([w for w in _warnings(function) if "hardened:runtime" in w]) is warned


def test_queue_and_cluster_expose_their_names(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.container_cluster import ContainerCluster
    from constructs_lib.cdktf.secure_queue import SecureQueue

    stack = _bare_stack(tmp_path_factory)
    queue, cluster = SecureQueue(stack, "jobs"), ContainerCluster(stack, "ecs")
    for name, value in {"queue": queue.name, "dlq": queue.dead_letter.name, "cluster": cluster.arn}.items():
        cdktf.TerraformOutput(stack, name, value=value)
    synthesized = _synth(stack)
    assert synthesized["output"]["queue"]["value"] == ref(synthesized, "aws_sqs_queue", "bare/jobs/queue", "name")
    assert synthesized["output"]["dlq"]["value"] == ref(synthesized, "aws_sqs_queue", "bare/jobs/dlq/queue", "name")
    assert synthesized["output"]["cluster"]["value"] == ref(synthesized, "aws_ecs_cluster", "bare/ecs/cluster", "arn")
    assert by_path(synthesized, "aws_sqs_queue", "bare/jobs/queue")["name"] == "jobs-t1"
    assert by_path(synthesized, "aws_sqs_queue", "bare/jobs/dlq/queue")["name"] == "jobs-dlq-t1"


def test_a_prebuilt_worker_image_is_used_and_pulled_from_its_own_repository() -> None:
    from cdktf import App, Testing

    from stacks.streamflix.stack import StreamFlixStack

    reference = "123456789012.dkr.ecr.us-east-1.amazonaws.com/video/worker:2.0.1"
    app = App(context={"profile": "dev", "environmentSuffix": "img", "processorImage": reference})
    stack = StreamFlixStack(app, "streamflix")
    synthesized = json.loads(Testing.synth(stack))
    (task,) = synthesized["resource"]["aws_ecs_task_definition"].values()
    assert json.loads(task["container_definitions"])[0]["image"] == reference
    assert "arn:aws:ecr:us-east-1:123456789012:repository/video/worker" in json.dumps(synthesized["resource"])


def test_a_prebuilt_worker_image_without_a_tag_is_refused_naming_the_setting() -> None:
    from cdktf import App

    from stacks.streamflix.stack import StreamFlixStack

    with pytest.raises(ConfigurationError, match="processorImage='video/worker' is not allowed"):
        StreamFlixStack(App(context={"profile": "dev", "processorImage": "video/worker"}), "streamflix")
