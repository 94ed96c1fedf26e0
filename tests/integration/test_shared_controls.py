"""Controls every CDK stack has, read back from the services: the customer-managed key, the encrypted Kinesis
stream, the alarm topic and its alarms, and the network. Runs once per stack."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from deployed_stacks import CDK_STACKS, DeployedStack

from constructs_lib.policy import retention, services, storage
from constructs_lib.policy.alarms import STREAM_ITERATOR_AGE, TREAT_MISSING_DATA
from stacks.iot_platform.stack import TELEMETRY_SHARDS

pytestmark = pytest.mark.parametrize("stack", CDK_STACKS, indirect=True, scope="module")

#: Output naming the stream of each stack, and the shards it was built with.
STREAM_OUTPUT = {
    "IotPlatform": ("TelemetryStreamName", TELEMETRY_SHARDS),
    "HealthcarePipeline": ("PatientStreamName", services.STREAM_SHARDS),
    "StreamProcessor": ("StreamName", services.STREAM_SHARDS),
}


def key_id(stack: DeployedStack) -> str:
    return stack.output("KmsKeyArn")


def stream_name(stack: DeployedStack) -> str:
    return stack.output(STREAM_OUTPUT[stack.construct_id][0])


def stream_description(stack: DeployedStack) -> dict[str, Any]:
    return stack.client("kinesis").describe_stream_summary(StreamName=stream_name(stack))["StreamDescriptionSummary"]


def metric_alarms(stack: DeployedStack) -> list[dict[str, Any]]:
    """Every metric alarm of the account and region (paginated: a real account may hold many)."""
    pages = stack.client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    return [alarm for page in pages for alarm in page["MetricAlarms"]]


def stream_alarms(stack: DeployedStack) -> list[dict[str, Any]]:
    alarms = metric_alarms(stack)
    return [
        alarm
        for alarm in alarms
        if alarm["Namespace"] == "AWS/Kinesis"
        and {"Name": "StreamName", "Value": stream_name(stack)} in alarm["Dimensions"]
    ]


def read_records(stack: DeployedStack, shard_id: str, sequence_number: str) -> list[dict[str, Any]]:
    kinesis = stack.client("kinesis")
    iterator = kinesis.get_shard_iterator(
        StreamName=stream_name(stack),
        ShardId=shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=sequence_number,
    )["ShardIterator"]
    for _ in range(10):  # AWS may answer an empty page before the record arrives
        response = kinesis.get_records(ShardIterator=iterator, Limit=10)
        if response["Records"]:
            return response["Records"]
        iterator = response["NextShardIterator"]
        time.sleep(1)
    return []


# --- KMS ----------------------------------------------------------------------------------------------------------


def test_stack_key_is_an_enabled_customer_managed_symmetric_key(stack: DeployedStack) -> None:
    metadata = stack.client("kms").describe_key(KeyId=key_id(stack))["KeyMetadata"]
    assert (metadata["KeyManager"], metadata["Enabled"], metadata["KeySpec"]) == ("CUSTOMER", True, "SYMMETRIC_DEFAULT")


def test_stack_key_rotates_automatically(stack: DeployedStack) -> None:
    assert stack.client("kms").get_key_rotation_status(KeyId=key_id(stack))["KeyRotationEnabled"] is True


def test_stack_key_policy_lets_cloudwatch_logs_of_this_account_and_region_use_it(stack: DeployedStack) -> None:
    policy = json.loads(stack.client("kms").get_key_policy(KeyId=key_id(stack), PolicyName="default")["Policy"])
    logs = [
        statement
        for statement in policy["Statement"]
        if statement.get("Principal", {}).get("Service") == f"logs.{stack.region}.amazonaws.com"
    ]
    assert logs, "no statement for CloudWatch Logs: encrypted log groups could not be created"
    context = json.dumps(logs[0].get("Condition", {}))
    assert f"arn:aws:logs:{stack.region}:{stack.account}:log-group:*" in context


def test_stack_key_encrypts_and_decrypts(stack: DeployedStack) -> None:
    kms = stack.client("kms")
    secret = uuid.uuid4().bytes
    ciphertext = kms.encrypt(KeyId=key_id(stack), Plaintext=secret)["CiphertextBlob"]
    assert ciphertext != secret
    decrypted = kms.decrypt(CiphertextBlob=ciphertext)
    assert decrypted["Plaintext"] == secret
    assert decrypted["KeyId"] == key_id(stack)


# --- Kinesis -------------------------------------------------------------------------------------------------------


def test_stream_is_encrypted_with_the_stack_key(stack: DeployedStack) -> None:
    summary = stream_description(stack)
    assert summary["EncryptionType"] == "KMS"
    assert summary["KeyId"] == key_id(stack)


def test_stream_is_provisioned_with_its_shards_and_keeps_records_a_day(stack: DeployedStack) -> None:
    summary = stream_description(stack)
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["StreamModeDetails"]["StreamMode"] == storage.STREAM_MODE
    assert summary["RetentionPeriodHours"] == retention.STREAM_RETENTION_HOURS
    assert summary["OpenShardCount"] == STREAM_OUTPUT[stack.construct_id][1]


def test_stream_round_trip_returns_the_record_put(stack: DeployedStack) -> None:
    payload = json.dumps({"test": "round-trip", "id": str(uuid.uuid4())}).encode()
    put = stack.client("kinesis").put_record(StreamName=stream_name(stack), Data=payload, PartitionKey="integration")
    records = read_records(stack, put["ShardId"], put["SequenceNumber"])
    assert records and records[0]["Data"] == payload
    assert records[0]["SequenceNumber"] == put["SequenceNumber"]


# --- Alarms --------------------------------------------------------------------------------------------------------


def test_alarm_topic_is_encrypted_with_the_stack_key(stack: DeployedStack) -> None:
    attributes = stack.client("sns").get_topic_attributes(TopicArn=stack.output("AlarmTopicArn"))["Attributes"]
    assert attributes["KmsMasterKeyId"] == key_id(stack)


def test_alarm_topic_policy_denies_publishing_without_tls_and_admits_cloudwatch_alarms(stack: DeployedStack) -> None:
    attributes = stack.client("sns").get_topic_attributes(TopicArn=stack.output("AlarmTopicArn"))["Attributes"]
    statements = json.loads(attributes["Policy"])["Statement"]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    assert any(
        s["Effect"] == "Allow" and s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in statements
    )


def test_stream_has_iterator_age_and_throttle_alarms_that_notify_the_topic_both_ways(stack: DeployedStack) -> None:
    alarms = {alarm["MetricName"]: alarm for alarm in stream_alarms(stack)}
    assert set(alarms) == {"GetRecords.IteratorAgeMilliseconds", "WriteProvisionedThroughputExceeded"}
    assert alarms["GetRecords.IteratorAgeMilliseconds"]["Threshold"] == STREAM_ITERATOR_AGE.threshold
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [stack.output("AlarmTopicArn")]
        assert alarm["OKActions"] == [stack.output("AlarmTopicArn")]
        assert alarm["TreatMissingData"] == TREAT_MISSING_DATA


@pytest.mark.real_aws_only
def test_an_alarm_reaches_a_subscriber_through_the_encrypted_topic(stack: DeployedStack) -> None:
    """Reason: the emulator neither fires alarm actions nor enforces the key policy that lets CloudWatch publish to a
    KMS-encrypted topic (the silent failure this checks for)."""
    sqs, sns = stack.client("sqs"), stack.client("sns")
    queue_url = sqs.create_queue(QueueName=f"alarm-probe-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    try:
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(
            QueueUrl=queue_url,
            Attributes={
                "Policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "sns.amazonaws.com"},
                                "Action": "sqs:SendMessage",
                                "Resource": queue_arn,
                                "Condition": {"ArnEquals": {"aws:SourceArn": stack.output("AlarmTopicArn")}},
                            }
                        ]
                    }
                )
            },
        )
        subscription = sns.subscribe(TopicArn=stack.output("AlarmTopicArn"), Protocol="sqs", Endpoint=queue_arn)
        alarm = stream_alarms(stack)[0]["AlarmName"]
        stack.client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="integration test")
        messages: list[dict[str, Any]] = []
        for _ in range(12):
            messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=10).get("Messages", [])
            if messages:
                break
        stack.client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="integration test")
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        assert messages and alarm in messages[0]["Body"]
    finally:
        sqs.delete_queue(QueueUrl=queue_url)


# --- Network -------------------------------------------------------------------------------------------------------


def subnets(stack: DeployedStack) -> list[dict[str, Any]]:
    return stack.client("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [stack.output("VpcId")]}])[
        "Subnets"
    ]


def subnet_tier(subnet: dict[str, Any]) -> str:
    return next(tag["Value"] for tag in subnet.get("Tags", []) if tag["Key"] == "aws-cdk:subnet-name")


def test_vpc_spans_two_availability_zones_with_every_tier_in_each(stack: DeployedStack) -> None:
    found = subnets(stack)
    tiers = {subnet_tier(subnet) for subnet in found}
    assert len({subnet["AvailabilityZone"] for subnet in found}) == services.NETWORK_AZ_COUNT
    assert len(found) == len(tiers) * services.NETWORK_AZ_COUNT
    assert {"private", "isolated"} <= tiers
    assert not any(subnet["MapPublicIpOnLaunch"] for subnet in found)


def test_isolated_subnets_have_no_route_out_of_the_vpc(stack: DeployedStack) -> None:
    ec2 = stack.client("ec2")
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [stack.output("VpcId")]}])["RouteTables"]
    tier_of = {subnet["SubnetId"]: subnet_tier(subnet) for subnet in subnets(stack)}
    isolated = [
        table
        for table in tables
        if any(tier_of.get(association.get("SubnetId")) == "isolated" for association in table["Associations"])
    ]
    assert len(isolated) == services.NETWORK_AZ_COUNT
    for table in isolated:
        assert all(route.get("GatewayId") == "local" for route in table["Routes"]), table["Routes"]


def test_vpc_flow_log_records_all_traffic_to_an_encrypted_log_group_kept_90_days(stack: DeployedStack) -> None:
    flow_logs = stack.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [stack.output("VpcId")]}]
    )["FlowLogs"]
    assert len(flow_logs) == 1
    flow_log = flow_logs[0]
    assert flow_log["TrafficType"] == services.FLOW_LOG_TRAFFIC
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    group = stack.client("logs").describe_log_groups(logGroupNamePrefix=flow_log["LogGroupName"])["logGroups"][0]
    assert group["kmsKeyId"] == key_id(stack)
    assert group["retentionInDays"] == retention.log_retention_days("network")


def test_vpc_flow_log_delivers(stack: DeployedStack) -> None:
    flow_log = stack.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [stack.output("VpcId")]}]
    )["FlowLogs"][0]
    assert flow_log["FlowLogStatus"] == "ACTIVE"
    assert flow_log["DeliverLogsStatus"] == "SUCCESS"


def test_default_security_group_has_no_rules(stack: DeployedStack) -> None:
    group = stack.client("ec2").describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [stack.output("VpcId")]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]
    assert group["IpPermissions"] == []
    assert group["IpPermissionsEgress"] == []


def test_stack_is_tagged_for_ownership_and_data_classification(stack: DeployedStack) -> None:
    assert {"System", "Environment", "Profile", "DataClassification", "ManagedBy"} <= set(stack.tags)
