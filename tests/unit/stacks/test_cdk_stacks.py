"""The three CDK stacks, as synthesized by the app in each profile (once per session, cdk-nag packs included)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from constructs_lib.policy import engines, retention, services
from stacks.healthcare_pipeline import stack as healthcare_stack

STACKS = ("IotPlatform", "HealthcarePipeline", "StreamProcessor")


def only(template: Template, resource_type: str, props: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one resource of ``resource_type`` matching ``props``."""
    found = template.find_resources(resource_type, {"Properties": Match.object_like(props or {})})
    assert len(found) == 1, f"expected one {resource_type} matching {props}, found {len(found)}"
    return next(iter(found.values()))


def key_arn(template: Template, description: str) -> dict[str, Any]:
    keys = template.find_resources(
        "AWS::KMS::Key", {"Properties": {"Description": Match.string_like_regexp(description)}}
    )
    assert len(keys) == 1
    return {"Fn::GetAtt": [next(iter(keys)), "Arn"]}


@pytest.fixture(scope="module", params=["dev", "prod"])
def synthesized(request: pytest.FixtureRequest):
    return request.param, request.getfixturevalue(f"{request.param}_app")


# --- every stack ----------------------------------------------------------------------------------------------------


def test_app_has_the_three_stacks_named_with_the_suffix(dev_app) -> None:
    assert sorted(dev_app.stacks) == sorted(STACKS)
    assert {stack.stack_name for stack in dev_app.stacks.values()} == {f"{name}-t-dev" for name in STACKS}


@pytest.mark.parametrize("stack_id", STACKS)
def test_no_log_retention_custom_resource_anywhere(dev_app, stack_id: str) -> None:
    assert dev_app.template(stack_id).find_resources("Custom::LogRetention") == {}


@pytest.mark.parametrize("stack_id", STACKS)
def test_every_log_group_is_encrypted_and_has_a_retention(synthesized, stack_id: str) -> None:
    _, app = synthesized
    groups = app.template(stack_id).find_resources("AWS::Logs::LogGroup")
    assert groups
    for group in groups.values():
        assert "KmsKeyId" in group["Properties"] and group["Properties"]["RetentionInDays"] > 0


@pytest.mark.parametrize("stack_id", STACKS)
def test_every_key_rotates_and_lets_cloudwatch_logs_use_it(dev_app, stack_id: str) -> None:
    for key in dev_app.template(stack_id).find_resources("AWS::KMS::Key").values():
        assert key["Properties"]["EnableKeyRotation"] is True
        sids = {statement.get("Sid") for statement in key["Properties"]["KeyPolicy"]["Statement"]}
        assert "AllowCloudWatchLogsInThisAccount" in sids


@pytest.mark.parametrize("stack_id", STACKS)
def test_vpc_flow_logs_capture_all_traffic(dev_app, stack_id: str) -> None:
    only(dev_app.template(stack_id), "AWS::EC2::FlowLog", {"TrafficType": "ALL", "ResourceType": "VPC"})


@pytest.mark.parametrize("stack_id", STACKS)
def test_stream_is_encrypted_with_the_stacks_key(dev_app, stack_id: str) -> None:
    template = dev_app.template(stack_id)
    stream = only(template, "AWS::Kinesis::Stream")
    encryption = stream["Properties"]["StreamEncryption"]
    assert encryption["EncryptionType"] == "KMS"
    assert encryption["KeyId"] == key_arn(template, r"\(t-dev\)")


@pytest.mark.parametrize("stack_id", STACKS)
def test_prod_stack_has_termination_protection_dev_does_not(dev_app, prod_app, stack_id: str) -> None:
    assert prod_app.stacks[stack_id].termination_protection
    assert not dev_app.stacks[stack_id].termination_protection


@pytest.mark.parametrize("stack_id", STACKS)
def test_dev_deletes_every_data_store_prod_snapshots_or_retains(dev_app, prod_app, stack_id: str) -> None:
    stores = ("AWS::RDS::DBCluster", "AWS::RDS::DBInstance", "AWS::ElastiCache::ReplicationGroup", "AWS::KMS::Key")
    for store in stores:
        for logical_id, resource in dev_app.template(stack_id).find_resources(store).items():
            assert resource.get("DeletionPolicy", "Delete") == "Delete", logical_id
        for logical_id, resource in prod_app.template(stack_id).find_resources(store).items():
            if store == "AWS::RDS::DBInstance" and "DBClusterIdentifier" in resource["Properties"]:
                continue  # Aurora members: the cluster holds the data and takes the snapshot
            assert resource["DeletionPolicy"] in {"Snapshot", "Retain"}, logical_id


