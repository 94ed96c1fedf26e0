"""HIPAA healthcare pipeline (seed 001), as deployed: the audit log and where the stack lives."""

from __future__ import annotations

import time
import uuid

from deployed_stacks import DeployedStack

from constructs_lib.policy import retention
from stacks.healthcare_pipeline.stack import HealthcarePipelineProps

STACK = "HealthcarePipeline"


def test_stack_lives_in_the_region_the_system_is_deployed_to(stack: DeployedStack) -> None:
    assert stack.region == HealthcarePipelineProps().region


def test_audit_log_is_encrypted_with_the_stack_key_and_kept_a_year(stack: DeployedStack) -> None:
    name = stack.output("AuditLogGroupName")
    group = stack.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    assert group["logGroupName"] == name
    assert group["kmsKeyId"] == stack.output("KmsKeyArn")
    assert group["retentionInDays"] == retention.log_retention_days("audit")


def test_audit_log_accepts_and_returns_an_event(stack: DeployedStack) -> None:
    logs = stack.client("logs")
    name, stream, message = stack.output("AuditLogGroupName"), f"integration-{uuid.uuid4().hex}", uuid.uuid4().hex
    logs.create_log_stream(logGroupName=name, logStreamName=stream)
    try:
        logs.put_log_events(
            logGroupName=name,
            logStreamName=stream,
            logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
        )
        events: list[dict] = []
        for _ in range(10):
            events = logs.get_log_events(logGroupName=name, logStreamName=stream, startFromHead=True)["events"]
            if events:
                break
            time.sleep(1)
        assert [event["message"] for event in events] == [message]
    finally:
        logs.delete_log_stream(logGroupName=name, logStreamName=stream)


def test_stack_data_is_classified_phi(stack: DeployedStack) -> None:
    assert stack.tags["DataClassification"] == "phi"
