"""Service additions: alarms, generated secrets, topic/queue/bucket policies, ECS, Kinesis, log groups, KMS keys,
Lambda functions and SQS encryption, as CloudFormation (or the API) leaves them."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_templates import get_att, key, network, ref

from tests.unit.local_aws import Account


def topic() -> dict[str, Any]:
    return {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alarms", "KmsMasterKeyId": get_att("Key", "Arn")}}


# --- CloudWatch alarms ---------------------------------------------------------------------------------------------


def alarm(**overrides: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "AlarmName": "iterator-age",
        "AlarmDescription": "consumers fall behind",
        "Namespace": "AWS/Kinesis",
        "MetricName": "GetRecords.IteratorAgeMilliseconds",
        "Dimensions": [{"Name": "StreamName", "Value": "events"}],
        "Statistic": "Maximum",
        "Period": 300,
        "EvaluationPeriods": "1",
        "Threshold": "60000",
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [ref("Topic")],
        "OKActions": [ref("Topic")],
    }
    properties.update(overrides)
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def test_alarm_template_creates_the_alarm_with_both_actions(aws: Account) -> None:
    out = aws.create_stack(
        "alarm",
        {"Key": key(), "Topic": topic(), "Alarm": alarm()},
        {"Name": ref("Alarm"), "Arn": get_att("Alarm", "Arn")},
    )["out"]
    found = aws.client("cloudwatch").describe_alarms(AlarmNames=[out["Name"]])["MetricAlarms"][0]
    topic_arn = aws.client("sns").list_topics()["Topics"][0]["TopicArn"]
    assert (found["AlarmArn"], found["Threshold"], found["EvaluationPeriods"]) == (out["Arn"], 60000.0, 1)
    assert found["AlarmActions"] == found["OKActions"] == [topic_arn]
    assert (found["TreatMissingData"], found["Dimensions"]) == (
        "notBreaching",
        [{"Name": "StreamName", "Value": "events"}],
    )
    assert aws.delete_stack("alarm") == "DELETE_COMPLETE"
    assert aws.client("cloudwatch").describe_alarms()["MetricAlarms"] == []


def test_a_metric_math_alarm_is_refused_rather_than_half_created(aws: Account) -> None:
    aws.create_stack("math", {"Key": key(), "Topic": topic(), "Alarm": alarm(Metrics=[{"Id": "m1"}])})
    assert aws.stack("math")["StackStatus"] == "ROLLBACK_COMPLETE"


# --- Secrets Manager -----------------------------------------------------------------------------------------------


def test_generated_secret_respects_length_and_excluded_characters(aws: Account) -> None:
    excluded = "@\"/\\'` %+~#$&*()|[]{}:;<>?!,=^"
    out = aws.create_stack(
        "secret",
        {
            "Key": key(),
            "Token": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Description": "redis auth",
                    "KmsKeyId": get_att("Key", "Arn"),
                    "GenerateSecretString": {"PasswordLength": 64, "ExcludeCharacters": excluded},
                },
            },
        },
        {"Arn": ref("Token"), "Id": get_att("Token", "Id"), "KeyArn": get_att("Key", "Arn")},
    )["out"]
    secrets = aws.client("secretsmanager")
    value = secrets.get_secret_value(SecretId=out["Arn"])["SecretString"]
    assert len(value) == 64 and not set(value) & set(excluded)
    assert (out["Id"], secrets.describe_secret(SecretId=out["Arn"])["KmsKeyId"]) == (out["Arn"], out["KeyArn"])
    assert aws.delete_stack("secret") == "DELETE_COMPLETE"
    assert secrets.list_secrets()["SecretList"] == []


def test_generated_secret_fills_its_template_key(aws: Account) -> None:
    out = aws.create_stack(
        "templated",
        {
            "Credentials": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "GenerateSecretString": {
                        "SecretStringTemplate": json.dumps({"username": "app"}),
                        "GenerateStringKey": "password",
                        "ExcludePunctuation": True,
                    }
                },
            },
            "Literal": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "given"}},
        },
        {"Credentials": ref("Credentials"), "Literal": ref("Literal")},
    )["out"]
    secrets = aws.client("secretsmanager")
    value = json.loads(secrets.get_secret_value(SecretId=out["Credentials"])["SecretString"])
    assert value["username"] == "app" and len(value["password"]) == 32 and value["password"].isalnum()
    assert secrets.get_secret_value(SecretId=out["Literal"])["SecretString"] == "given"


# --- Resource policies ---------------------------------------------------------------------------------------------

TLS_ONLY = {"Bool": {"aws:SecureTransport": "false"}}


def test_topic_policy_is_applied_and_the_default_restored_on_delete(aws: Account) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": ref("Topic"),
                "Condition": TLS_ONLY,
            }
        ],
    }
    aws.create_stack(
        "topic-policy",
        {
            "Key": key(),
            "Topic": topic(),
            "Policy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {"PolicyDocument": document, "Topics": [ref("Topic")]},
            },
        },
    )
    sns = aws.client("sns")
    arn = sns.list_topics()["Topics"][0]["TopicArn"]
    applied = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert applied["Statement"][0]["Condition"] == TLS_ONLY
    from moto.cloudformation.models import cloudformation_backends

    stack = next(iter(cloudformation_backends[aws.account_id][aws.region].stacks.values()))
    stack.resource_map["Policy"].delete(aws.account_id, aws.region)
    restored = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert TLS_ONLY not in [statement.get("Condition") for statement in restored["Statement"]]
    assert restored["Id"] == "__default_policy_ID"
    assert aws.delete_stack("topic-policy") == "DELETE_COMPLETE"


def test_queue_policy_is_applied_and_removed_with_its_stack(aws: Account) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "sqs:*",
                "Resource": get_att("Queue", "Arn"),
                "Condition": TLS_ONLY,
            }
        ],
    }
    aws.create_stack(
        "queue-policy",
        {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "dlq"}, "DeletionPolicy": "Retain"},
            "Policy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {"PolicyDocument": document, "Queues": [ref("Queue")]},
            },
        },
    )
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName="dlq")["QueueUrl"]
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy["Statement"][0]["Condition"] == TLS_ONLY
    assert aws.delete_stack("queue-policy") == "DELETE_COMPLETE"
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})


def bucket_stack(statement: dict[str, Any]) -> dict[str, Any]:
    statement = {
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [get_att("Bucket", "Arn"), {"Fn::Sub": "${Bucket.Arn}/*"}],
        **statement,
    }
    return {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("Bucket"),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            },
        },
    }


def test_bucket_policy_applies_and_a_tls_only_deny_admits_emulator_requests(aws: Account) -> None:
    out = aws.create_stack(
        "tls-bucket", bucket_stack({"Effect": "Deny", "Condition": TLS_ONLY}), {"Bucket": ref("Bucket")}
    )["out"]
    s3 = aws.client("s3")
    assert json.loads(s3.get_bucket_policy(Bucket=out["Bucket"])["Policy"])["Statement"][0]["Condition"] == TLS_ONLY
    s3.put_object(Bucket=out["Bucket"], Key="asset.zip", Body=b"x")
    assert s3.get_object(Bucket=out["Bucket"], Key="asset.zip")["Body"].read() == b"x"
    assert aws.delete_stack("tls-bucket") == "DELETE_COMPLETE"


def test_an_unconditional_bucket_deny_still_denies(aws: Account) -> None:
    out = aws.create_stack("deny-bucket", bucket_stack({"Effect": "Deny"}), {"Bucket": ref("Bucket")})["out"]
    with pytest.raises(ClientError):
        aws.client("s3").put_object(Bucket=out["Bucket"], Key="blocked", Body=b"x")


def test_a_deleted_bucket_policy_is_gone(aws: Account) -> None:
    out = aws.create_stack(
        "policy-only", bucket_stack({"Effect": "Deny", "Condition": TLS_ONLY}), {"Bucket": ref("Bucket")}
    )["out"]
    from moto.cloudformation.models import cloudformation_backends

    stack = next(iter(cloudformation_backends[aws.account_id][aws.region].stacks.values()))
    stack.resource_map["Policy"].delete(aws.account_id, aws.region)
    with pytest.raises(ClientError):
        aws.client("s3").get_bucket_policy(Bucket=out["Bucket"])


# --- ECS -----------------------------------------------------------------------------------------------------------


def ecs_stack() -> dict[str, Any]:
    return {
        "Key": key(),
        "Cluster": {
            "Type": "AWS::ECS::Cluster",
            "Properties": {
                "ClusterName": "processing",
                "ClusterSettings": [{"Name": "containerInsights", "Value": "enhanced"}],
                "Configuration": {
                    "ExecuteCommandConfiguration": {
                        "KmsKeyId": get_att("Key", "Arn"),
                        "Logging": "OVERRIDE",
                        "LogConfiguration": {
                            "CloudWatchEncryptionEnabled": True,
                            "CloudWatchLogGroupName": "/ecs/exec",
                        },
                    }
                },
                "Tags": [{"Key": "System", "Value": "iot"}],
            },
        },
        "Providers": {
            "Type": "AWS::ECS::ClusterCapacityProviderAssociations",
            "Properties": {
                "Cluster": ref("Cluster"),
                "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
                "DefaultCapacityProviderStrategy": [],
            },
        },
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "processor",
                "Cpu": "256",
                "Memory": "512",
                "NetworkMode": "awsvpc",
                "RequiresCompatibilities": ["FARGATE"],
                "RuntimePlatform": {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
                "ContainerDefinitions": [
                    {
                        "Name": "App",
                        "Image": "python:3.12-slim",
                        "Essential": True,
                        "User": "1000:1000",
                        "ReadonlyRootFilesystem": True,
                    }
                ],
            },
        },
    }


def test_ecs_cluster_keeps_container_insights_exec_configuration_and_capacity(aws: Account) -> None:
    aws.create_stack("ecs", ecs_stack())
    cluster = aws.client("ecs").describe_clusters(
        clusters=["processing"], include=["SETTINGS", "CONFIGURATIONS", "TAGS"]
    )["clusters"][0]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    execute = cluster["configuration"]["executeCommandConfiguration"]
    assert (execute["logging"], execute["logConfiguration"]["cloudWatchEncryptionEnabled"]) == ("OVERRIDE", True)
    assert execute["kmsKeyId"].startswith("arn:aws:kms:")
    assert set(cluster["capacityProviders"]) == {"FARGATE", "FARGATE_SPOT"}
    assert cluster["tags"] == [{"key": "System", "value": "iot"}]


def test_task_definition_keeps_its_fargate_settings(aws: Account) -> None:
    aws.create_stack("task", ecs_stack())
    task = aws.client("ecs").describe_task_definition(taskDefinition="processor")["taskDefinition"]
    assert (task["cpu"], task["memory"], task["networkMode"]) == ("256", "512", "awsvpc")
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    container = task["containerDefinitions"][0]
    assert (container["user"], container["readonlyRootFilesystem"]) == ("1000:1000", True)


def test_ecs_stack_delete_deactivates_the_cluster_and_deregisters_the_task(aws: Account) -> None:
    aws.create_stack("ecs-delete", ecs_stack())
    assert aws.delete_stack("ecs-delete") == "DELETE_COMPLETE"
    ecs = aws.client("ecs")
    assert ecs.describe_clusters(clusters=["processing"])["clusters"][0]["status"] == "INACTIVE"
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []


# --- Kinesis, CloudWatch Logs, KMS, SQS ----------------------------------------------------------------------------


def test_stream_is_encrypted_with_the_declared_key_and_mode(aws: Account) -> None:
    aws.create_stack(
        "stream",
        {
            "Key": key(),
            "Stream": {
                "Type": "AWS::Kinesis::Stream",
                "Properties": {
                    "Name": "events",
                    "ShardCount": 2,
                    "RetentionPeriodHours": 24,
                    "StreamEncryption": {"EncryptionType": "KMS", "KeyId": get_att("Key", "Arn")},
                    "StreamModeDetails": {"StreamMode": "PROVISIONED"},
                },
            },
        },
    )
    summary = aws.client("kinesis").describe_stream_summary(StreamName="events")["StreamDescriptionSummary"]
    assert (summary["EncryptionType"], summary["KeyId"].startswith("arn:aws:kms:")) == ("KMS", True)
    assert (summary["StreamModeDetails"]["StreamMode"], summary["OpenShardCount"]) == ("PROVISIONED", 2)
    assert aws.delete_stack("stream") == "DELETE_COMPLETE"
    assert aws.client("kinesis").list_streams()["StreamNames"] == []


def test_log_group_is_encrypted_with_the_declared_key(aws: Account) -> None:
    out = aws.create_stack(
        "logs",
        {
            "Key": key(logs=True),
            "Logs": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": "/audit", "RetentionInDays": 365, "KmsKeyId": get_att("Key", "Arn")},
            },
        },
        {"KeyArn": get_att("Key", "Arn")},
    )["out"]
    group = aws.client("logs").describe_log_groups(logGroupNamePrefix="/audit")["logGroups"][0]
    assert (group["kmsKeyId"], group["retentionInDays"]) == (out["KeyArn"], 365)


def test_key_with_a_policy_object_is_usable_and_rotates(aws: Account) -> None:
    out = aws.create_stack(
        "kms",
        {"Key": {**key(), "Properties": {**key()["Properties"], "Tags": [{"Key": "System", "Value": "iot"}]}}},
        {"Arn": get_att("Key", "Arn")},
    )["out"]
    kms = aws.client("kms")
    assert kms.describe_key(KeyId=out["Arn"])["KeyMetadata"]["Enabled"] is True
    assert (
        json.loads(kms.get_key_policy(KeyId=out["Arn"], PolicyName="default")["Policy"])["Statement"][0]["Action"]
        == "kms:*"
    )
    assert kms.get_key_rotation_status(KeyId=out["Arn"])["KeyRotationEnabled"] is True
    assert kms.list_resource_tags(KeyId=out["Arn"])["Tags"] == [{"TagKey": "System", "TagValue": "iot"}]
    ciphertext = kms.encrypt(KeyId=out["Arn"], Plaintext=b"phi")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"phi"


def test_deleting_a_key_schedules_its_deletion_after_the_pending_window(aws: Account) -> None:
    out = aws.create_stack("kms-delete", {"Key": key(policy=False)}, {"Arn": get_att("Key", "Arn")})["out"]
    assert aws.delete_stack("kms-delete") == "DELETE_COMPLETE"
    metadata = aws.client("kms").describe_key(KeyId=out["Arn"])["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    assert (metadata["DeletionDate"] - metadata["CreationDate"]).days in (6, 7)


def test_kms_encrypted_queue_does_not_claim_sqs_managed_encryption(aws: Account) -> None:
    sqs = aws.client("sqs")
    kms_url = sqs.create_queue(QueueName="kms", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
    plain_url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    assert (
        sqs.get_queue_attributes(QueueUrl=kms_url, AttributeNames=["All"])["Attributes"]["SqsManagedSseEnabled"]
        == "false"
    )
    assert (
        sqs.get_queue_attributes(QueueUrl=plain_url, AttributeNames=["All"])["Attributes"]["SqsManagedSseEnabled"]
        == "true"
    )


# --- Lambda --------------------------------------------------------------------------------------------------------


def code_zip() -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return base64.b64encode(buffer.getvalue()).decode()


def lambda_stack(**extra: Any) -> dict[str, Any]:
    resources = network(az_count=1)
    resources.update(
        {
            "Key": key(),
            "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ]
                    }
                },
            },
            "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "fn", "VpcId": ref("Vpc")}},
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "consumer",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": get_att("Role", "Arn"),
                    "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
                    "KmsKeyArn": get_att("Key", "Arn"),
                    "TracingConfig": {"Mode": "Active"},
                    "LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/aws/lambda/consumer"},
                    "DeadLetterConfig": {"TargetArn": get_att("Dlq", "Arn")},
                    "Architectures": ["arm64"],
                    "EphemeralStorage": {"Size": 1024},
                    "VpcConfig": {"SubnetIds": [ref("Subnet0")], "SecurityGroupIds": [get_att("Group", "GroupId")]},
                    "Tags": [{"Key": "System", "Value": "stream"}],
                    **extra,
                },
            },
        }
    )
    return resources


def test_lambda_function_keeps_encryption_tracing_logging_dlq_and_network(aws: Account) -> None:
    out = aws.create_stack(
        "fn", lambda_stack(), {"KeyArn": get_att("Key", "Arn"), "VpcId": ref("Vpc"), "Dlq": get_att("Dlq", "Arn")}
    )["out"]
    function = aws.client("lambda").get_function(FunctionName="consumer")
    configuration = function["Configuration"]
    assert (configuration["KMSKeyArn"], configuration["TracingConfig"]) == (out["KeyArn"], {"Mode": "Active"})
    assert configuration["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/aws/lambda/consumer"}
    assert configuration["DeadLetterConfig"] == {"TargetArn": out["Dlq"]}
    assert (configuration["Architectures"], configuration["EphemeralStorage"]) == (["arm64"], {"Size": 1024})
    assert configuration["VpcConfig"]["VpcId"] == out["VpcId"]
    assert function["Tags"]["System"] == "stream"


def test_lambda_layers_are_kept(aws: Account) -> None:
    layer = aws.client("lambda").publish_layer_version(
        LayerName="deps", Content={"ZipFile": base64.b64decode(code_zip())}
    )
    aws.create_stack("fn-layers", lambda_stack(Layers=[layer["LayerVersionArn"]]))
    configuration = aws.client("lambda").get_function_configuration(FunctionName="consumer")
    assert [item["Arn"] for item in configuration["Layers"]] == [layer["LayerVersionArn"]]


def test_an_api_function_without_vpc_or_logging_reports_neither(aws: Account) -> None:
    role_arn = aws.client("iam").create_role(
        RoleName="plain",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ]
            }
        ),
    )["Role"]["Arn"]
    aws.client("lambda").create_function(
        FunctionName="plain",
        Runtime="python3.12",
        Handler="index.handler",
        Role=role_arn,
        Code={"ZipFile": base64.b64decode(code_zip())},
    )
    configuration = aws.client("lambda").get_function_configuration(FunctionName="plain")
    assert "LoggingConfig" not in configuration and "DeadLetterConfig" not in configuration
    assert "VpcConfig" not in configuration or not configuration["VpcConfig"].get("SubnetIds")