# --- IoT platform -----------------------------------------------------------------------------------------------


def test_iot_telemetry_stream_has_two_shards(dev_app) -> None:
    only(dev_app.template("IotPlatform"), "AWS::Kinesis::Stream", {"ShardCount": 2, "Name": "iot-telemetry-t-dev"})


def test_iot_aurora_is_serverless_v2_on_the_policy_engine_with_30_day_backups(synthesized) -> None:
    profile, app = synthesized
    template = app.template("IotPlatform")
    aurora = engines.engine("aurora-postgresql")
    cluster = only(
        template,
        "AWS::RDS::DBCluster",
        {
            "Engine": aurora.engine,
            "EngineVersion": aurora.version,
            "StorageEncrypted": True,
            "ManageMasterUserPassword": True,
            "BackupRetentionPeriod": retention.DATABASE_BACKUP_RETENTION_DAYS,
        },
    )
    scaling = cluster["Properties"]["ServerlessV2ScalingConfiguration"]
    if profile == "dev":
        assert scaling["MinCapacity"] == 0 and scaling["SecondsUntilAutoPause"] > 0
    else:
        assert scaling["MinCapacity"] == 0.5 and "SecondsUntilAutoPause" not in scaling
    assert "MasterUserPassword" not in cluster["Properties"]


def test_iot_aurora_cluster_always_has_a_writer_instance(synthesized) -> None:
    profile, app = synthesized
    template = app.template("IotPlatform")
    cluster_id = next(iter(template.find_resources("AWS::RDS::DBCluster")))
    members = template.find_resources(
        "AWS::RDS::DBInstance", {"Properties": Match.object_like({"DBClusterIdentifier": {"Ref": cluster_id}})}
    )
    assert len(members) == (1 if profile == "dev" else 2)
    assert all(member["Properties"]["DBInstanceClass"] == "db.serverless" for member in members.values())


def test_iot_redis_encrypts_in_transit_and_at_rest_with_an_auth_token_from_secrets_manager(synthesized) -> None:
    profile, app = synthesized
    template = app.template("IotPlatform")
    group = only(
        template,
        "AWS::ElastiCache::ReplicationGroup",
        {"TransitEncryptionEnabled": True, "AtRestEncryptionEnabled": True, "Engine": "redis"},
    )
    props = group["Properties"]
    assert props["KmsKeyId"] == key_arn(template, r"IoT platform")
    assert "{{resolve:secretsmanager:" in props["AuthToken"]["Fn::Join"][1][0]
    assert {config["LogType"] for config in props["LogDeliveryConfigurations"]} == {"slow-log", "engine-log"}
    assert props["MultiAZEnabled"] is (profile == "prod")


def test_iot_only_the_processor_tasks_reach_the_database_and_the_cache(dev_app) -> None:
    template = dev_app.template("IotPlatform")
    rules = template.find_resources("AWS::EC2::SecurityGroupIngress")
    reached = {
        (
            rule["Properties"]["FromPort"],
            re.sub(r"[0-9A-F]{8}$", "", rule["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0]),
        )
        for rule in rules.values()
    }
    assert {(5432, "ProcessorTasks"), (6379, "ProcessorTasks")} <= reached
    assert all(source == "ProcessorTasks" for port, source in reached if port in (5432, 6379))
    assert all("CidrIp" not in rule["Properties"] for rule in rules.values())


def test_iot_ecs_cluster_has_container_insights(dev_app) -> None:
    only(
        dev_app.template("IotPlatform"),
        "AWS::ECS::Cluster",
        {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
    )


def test_iot_application_logs_are_kept_fourteen_days(dev_app) -> None:
    template = dev_app.template("IotPlatform")
    task = only(template, "AWS::ECS::TaskDefinition")
    log_group_ref = task["Properties"]["ContainerDefinitions"][0]["LogConfiguration"]["Options"]["awslogs-group"]
    log_group = template.to_json()["Resources"][log_group_ref["Ref"]]
    assert log_group["Properties"]["RetentionInDays"] == retention.log_retention_days("application") == 14


def test_iot_outputs_every_identifier_a_test_needs(dev_app) -> None:
    outputs = set(dev_app.template("IotPlatform").to_json()["Outputs"])
    assert {
        "TelemetryStreamName",
        "AuroraClusterIdentifier",
        "AuroraClusterEndpoint",
        "AuroraSecretArn",
        "RedisReplicationGroupId",
        "RedisPrimaryEndpoint",
        "RedisAuthSecretArn",
        "EcsClusterName",
        "VpcId",
        "KmsKeyArn",
        "FlowLogGroupName",
        "AlarmTopicArn",
    } <= outputs


# --- HIPAA healthcare pipeline ----------------------------------------------------------------------------------


def test_healthcare_is_deployed_in_eu_west_2(dev_app) -> None:
    assert dev_app.stacks["HealthcarePipeline"].region == "eu-west-2"


def test_healthcare_database_is_multi_az_postgres_on_the_policy_version_in_every_profile(synthesized) -> None:
    profile, app = synthesized
    template = app.template("HealthcarePipeline")
    postgres = engines.engine("postgres")
    instance = only(
        template,
        "AWS::RDS::DBInstance",
        {"Engine": "postgres", "EngineVersion": postgres.version, "MultiAZ": True, "StorageEncrypted": True},
    )
    props = instance["Properties"]
    assert props["KmsKeyId"] == key_arn(template, "PHI")
    assert props["PubliclyAccessible"] is False and props["ManageMasterUserPassword"] is True
    assert props["DeletionProtection"] is (profile == "prod")
    assert instance.get("DeletionPolicy", "Delete") == ("Snapshot" if profile == "prod" else "Delete")


def test_healthcare_database_forces_tls(dev_app) -> None:
    only(dev_app.template("HealthcarePipeline"), "AWS::RDS::DBParameterGroup", {"Parameters": {"rds.force_ssl": "1"}})


def test_healthcare_audit_log_is_kept_a_year_under_the_phi_key(dev_app) -> None:
    template = dev_app.template("HealthcarePipeline")
    only(
        template,
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/healthcare/audit-t-dev", "RetentionInDays": 365, "KmsKeyId": key_arn(template, "PHI")},
    )


def test_healthcare_key_policy_names_the_eu_west_2_logs_service(dev_app) -> None:
    template = dev_app.template("HealthcarePipeline")
    only(
        template,
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [Match.object_like({"Principal": {"Service": "logs.eu-west-2.amazonaws.com"}})]
                )
            }
        },
    )


