"""Controls both CDK for Terraform stacks have, read back from the services: the customer-managed key, the alarm
topic, the network (flow logs, default security group, NAT egress) and the provider's default tags. Runs once per
stack; the outputs are Terraform's (``terraform output -json``)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from deployed_stacks import TERRAFORM_STACKS, DeployedStack

from constructs_lib.policy import retention, services, storage

pytestmark = pytest.mark.parametrize("stack", TERRAFORM_STACKS, indirect=True, scope="module")


def key_metadata(stack: DeployedStack) -> dict[str, Any]:
    return stack.client("kms").describe_key(KeyId=stack.key_arn)["KeyMetadata"]


def flow_logs(stack: DeployedStack) -> list[dict[str, Any]]:
    return stack.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [stack.output("vpc_id")]}]
    )["FlowLogs"]


def log_group(stack: DeployedStack, name: str) -> dict[str, Any]:
    groups = stack.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    matching = [group for group in groups if group["logGroupName"] == name]
    assert matching, f"log group {name} does not exist"
    return matching[0]


# --- KMS ----------------------------------------------------------------------------------------------------------


def test_stack_key_is_an_enabled_customer_managed_symmetric_key(stack: DeployedStack) -> None:
    metadata = key_metadata(stack)
    assert (metadata["KeyManager"], metadata["Enabled"], metadata["KeySpec"]) == ("CUSTOMER", True, "SYMMETRIC_DEFAULT")


def test_stack_key_rotates_automatically(stack: DeployedStack) -> None:
    assert stack.client("kms").get_key_rotation_status(KeyId=stack.key_arn)["KeyRotationEnabled"] is True


def test_stack_key_lets_this_accounts_cloudwatch_logs_and_alarms_use_it(stack: DeployedStack) -> None:
    policy = json.loads(stack.client("kms").get_key_policy(KeyId=stack.key_arn, PolicyName="default")["Policy"])
    principals = [json.dumps(statement.get("Principal", {})) for statement in policy["Statement"]]
    assert any(f"logs.{stack.region}.amazonaws.com" in principal for principal in principals)
    assert any("cloudwatch.amazonaws.com" in principal for principal in principals)
    assert f"arn:aws:iam::{stack.account}:root" in json.dumps(policy)


def test_stack_key_alias_names_the_system(stack: DeployedStack) -> None:
    aliases = stack.client("kms").list_aliases(KeyId=key_metadata(stack)["KeyId"])["Aliases"]
    assert [alias["AliasName"] for alias in aliases] == [f"alias/{stack.construct_id}-{stack.tags['Environment']}"]


def test_stack_key_encrypts_and_decrypts(stack: DeployedStack) -> None:
    kms = stack.client("kms")
    secret = uuid.uuid4().bytes
    ciphertext = kms.encrypt(KeyId=stack.key_arn, Plaintext=secret)["CiphertextBlob"]
    assert ciphertext != secret
    decrypted = kms.decrypt(CiphertextBlob=ciphertext)
    assert (decrypted["Plaintext"], decrypted["KeyId"]) == (secret, stack.key_arn)


def test_every_resource_carries_the_provider_default_tags(stack: DeployedStack) -> None:
    tags = stack.tags
    assert tags["System"] == stack.construct_id and tags["ManagedBy"] == "hardened-iac-stacks"
    assert tags["Profile"] == stack.profile.name
    assert {"Environment", "DataClassification"} <= set(tags)


# --- Alarm topic ----------------------------------------------------------------------------------------------------


def topic_attributes(stack: DeployedStack) -> dict[str, str]:
    return stack.client("sns").get_topic_attributes(TopicArn=stack.output("alarm_topic_arn"))["Attributes"]


def test_alarm_topic_is_encrypted_with_the_stack_key_and_signs_with_sha256(stack: DeployedStack) -> None:
    attributes = topic_attributes(stack)
    assert attributes["KmsMasterKeyId"] == stack.key_arn
    assert attributes["SignatureVersion"] == storage.TOPIC_SIGNATURE_VERSION


def test_alarm_topic_denies_publishing_without_tls_and_admits_only_this_accounts_alarms(stack: DeployedStack) -> None:
    statements = json.loads(topic_attributes(stack)["Policy"])["Statement"]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    alarms = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(alarms) == 1 and alarms[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": stack.account}


# --- Network -------------------------------------------------------------------------------------------------------


def test_vpc_spans_two_zones_with_three_tiers_of_subnets_that_assign_no_public_ips(stack: DeployedStack) -> None:
    tiers = ("public_subnet_ids", "private_subnet_ids", "isolated_subnet_ids")
    subnet_ids = [subnet for tier in tiers for subnet in stack.output(tier)]
    found = stack.client("ec2").describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    assert len(found) == len(tiers) * services.NETWORK_AZ_COUNT
    assert {subnet["VpcId"] for subnet in found} == {stack.output("vpc_id")}
    assert len({subnet["AvailabilityZone"] for subnet in found}) == services.NETWORK_AZ_COUNT
    assert not any(subnet["MapPublicIpOnLaunch"] for subnet in found)


def test_private_subnets_reach_out_only_through_a_nat_gateway(stack: DeployedStack) -> None:
    tables = stack.client("ec2").describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": stack.output("private_subnet_ids")}]
    )["RouteTables"]
    assert len(tables) == services.NETWORK_AZ_COUNT
    for table in tables:
        default = [route for route in table["Routes"] if route.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(default) == 1 and default[0].get("NatGatewayId", "").startswith("nat-"), table["Routes"]


def test_isolated_subnets_have_no_route_out_of_the_vpc(stack: DeployedStack) -> None:
    tables = stack.client("ec2").describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": stack.output("isolated_subnet_ids")}]
    )["RouteTables"]
    assert len(tables) == services.NETWORK_AZ_COUNT
    for table in tables:
        assert [route for route in table["Routes"] if route.get("GatewayId") != "local"] == [], table["Routes"]


def test_vpc_flow_log_records_all_traffic_to_an_encrypted_log_group_and_delivers(stack: DeployedStack) -> None:
    to_logs = [flow for flow in flow_logs(stack) if flow["LogDestinationType"] == "cloud-watch-logs"]
    assert len(to_logs) == 1
    flow = to_logs[0]
    assert (flow["TrafficType"], flow["FlowLogStatus"], flow["DeliverLogsStatus"]) == (
        services.FLOW_LOG_TRAFFIC,
        "ACTIVE",
        "SUCCESS",
    )
    assert flow["LogDestination"].endswith(f":log-group:{stack.output('flow_log_group_name')}")
    group = log_group(stack, stack.output("flow_log_group_name"))
    assert group["kmsKeyId"] == stack.key_arn
    assert group["retentionInDays"] == retention.log_retention_days("network")


def test_flow_log_role_may_write_only_its_log_group(stack: DeployedStack) -> None:
    flow = next(flow for flow in flow_logs(stack) if flow["LogDestinationType"] == "cloud-watch-logs")
    iam = stack.client("iam")
    role_name = flow["DeliverLogsPermissionArn"].rsplit("/", 1)[-1]
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"]
    assert [statement["Principal"] for statement in trust] == [{"Service": "vpc-flow-logs.amazonaws.com"}]
    resources = []
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"]
        document = document["Document"]
        document = json.loads(document) if isinstance(document, str) else document
        for statement in document["Statement"]:
            resources += statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    assert resources and all(stack.output("flow_log_group_name") in resource for resource in resources)


def test_default_security_group_has_no_rules(stack: DeployedStack) -> None:
    group = stack.client("ec2").describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [stack.output("vpc_id")]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]
    assert (group["IpPermissions"], group["IpPermissionsEgress"]) == ([], [])
