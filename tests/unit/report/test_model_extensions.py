"""What the report added to the shared model: kinds for network, compute and monitoring resources, the protection
flags of Network Firewall and DynamoDB in both formats, and the stack's ``System`` tag."""

from __future__ import annotations

import pytest
from report_cases import CfnBuilder, TfBuilder

from constructs_lib.model.kinds import kind_of


@pytest.mark.parametrize(
    ("resource_type", "kind"),
    [
        ("AWS::EC2::NatGateway", "nat_gateway"),
        ("aws_eip", "elastic_ip"),
        ("aws_vpc_endpoint", "vpc_endpoint"),
        ("AWS::RDS::DBSubnetGroup", "db_subnet_group"),
        ("aws_elasticache_subnet_group", "cache_subnet_group"),
        ("AWS::IAM::ManagedPolicy", "iam_policy"),
        ("aws_ecs_service", "ecs_service"),
        ("AWS::Lambda::EventSourceMapping", "event_source_mapping"),
        ("aws_cloudwatch_metric_alarm", "metric_alarm"),
        ("AWS::Config::ConfigurationRecorder", "config_recorder"),
    ],
)
def test_both_formats_name_the_same_kind(resource_type: str, kind: str) -> None:
    assert kind_of(resource_type, {}) == kind


def test_network_firewall_delete_protection_blocks_teardown_in_both_formats(cfn: CfnBuilder, tf: TfBuilder) -> None:
    cfn_firewall = cfn({"Fw": {"Type": "AWS::NetworkFirewall::Firewall", "Properties": {"DeleteProtection": True}}})
    tf_firewall = tf({"aws_networkfirewall_firewall": {"fw": {"delete_protection": True}}})
    assert cfn_firewall.resources["Fw"].deletion.blocks_teardown
    assert cfn_firewall.resources["Fw"].deletion.evidence == ("DeleteProtection=true",)
    assert tf_firewall.resources["aws_networkfirewall_firewall.fw"].deletion.evidence == ("delete_protection=true",)


def test_terraform_dynamodb_deletion_protection_keeps_the_table(tf: TfBuilder) -> None:
    table = tf({"aws_dynamodb_table": {"t": {"deletion_protection_enabled": True}}}).resources["aws_dynamodb_table.t"]
    assert table.deletion.protected and table.deletion.keeps_data


def test_the_stack_knows_its_system_from_the_tag_most_resources_carry(cfn: CfnBuilder) -> None:
    assert cfn({}).system == "test-system"
    assert cfn({}, profile=None).profile is None