def test_healthcare_outputs(dev_app) -> None:
    outputs = set(dev_app.template("HealthcarePipeline").to_json()["Outputs"])
    assert {
        "KmsKeyArn",
        "PatientStreamName",
        "AuditLogGroupName",
        "DatabaseEndpoint",
        "DatabaseSecretArn",
        "DatabaseIdentifier",
        "VpcId",
    } <= outputs


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def healthcare_consumer(template: Template) -> tuple[str, dict[str, Any]]:
    """The patient consumer's logical id and resource."""
    found = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": healthcare_stack.CONSUMER_HANDLER}}
    )
    assert len(found) == 1
    return next(iter(found.items()))


def logical_id(template: Template, resource_type: str, props: dict[str, Any]) -> str:
    found = template.find_resources(resource_type, {"Properties": Match.object_like(props)})
    assert len(found) == 1, f"expected one {resource_type} matching {props}, found {len(found)}"
    return next(iter(found))


def test_healthcare_consumer_reads_the_patient_stream_with_bisect_on_error_and_an_on_failure_queue(dev_app) -> None:
    template = dev_app.template("HealthcarePipeline")
    function_id, _ = healthcare_consumer(template)
    stream_id = logical_id(template, "AWS::Kinesis::Stream", {"Name": "patient-data-t-dev"})
    failure_queue_id = logical_id(template, "AWS::SQS::Queue", {"QueueName": "patient-consumer-stream-dlq-t-dev"})
    only(
        template,
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionName": {"Ref": function_id},
            "EventSourceArn": {"Fn::GetAtt": [stream_id, "Arn"]},
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": services.STREAM_MAX_RETRY_ATTEMPTS,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [failure_queue_id, "Arn"]}}},
        },
    )


def test_healthcare_consumer_environment_names_the_database_and_the_audit_log_group(dev_app) -> None:
    template = dev_app.template("HealthcarePipeline")
    _, function = healthcare_consumer(template)
    database_id = logical_id(template, "AWS::RDS::DBInstance", {"Engine": "postgres"})
    audit_id = logical_id(template, "AWS::Logs::LogGroup", {"LogGroupName": "/healthcare/audit-t-dev"})
    assert function["Properties"]["Environment"]["Variables"] == {
        "DB_HOST": {"Fn::GetAtt": [database_id, "Endpoint.Address"]},
        "DB_PORT": {"Fn::GetAtt": [database_id, "Endpoint.Port"]},
        "DB_NAME": template.to_json()["Resources"][database_id]["Properties"]["DBName"],
        "DB_SECRET_ARN": {"Fn::GetAtt": [database_id, "MasterUserSecret.SecretArn"]},
        "AUDIT_LOG_GROUP": {"Ref": audit_id},
        "AUDIT_LOG_STREAM": healthcare_stack.AUDIT_LOG_STREAM,
    }


