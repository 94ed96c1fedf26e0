"""HIPAA healthcare pipeline (seed 001), as deployed: the audit log and where the stack lives."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from data_flow import connect, eventually
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


# --- Data flow: patient events in, rows and audit events out ---------------------------------------------------------


def _stored(stack: DeployedStack, event_ids: list[str]) -> set[str]:
    session = connect(
        stack, host="DatabaseEndpoint", port="DatabasePort", secret="DatabaseSecretArn", database="DatabaseName"
    )
    try:
        rows = session.run(
            "SELECT event_id FROM patient_events WHERE event_id = ANY(CAST(:ids AS TEXT[]))", ids=event_ids
        )
        return {row[0] for row in rows}
    finally:
        session.close()


def _audited(stack: DeployedStack, event_ids: list[str]) -> dict[str, list[str]]:
    """Audit messages per event id, from the consumer's stream in the audit log group."""
    logs, found = stack.client("logs"), {event_id: [] for event_id in event_ids}
    paginator = logs.get_paginator("filter_log_events")
    pages = paginator.paginate(
        logGroupName=stack.output("AuditLogGroupName"), logStreamNames=[stack.output("AuditLogStreamName")]
    )
    for page in pages:
        for event in page["events"]:
            for event_id in event_ids:
                if event_id in event["message"]:
                    found[event_id].append(event["message"])
    return found


@pytest.mark.end_to_end
def test_patient_events_become_rows_and_one_audit_event_each_without_patient_data(stack: DeployedStack) -> None:
    run = uuid.uuid4().hex[:12]
    events = [
        {
            "event_id": f"e2e-{run}-{index}",
            "patient_id": f"NHS-{run}-{index}",
            "event_type": "admission",
            "occurred_at": "2026-12-07T09:00:00+00:00",
            "ward": f"ward-{run}",
        }
        for index in range(3)
    ]
    for event in events:
        stack.client("kinesis").put_record(
            StreamName=stack.output("PatientStreamName"),
            Data=json.dumps(event).encode(),
            PartitionKey=event["event_id"],
        )
    event_ids = [event["event_id"] for event in events]
    assert eventually(lambda: _stored(stack, event_ids) == set(event_ids), "a row per patient event")
    audited = eventually(
        lambda: (found := _audited(stack, event_ids)) and all(found.values()) and found, "an audit event per record"
    )
    assert [len(messages) for messages in audited.values()] == [1, 1, 1]
    for event in events:
        (message,) = audited[event["event_id"]]
        assert event["patient_id"] not in message and event["ward"] not in message
