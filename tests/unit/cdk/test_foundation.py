"""EncryptionKey, EncryptedLogGroup, Network, HardenedStack and the override/acknowledgement mechanics."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.compliance import ACKNOWLEDGEMENT_METADATA, acknowledge
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.hardened_stack import HardenedStack
from constructs_lib.cdk.log_group import EncryptedLogGroup
from constructs_lib.cdk.network import ISOLATED, Network
from constructs_lib.policy import ConfigurationError


def build(profile: str) -> tuple[cdk.Stack, Template]:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    stack = HardenedStack(app, "Foundation", system="test-system", data_classification="internal")
    key = EncryptionKey(stack, "Key")
    EncryptedLogGroup(stack, "Audit", purpose="audit", encryption_key=key)
    EncryptedLogGroup(stack, "Short", encryption_key=key, retention_days=7)
    EncryptedLogGroup(stack, "OwnKey")
    network = Network(stack, "Network", encryption_key=key)
    stack.output("VpcId", network.vpc_id, "VPC id")
    acknowledge(network, "AwsSolutions-VPC7", "flow logs are configured by the Network construct itself")
    return stack, Template.from_stack(stack)


@pytest.fixture(scope="module")
def dev() -> tuple[cdk.Stack, Template]:
    return build("dev")


@pytest.fixture(scope="module")
def prod() -> tuple[cdk.Stack, Template]:
    return build("prod")


def test_key_rotates_yearly(dev: tuple[cdk.Stack, Template]) -> None:
    dev[1].has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_key_policy_lets_regional_cloudwatch_logs_use_it_for_this_accounts_log_groups(dev) -> None:
    dev[1].has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowCloudWatchLogsInThisAccount",
                                "Principal": {
                                    "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
                                },
                                "Condition": {"ArnLike": Match.object_like({})},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_key_policy_lets_cloudwatch_alarms_publish_to_encrypted_topics(dev) -> None:
    dev[1].has_resource_properties(
        "AWS::KMS::Key",
        {"KeyPolicy": {"Statement": Match.array_with([Match.object_like({"Sid": "AllowCloudWatchAlarmsToPublish"})])}},
    )


def test_dev_key_is_deleted_after_seven_days_prod_key_is_retained(dev, prod) -> None:
    dev[1].has_resource(
        "AWS::KMS::Key", {"DeletionPolicy": "Delete", "Properties": Match.object_like({"PendingWindowInDays": 7})}
    )
    prod[1].has_resource(
        "AWS::KMS::Key", {"DeletionPolicy": "Retain", "Properties": Match.object_like({"PendingWindowInDays": 30})}
    )


def test_audit_log_group_is_kept_a_year_and_encrypted_with_the_key(dev) -> None:
    stack, template = dev
    key_id = stack.resolve(stack.node.find_child("Key").node.default_child.logical_id)
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": 365, "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]}}
    )


def test_log_group_without_a_key_gets_its_own_customer_managed_key(dev) -> None:
    stack, template = dev
    own_key = stack.resolve(stack.node.find_child("OwnKeyKey").node.default_child.logical_id)
    template.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": {"Fn::GetAtt": [own_key, "Arn"]}})


def test_retention_override_is_applied_and_reported_at_synth(dev) -> None:
    stack, template = dev
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 7})
    Annotations.from_stack(stack).has_warning(
        "/Foundation/Short", Match.string_like_regexp("'retention_days' overrides the hardened default 14 with 7")
    )


def test_retention_cloudwatch_rejects_fails_at_synth() -> None:
    app = cdk.App(context={"profile": "dev"})
    stack = cdk.Stack(app, "Bad")
    with pytest.raises(ConfigurationError, match="retention_days=10"):
        EncryptedLogGroup(stack, "Logs", retention_days=10)


def test_network_spans_two_azs_with_three_tiers(dev) -> None:
    template = dev[1]
    subnets = template.find_resources("AWS::EC2::Subnet")
    names = sorted(
        tag["Value"]
        for subnet in subnets.values()
        for tag in subnet["Properties"]["Tags"]
        if tag["Key"] == "aws-cdk:subnet-name"
    )
    assert names == ["isolated", "isolated", "private", "private", "public", "public"]


def test_public_subnets_do_not_assign_public_ips(dev) -> None:
    for subnet in dev[1].find_resources("AWS::EC2::Subnet").values():
        assert subnet["Properties"].get("MapPublicIpOnLaunch") is False


def test_dev_has_one_nat_prod_one_per_az(dev, prod) -> None:
    assert len(dev[1].find_resources("AWS::EC2::NatGateway")) == 1
    assert len(prod[1].find_resources("AWS::EC2::NatGateway")) == 2


def test_flow_logs_capture_all_traffic_into_the_encrypted_network_log_group(dev) -> None:
    template = dev[1]
    template.has_resource_properties(
        "AWS::EC2::FlowLog", {"TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"}
    )
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90, "KmsKeyId": Match.any_value()})


def test_default_security_group_rules_are_removed(dev) -> None:
    dev[1].has_resource("Custom::VpcRestrictDefaultSG", {})


def test_isolated_subnet_selection_has_no_route_to_the_internet(dev) -> None:
    stack, template = dev
    network = stack.node.find_child("Network")
    isolated = network.select_subnets(subnet_group_name=network.subnets(ISOLATED).subnet_group_name).subnets
    assert len(isolated) == 2
    routes = template.find_resources("AWS::EC2::Route")
    isolated_tables = {stack.resolve(subnet.route_table.route_table_id)["Ref"] for subnet in isolated}
    assert all(route["Properties"]["RouteTableId"]["Ref"] not in isolated_tables for route in routes.values())


def test_stack_is_named_with_suffix_tagged_and_protected_in_prod(dev, prod) -> None:
    assert dev[0].stack_name == "Foundation-t-dev"
    assert not dev[0].termination_protection and prod[0].termination_protection
    dev[1].has_resource_properties(
        "AWS::EC2::VPC",
        {
            "Tags": Match.array_with(
                [{"Key": "DataClassification", "Value": "internal"}, {"Key": "Profile", "Value": "dev"}]
            )
        },
    )


def test_outputs_are_written(dev) -> None:
    dev[1].has_output("VpcId", {"Value": {"Ref": Match.string_like_regexp("Network")}})


def test_acknowledgement_is_recorded_with_its_reason(dev) -> None:
    network = dev[0].node.find_child("Network")
    entries = [entry.data for entry in network.node.metadata if entry.type == ACKNOWLEDGEMENT_METADATA]
    assert {
        "rule": "AwsSolutions-VPC7",
        "reason": "flow logs are configured by the Network construct itself",
    } in entries


def test_acknowledgement_without_a_real_reason_is_refused(dev) -> None:
    with pytest.raises(ValueError, match="needs a specific reason"):
        acknowledge(dev[0], "AwsSolutions-IAM4", "ok")


@pytest.fixture(scope="module")
def egress_free() -> tuple[cdk.Stack, Template, Network]:
    app = cdk.App(context={"profile": "prod", "environmentSuffix": "t-closed"})
    stack = cdk.Stack(app, "Closed")
    network = Network(stack, "Network", internet_egress=False)
    endpoint = network.add_interface_endpoint("SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER)
    caller = ec2.SecurityGroup(stack, "Caller", vpc=network)
    endpoint.connections.allow_default_port_from(caller)
    return stack, Template.from_stack(stack), network


def test_network_without_egress_has_no_public_tier_nat_or_internet_gateway(egress_free) -> None:
    _, template, network = egress_free
    assert template.find_resources("AWS::EC2::NatGateway") == {}
    assert template.find_resources("AWS::EC2::InternetGateway") == {}
    assert template.find_resources("AWS::EC2::Route") == {}
    assert network.public_subnets == []
    assert len(network.select_subnets(subnet_group_name="private").subnets) == 2


def test_interface_endpoint_is_private_and_open_only_to_allowed_callers(egress_free) -> None:
    stack, template, _ = egress_free
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface", "PrivateDnsEnabled": True}
    )
    ingress = template.find_resources("AWS::EC2::SecurityGroupIngress")
    assert len(ingress) == 1
    rule = next(iter(ingress.values()))["Properties"]
    assert rule["FromPort"] == 443 and "CidrIp" not in rule
    caller_id = stack.resolve(stack.node.find_child("Caller").node.default_child.logical_id)
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": [caller_id, "GroupId"]}