def test_healthcare_consumer_role_writes_to_the_audit_log_group_and_nowhere_else_in_logs(dev_app) -> None:
    template = dev_app.template("HealthcarePipeline")
    _, function = healthcare_consumer(template)
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    audit_id = logical_id(template, "AWS::Logs::LogGroup", {"LogGroupName": "/healthcare/audit-t-dev"})
    own_logs = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert "Policies" not in template.to_json()["Resources"][role]["Properties"]  # every grant is in a policy below
    statements = [
        statement
        for kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")
        for policy in template.find_resources(kind).values()
        if {"Ref": role} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    logs = [s for s in statements if any(a.startswith("logs:") for a in as_list(s["Action"]))]
    # The audit group, and the function's own log group its runtime writes to: no other group, no wildcard.
    assert len(logs) == 2
    assert {str(s["Resource"]): sorted(as_list(s["Action"])) for s in logs} == {
        str({"Fn::GetAtt": [group, "Arn"]}): ["logs:CreateLogStream", "logs:PutLogEvents"]
        for group in (audit_id, own_logs)
    }


def test_healthcare_consumer_runs_in_the_private_subnets_and_alone_reaches_the_database(dev_app) -> None:
    template = dev_app.template("HealthcarePipeline")
    _, function = healthcare_consumer(template)
    subnets = {ref["Ref"] for ref in function["Properties"]["VpcConfig"]["SubnetIds"]}
    private = set(
        template.find_resources(
            "AWS::EC2::Subnet",
            {"Properties": {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-name", "Value": "private"}])}},
        )
    )
    assert len(private) == services.NETWORK_AZ_COUNT and subnets == private
    consumer_group = function["Properties"]["VpcConfig"]["SecurityGroupIds"][0]
    ingress = template.find_resources("AWS::EC2::SecurityGroupIngress", {"Properties": {"FromPort": 5432}})
    assert [rule["Properties"]["SourceSecurityGroupId"] for rule in ingress.values()] == [consumer_group]


def test_healthcare_vpc_has_no_way_out_and_reaches_secrets_manager_and_logs_privately(dev_app) -> None:
    template = dev_app.template("HealthcarePipeline")
    assert template.find_resources("AWS::EC2::NatGateway") == {}
    assert template.find_resources("AWS::EC2::InternetGateway") == {}
    _, function = healthcare_consumer(template)
    endpoints = template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Interface", "PrivateDnsEnabled": True}}
    )
    services_reached = sorted(endpoint["Properties"]["ServiceName"] for endpoint in endpoints.values())
    assert services_reached == ["com.amazonaws.eu-west-2.logs", "com.amazonaws.eu-west-2.secretsmanager"]
    endpoint_groups = {
        group["Fn::GetAtt"][0]
        for endpoint in endpoints.values()
        for group in endpoint["Properties"]["SecurityGroupIds"]
    }
    ingress = template.find_resources("AWS::EC2::SecurityGroupIngress", {"Properties": {"FromPort": 443}})
    assert {rule["Properties"]["GroupId"]["Fn::GetAtt"][0] for rule in ingress.values()} == endpoint_groups
    consumer_group = function["Properties"]["VpcConfig"]["SecurityGroupIds"][0]
    assert [rule["Properties"]["SourceSecurityGroupId"] for rule in ingress.values()] == [consumer_group] * 2


def test_healthcare_consumer_alarms_notify_the_stack_alarm_topic(dev_app) -> None:
    template = dev_app.template("HealthcarePipeline")
    function_id, _ = healthcare_consumer(template)
    topics = template.find_resources("AWS::SNS::Topic")
    assert len(topics) == 1
    for metric in ("Errors", "Throttles"):
        only(
            template,
            "AWS::CloudWatch::Alarm",
            {
                "Namespace": "AWS/Lambda",
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": function_id}}],
                "AlarmActions": [{"Ref": next(iter(topics))}],
            },
        )


def test_healthcare_consumer_outputs(dev_app) -> None:
    outputs = dev_app.template("HealthcarePipeline").to_json()["Outputs"]
    assert {
        "ConsumerFunctionName",
        "FailedBatchQueueUrl",
        "DeadLetterQueueUrl",
        "AuditLogStreamName",
        "DatabaseName",
    } <= set(outputs)
    assert outputs["AuditLogStreamName"]["Value"] == healthcare_stack.AUDIT_LOG_STREAM


# --- stream processor -------------------------------------------------------------------------------------------


def test_stream_processor_consumer_bisects_retries_and_dead_letters_failed_batches(dev_app) -> None:
    template = dev_app.template("StreamProcessor")
    queues = template.find_resources(
        "AWS::SQS::Queue", {"Properties": {"QueueName": "stream-consumer-stream-dlq-t-dev"}}
    )
    only(
        template,
        "AWS::Lambda::EventSourceMapping",
        {
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 3,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [next(iter(queues)), "Arn"]}}},
        },
    )


