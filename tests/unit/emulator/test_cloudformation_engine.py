"""CloudFormation semantics the emulator adds to moto: AZs of the stack's region, dynamic references, rollback of a
failed create, DELETE_FAILED on a failed delete, dependency-ordered deletes, change-set outputs."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from emulator_templates import get_att, key, network, ref

from scripts.emulator import cloudformation
from tests.unit.local_aws import Account


def test_fn_getazs_lists_the_zones_of_the_stack_region(aws: Account) -> None:
    stack = aws.create_stack("azs", network(), {"VpcId": ref("Vpc")})
    subnets = aws.client("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [stack["out"]["VpcId"]]}])
    zones = {subnet["AvailabilityZone"] for subnet in subnets["Subnets"]}
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert zones and all(zone.startswith(aws.region) for zone in zones)
    assert len(zones) == 2


def test_secretsmanager_dynamic_reference_is_replaced_by_the_secret_value(aws: Account) -> None:
    secret_arn = aws.client("secretsmanager").create_secret(Name="token", SecretString=json.dumps({"k": "v-1"}))["ARN"]
    aws.client("secretsmanager").create_secret(Name="plain", SecretString="whole-value")
    aws.create_stack(
        "dynamic",
        {
            "Keyed": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"DisplayName": f"{{{{resolve:secretsmanager:{secret_arn}:SecretString:k}}}}"},
            },
            "Whole": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"DisplayName": {"Fn::Join": ["", ["{{resolve:secretsmanager:plain:SecretString:::}}"]]}},
            },
        },
    )
    names = {
        aws.client("sns").get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]["DisplayName"]
        for topic in aws.client("sns").list_topics()["Topics"]
    }
    assert names == {"v-1", "whole-value"}


def test_ssm_dynamic_reference_is_replaced_by_the_parameter_value(aws: Account) -> None:
    aws.client("ssm").put_parameter(Name="/app/name", Value="from-ssm", Type="String")
    aws.create_stack(
        "ssm", {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "{{resolve:ssm:/app/name}}"}}}
    )
    topic_arn = aws.client("sns").list_topics()["Topics"][0]["TopicArn"]
    assert aws.client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]["DisplayName"] == "from-ssm"


def test_a_failed_create_rolls_back_and_reports_the_resource(aws: Account) -> None:
    aws.create_stack(
        "rollback",
        {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "kept-only-until-rollback"}},
            "Custom": {
                "Type": "Custom::NothingRunsThis",
                "Properties": {"ServiceToken": "arn:none"},
                "DependsOn": "Queue",
            },
        },
    )
    assert aws.stack("rollback")["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [event for event in aws.events("rollback") if event["ResourceStatus"] == "CREATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "Custom"
    assert "provider Lambda cannot run" in failed[0]["ResourceStatusReason"]
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []


def test_a_rollback_that_cannot_delete_ends_rollback_failed(aws: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.sqs.models import Queue

    def refuse(*_args: object) -> None:
        raise RuntimeError("cannot delete")

    monkeypatch.setattr(Queue, "delete_from_cloudformation_json", classmethod(lambda cls, *args: refuse()))
    aws.create_stack(
        "stuck",
        {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Custom": {"Type": "Custom::Nope", "Properties": {"ServiceToken": "x"}, "DependsOn": "Queue"},
        },
    )
    assert aws.stack("stuck")["StackStatus"] == "ROLLBACK_FAILED"


def test_a_failed_delete_leaves_the_stack_in_delete_failed_with_the_reason(aws: Account) -> None:
    aws.create_stack(
        "protected",
        {
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "Engine": "postgres",
                    "DBInstanceClass": "db.t4g.micro",
                    "MasterUsername": "owner",
                    "ManageMasterUserPassword": True,
                    "DeletionProtection": True,
                },
            },
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        },
    )
    assert aws.delete_stack("protected") == "DELETE_FAILED"
    assert "deletion protection" in aws.events("protected")[0]["ResourceStatusReason"]
    listed = aws.client("cloudformation").list_stack_resources(StackName="protected")["StackResourceSummaries"]
    assert [item["LogicalResourceId"] for item in listed] == ["Db"], "the queue was deleted and must stay deleted"
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []


def test_deleting_an_unknown_stack_name_is_a_no_op(aws: Account) -> None:
    aws.client("cloudformation").delete_stack(StackName="never-created")


def test_resources_are_deleted_before_what_they_reference(aws: Account) -> None:
    resources = network(az_count=1)
    resources["Gateway"] = {"Type": "AWS::EC2::InternetGateway", "Properties": {}}
    resources["Attachment"] = {
        "Type": "AWS::EC2::VPCGatewayAttachment",
        "Properties": {"VpcId": ref("Vpc"), "InternetGatewayId": ref("Gateway")},
    }
    resources["Default"] = {
        "Type": "AWS::EC2::Route",
        "Properties": {"RouteTableId": ref("Table0"), "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": ref("Gateway")},
        "DependsOn": "Attachment",
    }
    aws.create_stack("ordered", resources)
    assert aws.delete_stack("ordered") == "DELETE_COMPLETE"
    assert aws.client("ec2").describe_internet_gateways()["InternetGateways"] == []
    assert [vpc for vpc in aws.client("ec2").describe_vpcs()["Vpcs"] if not vpc["IsDefault"]] == []


def test_retained_resources_outlive_their_stack(aws: Account) -> None:
    aws.create_stack(
        "retain",
        {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "kept"}, "DeletionPolicy": "Retain"}},
    )
    assert aws.delete_stack("retain") == "DELETE_COMPLETE"
    assert aws.client("sqs").get_queue_url(QueueName="kept")["QueueUrl"]


def test_a_resource_type_the_emulator_cannot_delete_fails_the_delete(
    aws: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sqs.models import Queue

    aws.create_stack("leaky", {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}})
    monkeypatch.delattr(Queue, "delete_from_cloudformation_json")
    assert aws.delete_stack("leaky") == "DELETE_FAILED"
    assert "cannot delete AWS::SQS::Queue" in aws.events("leaky")[0]["ResourceStatusReason"]


def test_a_resource_already_gone_counts_as_deleted() -> None:
    class NotFoundError(Exception):
        code = "InvalidRouteTableID.NotFound"

    assert cloudformation._already_gone(NotFoundError())
    assert not cloudformation._already_gone(RuntimeError("DependencyViolation"))


def test_template_references_follow_ref_getatt_and_sub() -> None:
    fragment = {
        "A": {"Ref": "One"},
        "B": {"Fn::GetAtt": ["Two", "Arn"]},
        "C": {"Fn::GetAtt": "Three.Arn"},
        "D": {"Fn::Sub": "${Four}-${Five.Arn}-${AWS::Region}"},
        "E": {"Fn::Sub": ["${Six}-${x}", {"x": {"Ref": "Seven"}}]},
        "F": [{"Ref": "Eight"}],
    }
    found = cloudformation.template_references(fragment)
    assert {"One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight"} <= found


def test_deletion_order_puts_every_resource_before_its_dependencies() -> None:
    resources = {
        "Vpc": {},
        "Subnet": {"Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Db": {"Properties": {"Subnet": {"Ref": "Subnet"}}, "DependsOn": "Logs"},
        "Logs": {},
        "Loop": {"DependsOn": ["Loop"]},
    }
    order = cloudformation.deletion_order(resources)
    assert order.index("Db") < order.index("Subnet") < order.index("Vpc")
    assert order.index("Db") < order.index("Logs")
    assert sorted(order) == sorted(resources)


def test_a_stack_created_from_a_change_set_has_its_outputs(aws: Account) -> None:
    cloudformation = aws.client("cloudformation")
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}},
        "Outputs": {"QueueArn": {"Value": get_att("Queue", "Arn")}},
    }
    cloudformation.create_change_set(
        StackName="via-change-set", ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=json.dumps(template)
    )
    cloudformation.execute_change_set(StackName="via-change-set", ChangeSetName="first")
    assert aws.stack("via-change-set")["out"]["QueueArn"].startswith("arn:aws:sqs:")


def test_deleting_a_missing_change_set_answers_change_set_not_found(aws: Account) -> None:
    aws.create_stack("no-change-sets", {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}})
    with pytest.raises(ClientError) as raised:
        aws.client("cloudformation").delete_change_set(StackName="no-change-sets", ChangeSetName="absent")
    assert raised.value.response["Error"]["Code"] == "ChangeSetNotFound"


def test_deleting_a_change_set_by_name_removes_it(aws: Account) -> None:
    cloudformation = aws.client("cloudformation")
    body = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}})
    cloudformation.create_change_set(StackName="s", ChangeSetName="named", ChangeSetType="CREATE", TemplateBody=body)
    cloudformation.delete_change_set(StackName="s", ChangeSetName="named")
    assert cloudformation.list_change_sets(StackName="s")["Summaries"] == []


def test_a_resource_type_nobody_models_fails_the_create_and_cdk_metadata_is_accepted(aws: Account) -> None:
    aws.create_stack(
        "unknown-type",
        {
            "Metadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}},
            "Thing": {"Type": "AWS::Nothing::Here", "Properties": {}},
        },
    )
    failed = next(e for e in aws.events("unknown-type") if e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["LogicalResourceId"] == "Thing"
    assert "no model for AWS::Nothing::Here" in failed["ResourceStatusReason"]
    assert (
        aws.create_stack("metadata-only", {"Metadata": {"Type": "AWS::CDK::Metadata", "Properties": {}}})["StackStatus"]
        == "CREATE_COMPLETE"
    )


def test_termination_protection_refuses_a_delete_until_switched_off(aws: Account) -> None:
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(
        StackName="protected-stack",
        TemplateBody=json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}}),
        EnableTerminationProtection=True,
    )
    with pytest.raises(ClientError, match="cannot be deleted while TerminationProtection is enabled"):
        cloudformation.delete_stack(StackName="protected-stack")
    assert aws.stack("protected-stack")["StackStatus"] == "CREATE_COMPLETE"
    cloudformation.update_termination_protection(StackName="protected-stack", EnableTerminationProtection=False)
    assert aws.stack("protected-stack")["EnableTerminationProtection"] is False
    assert aws.delete_stack("protected-stack") == "DELETE_COMPLETE"


def test_an_update_keeps_the_previous_value_of_a_defaulted_parameter(aws: Account) -> None:
    aws.client("ssm").put_parameter(Name="/cdk-bootstrap/version", Value="30", Type="String")
    template = {
        "Parameters": {
            "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/version"}
        },
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "first"}}},
        "Outputs": {"Version": {"Value": {"Ref": "BootstrapVersion"}}},
    }
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(StackName="defaulted", TemplateBody=json.dumps(template))
    template["Resources"]["Topic"]["Properties"]["DisplayName"] = "second"
    cloudformation.update_stack(
        StackName="defaulted",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "BootstrapVersion", "UsePreviousValue": True}],
    )
    stack = aws.stack("defaulted")
    assert (stack["StackStatus"], stack["out"]["Version"]) == ("UPDATE_COMPLETE", "30")


def test_an_update_of_a_passed_parameter_keeps_its_passed_value(aws: Account) -> None:
    template = {
        "Parameters": {"Name": {"Type": "String"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Name"}}}},
        "Outputs": {"Name": {"Value": {"Ref": "Name"}}},
    }
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(
        StackName="passed",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Name", "ParameterValue": "kept"}],
    )
    template["Outputs"]["Again"] = {"Value": "x"}
    cloudformation.update_stack(
        StackName="passed",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Name", "UsePreviousValue": True}],
    )
    assert aws.stack("passed")["out"]["Name"] == "kept"


def test_an_update_the_emulator_cannot_apply_is_refused_before_anything_changes(aws: Account) -> None:
    template = {"Resources": {"Key": key(policy=False), "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}}
    aws.client("cloudformation").create_stack(StackName="frozen", TemplateBody=json.dumps(template))
    template["Resources"]["Key"]["Properties"]["Description"] = "changed"
    template["Resources"]["Extra"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    with pytest.raises(ClientError, match=r"cannot update in place: Key \(AWS::KMS::Key\)"):
        aws.client("cloudformation").update_stack(StackName="frozen", TemplateBody=json.dumps(template))
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []
    assert aws.stack("frozen")["StackStatus"] == "CREATE_COMPLETE"


def test_an_update_of_updatable_resources_goes_through(aws: Account) -> None:
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q", "DelaySeconds": 1}}}
    }
    aws.client("cloudformation").create_stack(StackName="updatable", TemplateBody=json.dumps(template))
    template["Resources"]["Queue"]["Properties"]["DelaySeconds"] = 5
    template["Resources"]["Metadata"] = {"Type": "AWS::CDK::Metadata", "Properties": {}}
    aws.client("cloudformation").update_stack(StackName="updatable", TemplateBody=json.dumps(template))
    assert aws.stack("updatable")["StackStatus"] == "UPDATE_COMPLETE"
    assert cloudformation.updatable("AWS::CDK::Metadata")


@pytest.mark.parametrize(
    ("resource_type", "expected"),
    [
        ("AWS::RDS::DBCluster", False),
        ("AWS::ElastiCache::ReplicationGroup", False),
        ("AWS::SecretsManager::Secret", False),
        ("AWS::CloudWatch::Alarm", True),
        ("AWS::SNS::TopicPolicy", True),
        ("AWS::CloudFormation::WaitCondition", True),
    ],
)
def test_only_stateless_emulator_models_update_by_replacement(resource_type: str, expected: bool) -> None:
    """A data store is never replaced to apply a change: the update is refused instead."""
    assert cloudformation.updatable(resource_type) is expected
