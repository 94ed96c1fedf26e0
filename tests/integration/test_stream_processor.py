"""Stream processor (seed 002), as deployed: the consumer Lambda, its Kinesis mapping, its two dead-letter queues
and the rule that only the consumer reaches the database."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from data_flow import connect, eventually
from deployed_stacks import DeployedStack

from constructs_lib.policy import compute, retention, services
from constructs_lib.policy.alarms import QUEUE_HAS_MESSAGES

STACK = "StreamProcessor"
QUEUES = ("FailedBatchQueueUrl", "DeadLetterQueueUrl")


@pytest.fixture(scope="module")
def function(stack: DeployedStack) -> dict[str, Any]:
    return stack.client("lambda").get_function(FunctionName=stack.output("ConsumerFunctionName"))


@pytest.fixture(scope="module")
def configuration(function: dict[str, Any]) -> dict[str, Any]:
    return function["Configuration"]


@pytest.fixture(scope="module")
def mapping(stack: DeployedStack) -> dict[str, Any]:
    mappings = stack.client("lambda").list_event_source_mappings(FunctionName=stack.output("ConsumerFunctionName"))[
        "EventSourceMappings"
    ]
    assert len(mappings) == 1
    return mappings[0]


def queue_attributes(stack: DeployedStack, output: str) -> dict[str, str]:
    return stack.client("sqs").get_queue_attributes(QueueUrl=stack.output(output), AttributeNames=["All"])["Attributes"]


# --- Lambda ----------------------------------------------------------------------------------------------------------


def test_consumer_runs_the_policy_runtime_memory_and_timeout(configuration: dict[str, Any]) -> None:
    assert configuration["Runtime"] == services.LAMBDA_RUNTIME
    assert configuration["MemorySize"] == services.LAMBDA_MEMORY_MB
    assert configuration["Timeout"] == services.LAMBDA_TIMEOUT_SECONDS
    assert configuration["Handler"] == "processor.handler"


def test_consumer_concurrency_is_capped_to_protect_the_database(function: dict[str, Any]) -> None:
    assert function["Concurrency"]["ReservedConcurrentExecutions"] == services.LAMBDA_RESERVED_CONCURRENCY


def test_consumer_environment_is_encrypted_with_the_stack_key(
    stack: DeployedStack, configuration: dict[str, Any]
) -> None:
    assert configuration["KMSKeyArn"] == stack.output("KmsKeyArn")


def test_consumer_environment_names_the_database_and_its_secret_not_a_password(
    stack: DeployedStack, configuration: dict[str, Any]
) -> None:
    variables = configuration["Environment"]["Variables"]
    assert variables == {
        "DB_HOST": stack.output("DatabaseEndpoint"),
        "DB_PORT": stack.output("DatabasePort"),
        "DB_NAME": services.DATABASE_NAME,
        "DB_SECRET_ARN": stack.output("DatabaseSecretArn"),
    }


def test_consumer_traces_with_xray_and_logs_json_to_its_encrypted_group(
    stack: DeployedStack, configuration: dict[str, Any]
) -> None:
    assert configuration["TracingConfig"]["Mode"] == compute.LAMBDA_TRACING.title()
    assert configuration["LoggingConfig"]["LogFormat"] == compute.LAMBDA_LOG_FORMAT
    assert configuration["LoggingConfig"]["LogGroup"] == stack.output("ConsumerLogGroupName")
    group = stack.client("logs").describe_log_groups(logGroupNamePrefix=stack.output("ConsumerLogGroupName"))[
        "logGroups"
    ][0]
    assert group["kmsKeyId"] == stack.output("KmsKeyArn")
    assert group["retentionInDays"] == retention.log_retention_days(compute.LAMBDA_LOG_PURPOSE)


def test_consumer_runs_in_private_subnets_of_the_stack_vpc(stack: DeployedStack, configuration: dict[str, Any]) -> None:
    vpc = configuration["VpcConfig"]
    assert vpc["VpcId"] == stack.output("VpcId")
    subnets = stack.client("ec2").describe_subnets(SubnetIds=vpc["SubnetIds"])["Subnets"]
    tiers = {tag["Value"] for subnet in subnets for tag in subnet["Tags"] if tag["Key"] == "aws-cdk:subnet-name"}
    assert tiers == {"private"}
    assert len(vpc["SecurityGroupIds"]) == 1


def test_failed_async_invocations_go_to_the_dead_letter_queue(
    stack: DeployedStack, configuration: dict[str, Any]
) -> None:
    queue_arn = queue_attributes(stack, "DeadLetterQueueUrl")["QueueArn"]
    assert configuration["DeadLetterConfig"]["TargetArn"] == queue_arn


def test_consumer_role_is_assumable_by_lambda_only_and_has_no_aws_managed_policy(
    stack: DeployedStack, configuration: dict[str, Any]
) -> None:
    iam = stack.client("iam")
    role_name = configuration["Role"].rsplit("/", 1)[-1]
    role = iam.get_role(RoleName=role_name)["Role"]
    assert [s["Principal"] for s in role["AssumeRolePolicyDocument"]["Statement"]] == [
        {"Service": compute.LAMBDA_PRINCIPAL}
    ]
    attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    assert attached and not any(":aws:policy/" in policy["PolicyArn"] for policy in attached)


# --- Kinesis event source ------------------------------------------------------------------------------------------


def test_mapping_reads_the_stack_stream_from_the_oldest_record(stack: DeployedStack, mapping: dict[str, Any]) -> None:
    assert mapping["EventSourceArn"] == stack.output("StreamArn")
    assert mapping["StartingPosition"] == compute.STREAM_STARTING_POSITION
    assert mapping["State"] == "Enabled"
    assert mapping["BatchSize"] == services.STREAM_BATCH_SIZE


def test_mapping_bisects_retries_and_dead_letters_failed_batches(stack: DeployedStack, mapping: dict[str, Any]) -> None:
    assert mapping["BisectBatchOnFunctionError"] is services.STREAM_BISECT_ON_ERROR
    assert mapping["MaximumRetryAttempts"] == services.STREAM_MAX_RETRY_ATTEMPTS
    assert mapping["MaximumRecordAgeInSeconds"] == services.STREAM_MAX_RECORD_AGE_SECONDS
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == stack.output("FailedBatchQueueArn")


# --- Dead-letter queues --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", QUEUES)
def test_queue_is_encrypted_with_the_stack_key_and_keeps_messages_14_days(stack: DeployedStack, output: str) -> None:
    attributes = queue_attributes(stack, output)
    assert attributes["KmsMasterKeyId"] == stack.output("KmsKeyArn")
    assert attributes.get("SqsManagedSseEnabled", "false") == "false"
    assert int(attributes["MessageRetentionPeriod"]) == retention.DEAD_LETTER_RETENTION_SECONDS


@pytest.mark.parametrize("output", QUEUES)
def test_queue_policy_denies_requests_without_tls(stack: DeployedStack, output: str) -> None:
    statements = json.loads(queue_attributes(stack, output)["Policy"])["Statement"]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


@pytest.mark.parametrize("output", QUEUES)
def test_queue_alarms_on_its_first_message(stack: DeployedStack, output: str) -> None:
    name = queue_attributes(stack, output)["QueueArn"].rsplit(":", 1)[-1]
    alarms = [
        alarm
        for page in stack.client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
        for alarm in page["MetricAlarms"]
        if {"Name": "QueueName", "Value": name} in alarm["Dimensions"]
    ]
    assert len(alarms) == 1
    assert alarms[0]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarms[0]["Threshold"] == QUEUE_HAS_MESSAGES.threshold
    assert alarms[0]["AlarmActions"] == alarms[0]["OKActions"] == [stack.output("AlarmTopicArn")]
    assert alarms[0]["TreatMissingData"] == QUEUE_HAS_MESSAGES.treat_missing_data


@pytest.mark.parametrize("output", QUEUES)
def test_queue_round_trip_returns_the_message_sent(stack: DeployedStack, output: str) -> None:
    sqs, url = stack.client("sqs"), stack.output(output)
    body = json.dumps({"test": "dead-letter round trip", "id": str(uuid.uuid4())})
    sqs.send_message(QueueUrl=url, MessageBody=body)
    received: list[dict[str, Any]] = []
    for _ in range(5):
        received = [
            m for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", []) if m["Body"] == body
        ]
        if received:
            break
    assert received, "the message sent was not received"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])


# --- Who may reach the database ------------------------------------------------------------------------------------


def test_only_the_consumer_may_reach_the_database_port(stack: DeployedStack, configuration: dict[str, Any]) -> None:
    group = stack.client("ec2").describe_security_groups(GroupIds=[stack.output("DatabaseSecurityGroupId")])[
        "SecurityGroups"
    ][0]
    assert len(group["IpPermissions"]) == 1
    rule = group["IpPermissions"][0]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == (
        "tcp",
        services.DATABASE_PORT,
        services.DATABASE_PORT,
    )
    assert rule["IpRanges"] == []
    assert [pair["GroupId"] for pair in rule["UserIdGroupPairs"]] == configuration["VpcConfig"]["SecurityGroupIds"]


def test_consumer_may_read_only_its_own_database_secret(stack: DeployedStack, configuration: dict[str, Any]) -> None:
    iam = stack.client("iam")
    role_name = configuration["Role"].rsplit("/", 1)[-1]
    statements = []
    for policy in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
        statements.extend(document["Statement"] if isinstance(document, dict) else json.loads(document)["Statement"])
    secret_statements = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    assert secret_statements
    assert all(s["Resource"] == stack.output("DatabaseSecretArn") for s in secret_statements)


# --- A network with no way out -------------------------------------------------------------------------------------


def test_the_vpc_has_no_internet_gateway_no_nat_and_only_local_routes(stack: DeployedStack) -> None:
    ec2, vpc_filter = stack.client("ec2"), [{"Name": "vpc-id", "Values": [stack.output("VpcId")]}]
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [stack.output("VpcId")]}]
    )
    assert gateways["InternetGateways"] == []
    nats = ec2.describe_nat_gateways(Filters=vpc_filter)["NatGateways"]
    assert [nat for nat in nats if nat["State"] not in ("deleted", "deleting")] == []
    for table in ec2.describe_route_tables(Filters=vpc_filter)["RouteTables"]:
        assert all(route.get("GatewayId") == "local" for route in table["Routes"]), table["Routes"]


def test_secrets_manager_is_reached_through_a_private_endpoint_only_the_consumer_may_use(
    stack: DeployedStack, configuration: dict[str, Any]
) -> None:
    ec2 = stack.client("ec2")
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [stack.output("VpcId")]}])[
        "VpcEndpoints"
    ]
    live = [endpoint for endpoint in endpoints if endpoint["State"].lower() not in ("deleted", "deleting")]
    assert [endpoint["ServiceName"] for endpoint in live] == [f"com.amazonaws.{stack.region}.secretsmanager"]
    endpoint = live[0]
    assert (endpoint["VpcEndpointType"], endpoint["PrivateDnsEnabled"]) == ("Interface", True)
    group_ids = [group["GroupId"] for group in endpoint["Groups"]]
    group = ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"][0]
    assert [
        (rule["FromPort"], [pair["GroupId"] for pair in rule["UserIdGroupPairs"]]) for rule in group["IpPermissions"]
    ] == [(443, configuration["VpcConfig"]["SecurityGroupIds"])]
    open_egress = [r for r in group["IpPermissionsEgress"] if {"CidrIp": "0.0.0.0/0"} in r.get("IpRanges", [])]
    assert open_egress == []


# --- Data flow: records in, rows out ---------------------------------------------------------------------------------


def _rows_with(stack: DeployedStack, marker: str) -> int:
    session = connect(
        stack, host="DatabaseEndpoint", port="DatabasePort", secret="DatabaseSecretArn", database="DatabaseName"
    )
    try:
        query = "SELECT count(*) FROM stream_records WHERE payload->>'marker' = :marker"
        return int(session.run(query, marker=marker)[0][0])
    finally:
        session.close()


@pytest.mark.end_to_end
def test_records_put_on_the_stream_become_one_row_each(stack: DeployedStack) -> None:
    marker = uuid.uuid4().hex
    for index in range(5):
        stack.client("kinesis").put_record(
            StreamName=stack.output("StreamName"),
            Data=json.dumps({"marker": marker, "index": index}).encode(),
            PartitionKey=f"device-{index}",
        )
    assert eventually(lambda: _rows_with(stack, marker) == 5 and 5, f"5 rows marked {marker}") == 5


@pytest.mark.end_to_end
def test_a_poison_record_reaches_the_failed_batch_queue_and_the_records_behind_it_are_stored(
    stack: DeployedStack,
) -> None:
    kinesis, marker = stack.client("kinesis"), uuid.uuid4().hex
    poison = kinesis.put_record(StreamName=stack.output("StreamName"), Data=b"not json", PartitionKey="poison")
    kinesis.put_record(
        StreamName=stack.output("StreamName"),
        Data=json.dumps({"marker": marker, "index": 0}).encode(),
        PartitionKey="after-poison",
    )

    def failure_record() -> dict[str, Any] | None:
        sqs = stack.client("sqs")
        answer = sqs.receive_message(QueueUrl=stack.output("FailedBatchQueueUrl"), WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            body = json.loads(message["Body"])
            batch = body.get("KinesisBatchInfo", {})
            if batch.get("startSequenceNumber") == poison["SequenceNumber"]:
                return batch
        return None

    batch = eventually(failure_record, "the poison record's failure record on the failed-batch queue")
    assert batch["batchSize"] == 1 and batch["streamArn"] == stack.output("StreamArn")
    assert eventually(lambda: _rows_with(stack, marker) == 1 and 1, "the record behind the poison one") == 1
