"""Stack creation in the background (the emulator's server mode): CreateStack answers at once, resources appear one
by one while the stack shows CREATE_IN_PROGRESS without outputs, updates wait, a delete waits for the creation, and
the setting refuses bad values."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from scripts.emulator import stack_creation
from scripts.emulator.stack_creation import StackCreation
from tests.unit.local_aws import Account

QUEUES = {f"Queue{index}": {"Type": "AWS::SQS::Queue", "Properties": {}} for index in range(6)}
OUTPUTS = {"LastQueue": {"Fn::GetAtt": ["Queue5", "Arn"]}}


@pytest.fixture
def background(monkeypatch: pytest.MonkeyPatch) -> Iterator[StackCreation]:
    """Background creation at 0.1 s per resource for one test (restored after it)."""
    monkeypatch.setattr(stack_creation.STACK_CREATION, "background", True)
    monkeypatch.setattr(stack_creation.STACK_CREATION, "seconds_per_resource", 0.1)
    yield stack_creation.STACK_CREATION


def resource_count(aws: Account, name: str) -> int:
    return len(aws.client("cloudformation").list_stack_resources(StackName=name)["StackResourceSummaries"])


def wait_settled(aws: Account, name: str, seconds: float = 10.0) -> dict:
    deadline = time.monotonic() + seconds
    while (described := aws.stack(name))["StackStatus"].endswith("_IN_PROGRESS"):
        assert time.monotonic() < deadline, f"{name} still {described['StackStatus']}"
        time.sleep(0.05)
    return described


def test_create_stack_answers_at_once_and_resources_appear_over_time(aws: Account, background: StackCreation) -> None:
    aws.client("cloudformation").list_stacks()  # the client is built before the clock starts
    started = time.monotonic()
    first = aws.create_stack("paced", QUEUES, OUTPUTS)
    assert time.monotonic() - started < len(QUEUES) * background.seconds_per_resource / 2
    assert first["StackStatus"] == "CREATE_IN_PROGRESS" and first["out"] == {}
    seen: set[int] = set()
    while aws.stack("paced")["StackStatus"] == "CREATE_IN_PROGRESS":
        seen.add(resource_count(aws, "paced"))
        time.sleep(0.03)
    done = aws.stack("paced")
    assert done["StackStatus"] == "CREATE_COMPLETE"
    assert done["out"]["LastQueue"].startswith(f"arn:aws:sqs:{aws.region}:")
    assert resource_count(aws, "paced") == len(QUEUES)
    assert any(0 < count < len(QUEUES) for count in seen), f"never part-way: {sorted(seen)}"
    assert len(aws.client("sqs").list_queues()["QueueUrls"]) == len(QUEUES)


def test_an_update_while_creating_is_refused_and_goes_through_once_settled(
    aws: Account, background: StackCreation
) -> None:
    import json

    from botocore.exceptions import ClientError

    aws.create_stack("busy", QUEUES)
    body = json.dumps({"Resources": {"Only": {"Type": "AWS::SQS::Queue", "Properties": {}}}})
    with pytest.raises(ClientError, match="CREATE_IN_PROGRESS state and can not be updated"):
        aws.client("cloudformation").update_stack(StackName="busy", TemplateBody=body)
    assert wait_settled(aws, "busy")["StackStatus"] == "CREATE_COMPLETE"
    aws.client("cloudformation").update_stack(StackName="busy", TemplateBody=body)
    assert aws.stack("busy")["StackStatus"] == "UPDATE_COMPLETE"


def test_a_delete_during_creation_waits_for_it_and_leaves_nothing(aws: Account, background: StackCreation) -> None:
    aws.create_stack("short-lived", QUEUES)
    assert aws.delete_stack("short-lived") == "DELETE_COMPLETE"
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []


def test_a_failure_in_the_background_rolls_back(aws: Account, background: StackCreation) -> None:
    resources = {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Custom": {"Type": "Custom::NothingRunsThis", "Properties": {"ServiceToken": "arn:none"}, "DependsOn": "Queue"},
    }
    assert aws.create_stack("doomed", resources)["StackStatus"] == "CREATE_IN_PROGRESS"
    assert wait_settled(aws, "doomed")["StackStatus"] == "ROLLBACK_COMPLETE"
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []


def test_in_process_creation_stays_inside_the_request_by_default(aws: Account) -> None:
    assert StackCreation(background=False, seconds_per_resource=0.0) == stack_creation.STACK_CREATION
    assert aws.create_stack("inline", QUEUES, OUTPUTS)["StackStatus"] == "CREATE_COMPLETE"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"pace": 1}, "unknown stack-creation setting"),
        ({"background": "yes"}, "background must be true or false"),
        ({"seconds_per_resource": -1}, "seconds_per_resource must be a number from 0 to 60"),
        ({"seconds_per_resource": True}, "seconds_per_resource must be a number"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(settings: dict, message: str) -> None:
    creation = StackCreation()
    with pytest.raises(ValueError, match=message):
        creation.update(settings)
    assert creation == StackCreation()


def test_settings_apply_key_by_key() -> None:
    creation = StackCreation()
    creation.update({"seconds_per_resource": 2})
    creation.update({"background": True})
    assert creation == StackCreation(background=True, seconds_per_resource=2.0)
