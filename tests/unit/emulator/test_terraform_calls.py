"""Additions for the CDK for Terraform stacks, which reach the emulator through the service APIs (as Terraform calls
them) rather than CloudFormation: Network Firewall, SQS attributes, S3 access logging and policy conditions, VPC
flow logs, SNS attributes, Kinesis tags and security group rule descriptions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from scripts.emulator import terraform_calls
from tests.unit.local_aws import Account

STATEFUL_RULES = 'drop http $HOME_NET any -> $EXTERNAL_NET any (msg:"clear-text HTTP"; sid:1; rev:1;)'


def vpc_with_subnets(aws: Account, count: int = 2) -> tuple[str, list[dict[str, Any]]]:
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"]][:count]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{20 + index}.0/24", AvailabilityZone=zone)["Subnet"]
        for index, zone in enumerate(zones)
    ]
    return vpc_id, subnets


def rule_groups(aws: Account) -> tuple[str, str]:
    """A Suricata group and a domain allow-list, as the PCI stack creates them."""
    firewall = aws.client("network-firewall")
    suricata = firewall.create_rule_group(
        RuleGroupName="protocols",
        Type="STATEFUL",
        Capacity=100,
        RuleGroup={"RulesSource": {"RulesString": STATEFUL_RULES}},
        Tags=[{"Key": "System", "Value": "pci"}],
    )["RuleGroupResponse"]["RuleGroupArn"]
    domains = firewall.create_rule_group(
        RuleGroupName="domains",
        Type="STATEFUL",
        Capacity=100,
        RuleGroup={
            "RulesSource": {
                "RulesSourceList": {
                    "Targets": [".amazonaws.com"],
                    "TargetTypes": ["TLS_SNI"],
                    "GeneratedRulesType": "ALLOWLIST",
                }
            },
            "StatefulRuleOptions": {"RuleOrder": "STRICT_ORDER"},
        },
        EncryptionConfiguration={"KeyId": "arn:aws:kms:key", "Type": "CUSTOMER_KMS"},
    )["RuleGroupResponse"]["RuleGroupArn"]
    return suricata, domains


def firewall_policy(aws: Account, group_arns: tuple[str, ...]) -> str:
    return aws.client("network-firewall").create_firewall_policy(
        FirewallPolicyName="egress",
        FirewallPolicy={
            "StatelessDefaultActions": ["aws:forward_to_sfe"],
            "StatelessFragmentDefaultActions": ["aws:forward_to_sfe"],
            "StatefulRuleGroupReferences": [
                {"ResourceArn": arn, "Priority": 10 * (index + 1)} for index, arn in enumerate(group_arns)
            ],
            "StatefulEngineOptions": {"RuleOrder": "STRICT_ORDER"},
        },
    )["FirewallPolicyResponse"]["FirewallPolicyArn"]


def create_firewall(aws: Account, **extra: Any) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    vpc_id, subnets = vpc_with_subnets(aws)
    policy_arn = firewall_policy(aws, rule_groups(aws))
    created = aws.client("network-firewall").create_firewall(
        FirewallName="egress",
        FirewallPolicyArn=policy_arn,
        VpcId=vpc_id,
        SubnetMappings=[{"SubnetId": subnet["SubnetId"]} for subnet in subnets],
        **extra,
    )
    return created, subnets, policy_arn


# --- Network Firewall ----------------------------------------------------------------------------------------------


def test_rule_groups_read_back_as_created(aws: Account) -> None:
    suricata, domains = rule_groups(aws)
    firewall = aws.client("network-firewall")
    described = firewall.describe_rule_group(RuleGroupArn=suricata)
    assert described["RuleGroup"] == {"RulesSource": {"RulesString": STATEFUL_RULES}}
    response = described["RuleGroupResponse"]
    assert (response["RuleGroupName"], response["Type"], response["Capacity"], response["RuleGroupStatus"]) == (
        "protocols",
        "STATEFUL",
        100,
        "ACTIVE",
    )
    assert (
        response["RuleGroupArn"]
        == f"arn:aws:network-firewall:{aws.region}:{aws.account_id}:stateful-rulegroup/protocols"
    )
    by_name = firewall.describe_rule_group(RuleGroupName="domains", Type="STATEFUL")
    assert by_name["RuleGroupResponse"]["RuleGroupArn"] == domains
    assert by_name["RuleGroupResponse"]["EncryptionConfiguration"] == {
        "KeyId": "arn:aws:kms:key",
        "Type": "CUSTOMER_KMS",
    }
    assert by_name["RuleGroup"]["RulesSource"]["RulesSourceList"]["Targets"] == [".amazonaws.com"]
    assert sorted(group["Name"] for group in firewall.list_rule_groups()["RuleGroups"]) == ["domains", "protocols"]


def test_rule_group_update_replaces_its_rules_and_token(aws: Account) -> None:
    suricata, _ = rule_groups(aws)
    firewall = aws.client("network-firewall")
    token = firewall.describe_rule_group(RuleGroupArn=suricata)["UpdateToken"]
    updated = firewall.update_rule_group(
        RuleGroupArn=suricata,
        UpdateToken=token,
        RuleGroup={"RulesSource": {"RulesString": "pass ip any any -> any any (sid:2;)"}},
    )
    described = firewall.describe_rule_group(RuleGroupArn=suricata)
    assert described["RuleGroup"]["RulesSource"]["RulesString"].startswith("pass ip")
    assert described["UpdateToken"] == updated["UpdateToken"] != token


def test_firewall_policy_references_its_rule_groups_and_refuses_unknown_ones(aws: Account) -> None:
    groups = rule_groups(aws)
    firewall = aws.client("network-firewall")
    policy_arn = firewall_policy(aws, groups)
    described = firewall.describe_firewall_policy(FirewallPolicyArn=policy_arn)
    references = described["FirewallPolicy"]["StatefulRuleGroupReferences"]
    assert [(item["Priority"], item["ResourceArn"]) for item in references] == [(10, groups[0]), (20, groups[1])]
    assert described["FirewallPolicyResponse"]["FirewallPolicyStatus"] == "ACTIVE"
    assert firewall.describe_firewall_policy(FirewallPolicyName="egress")["FirewallPolicyResponse"][
        "FirewallPolicyArn"
    ] == (policy_arn)
    assert [item["Arn"] for item in firewall.list_firewall_policies()["FirewallPolicies"]] == [policy_arn]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        firewall.create_firewall_policy(
            FirewallPolicyName="dangling",
            FirewallPolicy={
                "StatelessDefaultActions": ["aws:pass"],
                "StatelessFragmentDefaultActions": ["aws:pass"],
                "StatefulRuleGroupReferences": [{"ResourceArn": groups[0] + "-missing", "Priority": 1}],
            },
        )


def test_firewall_policy_update_changes_its_default_actions(aws: Account) -> None:
    policy_arn = firewall_policy(aws, rule_groups(aws))
    firewall = aws.client("network-firewall")
    token = firewall.describe_firewall_policy(FirewallPolicyArn=policy_arn)["UpdateToken"]
    document = firewall.describe_firewall_policy(FirewallPolicyArn=policy_arn)["FirewallPolicy"]
    document["StatefulDefaultActions"] = ["aws:drop_established"]
    firewall.update_firewall_policy(FirewallPolicyArn=policy_arn, UpdateToken=token, FirewallPolicy=document)
    assert firewall.describe_firewall_policy(FirewallPolicyArn=policy_arn)["FirewallPolicy"][
        "StatefulDefaultActions"
    ] == ["aws:drop_established"]


def test_firewall_gets_one_ready_endpoint_per_subnet_that_routes_can_target(aws: Account) -> None:
    created, subnets, policy_arn = create_firewall(aws)
    status = created["FirewallStatus"]
    assert (status["Status"], status["ConfigurationSyncStateSummary"]) == ("READY", "IN_SYNC")
    assert set(status["SyncStates"]) == {subnet["AvailabilityZone"] for subnet in subnets}
    ec2 = aws.client("ec2")
    for subnet in subnets:
        state = status["SyncStates"][subnet["AvailabilityZone"]]
        assert (state["Attachment"]["SubnetId"], state["Attachment"]["Status"]) == (subnet["SubnetId"], "READY")
        assert state["Config"][policy_arn]["SyncStatus"] == "IN_SYNC"
        endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[state["Attachment"]["EndpointId"]])["VpcEndpoints"][0]
        assert (endpoint["VpcEndpointType"], endpoint["SubnetIds"]) == ("GatewayLoadBalancer", [subnet["SubnetId"]])
        table = ec2.create_route_table(VpcId=subnet["VpcId"])["RouteTable"]["RouteTableId"]
        ec2.create_route(
            RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", VpcEndpointId=state["Attachment"]["EndpointId"]
        )
    described = aws.client("network-firewall").describe_firewall(FirewallName="egress")
    assert described["FirewallStatus"]["SyncStates"] == status["SyncStates"]


def test_protection_flags_left_out_read_back_false_as_in_aws(aws: Account) -> None:
    created, _, _ = create_firewall(aws, SubnetChangeProtection=True)
    described = created["Firewall"]
    assert (
        described["DeleteProtection"],
        described["FirewallPolicyChangeProtection"],
        described["SubnetChangeProtection"],
    ) == (False, False, True)
    firewall, arn = aws.client("network-firewall"), described["FirewallArn"]
    firewall.update_firewall_policy_change_protection(FirewallArn=arn, FirewallPolicyChangeProtection=True)
    firewall.update_subnet_change_protection(FirewallName="egress", SubnetChangeProtection=False)
    again = firewall.describe_firewall(FirewallArn=arn)["Firewall"]
    assert (again["FirewallPolicyChangeProtection"], again["SubnetChangeProtection"]) == (True, False)


def test_a_firewall_needs_an_existing_policy(aws: Account) -> None:
    vpc_id, subnets = vpc_with_subnets(aws)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws.client("network-firewall").create_firewall(
            FirewallName="orphan",
            FirewallPolicyArn=f"arn:aws:network-firewall:{aws.region}:{aws.account_id}:firewall-policy/none",
            VpcId=vpc_id,
            SubnetMappings=[{"SubnetId": subnets[0]["SubnetId"]}],
        )


def test_delete_follows_dependencies_and_protection_like_aws(aws: Account) -> None:
    created, _, policy_arn = create_firewall(aws, DeleteProtection=True)
    firewall, ec2 = aws.client("network-firewall"), aws.client("ec2")
    firewall_arn = created["Firewall"]["FirewallArn"]
    endpoints = [state["Attachment"]["EndpointId"] for state in created["FirewallStatus"]["SyncStates"].values()]
    groups = [
        reference["ResourceArn"]
        for reference in firewall.describe_firewall_policy(FirewallPolicyArn=policy_arn)["FirewallPolicy"][
            "StatefulRuleGroupReferences"
        ]
    ]
    with pytest.raises(ClientError, match="InvalidOperationException"):
        firewall.delete_firewall(FirewallArn=firewall_arn)
    with pytest.raises(ClientError, match="InvalidOperationException"):
        firewall.delete_firewall_policy(FirewallPolicyArn=policy_arn)
    with pytest.raises(ClientError, match="InvalidOperationException"):
        firewall.delete_rule_group(RuleGroupArn=groups[0])
    firewall.update_firewall_delete_protection(FirewallArn=firewall_arn, DeleteProtection=False)
    assert firewall.delete_firewall(FirewallArn=firewall_arn)["FirewallStatus"]["Status"] == "DELETING"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        firewall.describe_firewall(FirewallArn=firewall_arn)
    states = {item["State"] for item in ec2.describe_vpc_endpoints(VpcEndpointIds=endpoints)["VpcEndpoints"]}
    assert states == {"deleted"}
    assert (
        firewall.delete_firewall_policy(FirewallPolicyArn=policy_arn)["FirewallPolicyResponse"]["FirewallPolicyStatus"]
        == "DELETING"
    )
    for group in groups:
        assert firewall.delete_rule_group(RuleGroupArn=group)["RuleGroupResponse"]["RuleGroupStatus"] == "DELETING"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        firewall.describe_rule_group(RuleGroupArn=groups[0])
    assert firewall.list_rule_groups()["RuleGroups"] == firewall.list_firewall_policies()["FirewallPolicies"] == []


def test_firewalls_policies_and_rule_groups_take_tags(aws: Account) -> None:
    created, _, policy_arn = create_firewall(aws, Tags=[{"Key": "System", "Value": "pci"}])
    firewall = aws.client("network-firewall")
    group_arn = firewall.list_rule_groups()["RuleGroups"][0]["Arn"]
    for arn in (created["Firewall"]["FirewallArn"], policy_arn, group_arn):
        firewall.tag_resource(ResourceArn=arn, Tags=[{"Key": "Owner", "Value": "platform"}])
        firewall.untag_resource(ResourceArn=arn, TagKeys=["System"])
        assert firewall.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "Owner", "Value": "platform"}]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        firewall.list_tags_for_resource(ResourceArn=policy_arn + "-missing")


# --- SQS -----------------------------------------------------------------------------------------------------------


def test_setting_a_redrive_allow_policy_keeps_the_queue_policy_and_reads_back(aws: Account) -> None:
    sqs = aws.client("sqs")
    policy = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}]})
    dlq = sqs.create_queue(QueueName="dlq", Attributes={"Policy": policy})["QueueUrl"]
    allow = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:jobs"]})
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": allow})
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert (attributes["Policy"], attributes["RedriveAllowPolicy"]) == (policy, allow)
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": ""})
    assert "RedriveAllowPolicy" not in sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"Policy": ""})
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]


def test_redrive_policy_reads_back_as_compact_json(aws: Account) -> None:
    sqs = aws.client("sqs")
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}, separators=(",", ":"))
    jobs = sqs.create_queue(QueueName="jobs", Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=jobs, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"] == (
        redrive
    )


# --- S3 ------------------------------------------------------------------------------------------------------------


def test_access_logging_into_an_acl_less_bucket_needs_no_policy_yet(aws: Account) -> None:
    s3 = aws.client("s3")
    for bucket in ("data-source", "access-logs"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws.region})
    s3.put_bucket_ownership_controls(
        Bucket="access-logs", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_logging(
        Bucket="data-source",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "data/"}},
    )
    assert s3.get_bucket_logging(Bucket="data-source")["LoggingEnabled"]["TargetBucket"] == "access-logs"


def test_access_logging_into_an_acl_bucket_still_needs_the_log_delivery_grant(aws: Account) -> None:
    s3 = aws.client("s3")
    for bucket in ("source", "acl-logs"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws.region})
    s3.put_bucket_ownership_controls(
        Bucket="acl-logs", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
        s3.put_bucket_logging(
            Bucket="source", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "acl-logs", "TargetPrefix": "s/"}}
        )


def hardened_bucket(aws: Account, name: str, statements: list[dict[str, Any]]) -> Any:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": aws.region})
    resources = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Principal": "*", "Action": "s3:*", "Resource": resources, **item} for item in statements],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return s3


def test_a_deny_of_old_tls_does_not_deny_requests_that_carry_no_tls_version(aws: Account) -> None:
    s3 = hardened_bucket(
        aws,
        "tls-floor",
        [{"Effect": "Deny", "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}}],
    )
    s3.put_object(Bucket="tls-floor", Key="k", Body=b"x")
    assert s3.get_object(Bucket="tls-floor", Key="k")["Body"].read() == b"x"


def test_a_conditional_allow_that_does_not_apply_does_not_deny(aws: Account) -> None:
    s3 = hardened_bucket(
        aws,
        "delivery",
        [
            {
                "Effect": "Allow",
                "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
            }
        ],
    )
    s3.put_object(Bucket="delivery", Key="k", Body=b"y")
    assert s3.get_object(Bucket="delivery", Key="k")["Body"].read() == b"y"


def test_a_deny_whose_condition_holds_still_denies(aws: Account) -> None:
    s3 = hardened_bucket(aws, "denied", [{"Effect": "Deny", "Condition": {"Null": {"s3:TlsVersion": "true"}}}])
    with pytest.raises(ClientError):
        s3.put_object(Bucket="denied", Key="k", Body=b"z")


@pytest.mark.parametrize(
    ("operator", "key", "expected", "holds"),
    [
        ("NumericLessThan", "s3:TlsVersion", 1.2, False),
        ("NumericLessThanIfExists", "s3:TlsVersion", 1.2, True),
        ("Null", "s3:TlsVersion", "true", True),
        ("Null", "s3:TlsVersion", "false", False),
        ("Null", "aws:SecureTransport", "false", True),
        ("Null", "aws:SecureTransport", ["true"], False),
        ("Bool", "aws:SecureTransport", "false", False),
        ("Bool", "aws:SecureTransport", "true", True),
        ("BoolIfExists", "aws:SecureTransport", "true", True),
        ("NotAnOperatorMotoKnows", "aws:SecureTransport", "x", True),
    ],
)
def test_conditions_on_absent_keys_do_not_hold_as_in_iam(operator: str, key: str, expected: Any, holds: bool) -> None:
    context = {"aws:SecureTransport": "true"}
    assert terraform_calls.condition_holds(operator, key, expected, context) is holds


# --- VPC flow logs -------------------------------------------------------------------------------------------------


def test_flow_log_to_a_log_group_named_by_arn_delivers(aws: Account) -> None:
    vpc_id, _ = vpc_with_subnets(aws, 1)
    aws.client("logs").create_log_group(logGroupName="/flows")
    group_arn = f"arn:aws:logs:{aws.region}:{aws.account_id}:log-group:/flows:*"
    ec2 = aws.client("ec2")
    flow_id = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogDestination=group_arn,
        DeliverLogsPermissionArn=f"arn:aws:iam::{aws.account_id}:role/flows",
    )["FlowLogIds"][0]
    flow = ec2.describe_flow_logs(FlowLogIds=[flow_id])["FlowLogs"][0]
    assert (flow["DeliverLogsStatus"], flow["LogGroupName"], flow["LogDestination"]) == ("SUCCESS", "/flows", group_arn)


def test_flow_log_to_s3_keeps_its_destination_options(aws: Account) -> None:
    vpc_id, _ = vpc_with_subnets(aws, 1)
    aws.client("s3").create_bucket(Bucket="flows", CreateBucketConfiguration={"LocationConstraint": aws.region})
    ec2 = aws.client("ec2")
    options = {"FileFormat": "parquet", "HiveCompatiblePartitions": False, "PerHourPartition": True}
    flow_id = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flows",
        DestinationOptions=options,
    )["FlowLogIds"][0]
    assert ec2.describe_flow_logs(FlowLogIds=[flow_id])["FlowLogs"][0]["DestinationOptions"] == options


def test_flow_log_group_name_comes_only_from_a_log_group_arn() -> None:
    assert terraform_calls.flow_log_group_name("arn:aws:logs:r:1:log-group:/a/b:*") == "/a/b"
    assert terraform_calls.flow_log_group_name("arn:aws:logs:r:1:log-group:/a/b") == "/a/b"
    assert terraform_calls.flow_log_group_name("arn:aws:s3:::bucket") is None
    assert terraform_calls.flow_log_group_name(None) is None


# --- SNS, Kinesis, security group rules ----------------------------------------------------------------------------


def test_topic_reports_its_signature_version_and_tracing(aws: Account) -> None:
    sns = aws.client("sns")
    plain = sns.create_topic(Name="plain")["TopicArn"]
    signed = sns.create_topic(Name="signed", Attributes={"SignatureVersion": "2"})["TopicArn"]
    sns.set_topic_attributes(TopicArn=signed, AttributeName="TracingConfig", AttributeValue="Active")
    assert sns.get_topic_attributes(TopicArn=plain)["Attributes"]["SignatureVersion"] == "1"
    attributes = sns.get_topic_attributes(TopicArn=signed)["Attributes"]
    assert (attributes["SignatureVersion"], attributes["TracingConfig"]) == ("2", "Active")


def test_stream_created_with_tags_has_them(aws: Account) -> None:
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName="ingest", ShardCount=1, Tags={"System": "streamflix"})
    kinesis.create_stream(StreamName="untagged", ShardCount=1)
    tags = kinesis.list_tags_for_stream(StreamName="ingest")["Tags"]
    assert tags == [{"Key": "System", "Value": "streamflix"}]
    assert kinesis.list_tags_for_stream(StreamName="untagged")["Tags"] == []


def test_a_rule_that_references_a_group_keeps_its_description(aws: Account) -> None:
    ec2 = aws.client("ec2")
    vpc_id, _ = vpc_with_subnets(aws, 1)
    database = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc_id)["GroupId"]
    tasks = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc_id)["GroupId"]
    rule_id = ec2.authorize_security_group_ingress(
        GroupId=database,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": tasks, "Description": "PostgreSQL from the tasks"}],
            }
        ],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    rule = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"][0]
    assert (rule["Description"], rule["ReferencedGroupInfo"]["GroupId"]) == ("PostgreSQL from the tasks", tasks)


def test_a_scalable_targets_tags_are_set_listed_and_removed(aws: Account) -> None:
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName="apps")
    ecs.register_task_definition(family="worker", containerDefinitions=[{"name": "app", "image": "x", "memory": 64}])
    ecs.create_service(cluster="apps", serviceName="worker", taskDefinition="worker", desiredCount=0)
    scaling = aws.client("application-autoscaling")
    arn = scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/apps/worker",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"System": "streamflix"},
    )["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"System": "streamflix"}
    scaling.tag_resource(ResourceARN=arn, Tags={"Profile": "dev"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["System"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Profile": "dev"}


def test_a_services_availability_zone_rebalancing_reads_back_as_set(aws: Account) -> None:
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName="apps")
    ecs.register_task_definition(family="worker", containerDefinitions=[{"name": "app", "image": "x", "memory": 64}])
    ecs.create_service(
        cluster="apps", serviceName="worker", taskDefinition="worker", desiredCount=0,
        availabilityZoneRebalancing="DISABLED",
    )  # fmt: skip
    described = ecs.describe_services(cluster="apps", services=["worker"])["services"][0]
    assert described["availabilityZoneRebalancing"] == "DISABLED"
    ecs.update_service(cluster="apps", service="worker", availabilityZoneRebalancing="ENABLED")
    described = ecs.describe_services(cluster="apps", services=["worker"])["services"][0]
    assert described["availabilityZoneRebalancing"] == "ENABLED"