def test_stream_processor_lambda_runs_in_the_vpc_with_an_explicit_log_group(dev_app) -> None:
    template = dev_app.template("StreamProcessor")
    function = only(template, "AWS::Lambda::Function", {"FunctionName": "stream-consumer-t-dev"})
    props = function["Properties"]
    assert props["Runtime"] == services.LAMBDA_RUNTIME and props["Handler"] == "processor.handler"
    assert props["VpcConfig"]["SubnetIds"]
    assert "Ref" in props["LoggingConfig"]["LogGroup"]
    assert set(props["Environment"]["Variables"]) == {"DB_HOST", "DB_PORT", "DB_NAME", "DB_SECRET_ARN"}


def test_stream_processor_only_the_lambda_reaches_the_database(dev_app) -> None:
    template = dev_app.template("StreamProcessor")
    ingress = template.find_resources("AWS::EC2::SecurityGroupIngress", {"Properties": {"FromPort": 5432}})
    assert len(ingress) == 1
    source = next(iter(ingress.values()))["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0]
    assert source.startswith("ConsumerSecurityGroup")
    for group in template.find_resources("AWS::EC2::SecurityGroup").values():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            assert rule.get("CidrIp") != "0.0.0.0/0"


def test_stream_processor_vpc_has_no_way_out_and_reaches_secrets_manager_privately(dev_app) -> None:
    template = dev_app.template("StreamProcessor")
    assert template.find_resources("AWS::EC2::NatGateway") == {}
    assert template.find_resources("AWS::EC2::InternetGateway") == {}
    endpoint = only(template, "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface", "PrivateDnsEnabled": True})
    assert "secretsmanager" in str(endpoint["Properties"]["ServiceName"])
    ingress = template.find_resources("AWS::EC2::SecurityGroupIngress", {"Properties": {"FromPort": 443}})
    assert len(ingress) == 1
    source = next(iter(ingress.values()))["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0]
    assert source.startswith("ConsumerSecurityGroup")


def test_stream_processor_database_is_multi_az_in_every_profile(synthesized) -> None:
    _, app = synthesized
    only(app.template("StreamProcessor"), "AWS::RDS::DBInstance", {"MultiAZ": True, "Engine": "postgres"})


def test_stream_processor_alarms_notify_the_encrypted_topic(dev_app) -> None:
    template = dev_app.template("StreamProcessor")
    topic_id = next(
        iter(template.find_resources("AWS::SNS::Topic", {"Properties": {"KmsMasterKeyId": Match.any_value()}}))
    )
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 4
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]


def test_stream_processor_outputs(dev_app) -> None:
    outputs = set(dev_app.template("StreamProcessor").to_json()["Outputs"])
    assert {
        "StreamName",
        "ConsumerFunctionName",
        "FailedBatchQueueUrl",
        "DeadLetterQueueUrl",
        "DatabaseEndpoint",
        "DatabaseSecretArn",
        "DatabaseSecurityGroupId",
        "AlarmTopicArn",
    } <= outputs


def test_iot_processor_runs_as_a_service_on_the_cluster_in_the_processor_group(dev_app) -> None:
    template = dev_app.template("IotPlatform")
    props = only(template, "AWS::ECS::Service")["Properties"]
    assert props["DesiredCount"] == 1
    (group,) = props["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]
    assert group["Fn::GetAtt"][0].startswith("ProcessorTasks")


def test_iot_processor_reads_its_endpoints_from_the_environment_and_credentials_from_secrets(dev_app) -> None:
    (container,) = only(dev_app.template("IotPlatform"), "AWS::ECS::TaskDefinition")["Properties"][
        "ContainerDefinitions"
    ]
    environment = {variable["Name"] for variable in container["Environment"]}
    assert environment == {"STREAM_NAME", "DB_HOST", "DB_PORT", "DB_NAME", "REDIS_HOST", "REDIS_PORT"}
    secrets = {secret["Name"]: secret["ValueFrom"] for secret in container["Secrets"]}
    assert secrets["DB_CREDENTIALS"]["Fn::GetAtt"][1] == "MasterUserSecret.SecretArn"
    assert secrets["REDIS_AUTH_TOKEN"]["Ref"].startswith("CacheAuthToken")
