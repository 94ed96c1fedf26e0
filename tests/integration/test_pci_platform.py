"""PCI data platform (seed 004, CDK for Terraform), as deployed: Network Firewall on all egress with its policy and
rule groups, flow logs to CloudWatch and S3, the encrypted and access-logged buckets, the masking function, AWS
Config recording with the PCI rules, read back; data-plane round trips."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from data_flow import eventually
from deployed_stacks import DeployedStack

from constructs_lib.policy import compute, encryption, retention, services, storage
from constructs_lib.policy.cdktf_backend import provider_lambda_runtime
from constructs_lib.policy.config_recording import CONFIG_KEY_PREFIX, PCI_MANAGED_RULES
from constructs_lib.policy.network_firewall import EGRESS_SURICATA_RULES, RULE_GROUP_CAPACITY
from stacks.pci_platform.data_processing import INCOMING_PREFIX, PROCESSED_PREFIX
from stacks.pci_platform.stack import PciPlatformProps

STACK = "pci-platform"
#: Buckets encrypted with the stack key (the access-log bucket is SSE-S3: S3 delivers access logs only there).
KMS_BUCKETS = ("data_bucket_name", "config_bucket_name", "flow_log_bucket_name")
ALL_BUCKETS = (*KMS_BUCKETS, "access_log_bucket_name")
#: A Luhn-valid test card number (a network's published test PAN) and how the function must leave it.
TEST_PAN = "4111 1111 1111 1111"
MASKED_PAN = "************1111"


@pytest.fixture(scope="module")
def firewall(stack: DeployedStack) -> dict[str, Any]:
    return stack.client("network-firewall").describe_firewall(FirewallArn=stack.output("firewall_arn"))


@pytest.fixture(scope="module")
def function(stack: DeployedStack) -> dict[str, Any]:
    return stack.client("lambda").get_function_configuration(FunctionName=stack.output("processor_function_name"))


def log_group(stack: DeployedStack, name: str) -> dict[str, Any]:
    groups = stack.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    matching = [group for group in groups if group["logGroupName"] == name]
    assert matching, f"log group {name} does not exist"
    return matching[0]


def bucket_policy(stack: DeployedStack, output: str) -> list[dict[str, Any]]:
    return json.loads(stack.client("s3").get_bucket_policy(Bucket=stack.output(output))["Policy"])["Statement"]


def route_tables(stack: DeployedStack) -> list[dict[str, Any]]:
    return stack.client("ec2").describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [stack.output("vpc_id")]}])[
        "RouteTables"
    ]


def endpoint_of(route: dict[str, Any]) -> str | None:
    """The VPC endpoint a route sends traffic to (AWS reports a Gateway Load Balancer endpoint as the gateway)."""
    target = route.get("VpcEndpointId") or route.get("GatewayId") or ""
    return target if target.startswith("vpce-") else None


# --- Network Firewall ----------------------------------------------------------------------------------------------


def test_firewall_is_ready_in_its_own_subnet_of_every_zone(stack: DeployedStack, firewall: dict[str, Any]) -> None:
    status = firewall["FirewallStatus"]
    assert (status["Status"], status["ConfigurationSyncStateSummary"]) == ("READY", "IN_SYNC")
    mapped = [mapping["SubnetId"] for mapping in firewall["Firewall"]["SubnetMappings"]]
    assert sorted(mapped) == sorted(stack.output("firewall_subnet_ids"))
    assert len(status["SyncStates"]) == services.NETWORK_AZ_COUNT
    assert firewall["Firewall"]["VpcId"] == stack.output("vpc_id")
    assert firewall["Firewall"]["FirewallName"] == stack.output("firewall_name")


def test_firewall_endpoints_are_the_outputs_one_per_zone(stack: DeployedStack, firewall: dict[str, Any]) -> None:
    endpoints = {
        zone: state["Attachment"]["EndpointId"] for zone, state in firewall["FirewallStatus"]["SyncStates"].items()
    }
    assert sorted(endpoints.values()) == sorted(stack.output("firewall_endpoint_ids"))
    assert all(state["Attachment"]["Status"] == "READY" for state in firewall["FirewallStatus"]["SyncStates"].values())


def test_firewall_encrypts_with_the_stack_key_and_protection_follows_the_profile(
    stack: DeployedStack, firewall: dict[str, Any]
) -> None:
    described = firewall["Firewall"]
    assert described["EncryptionConfiguration"] == {"KeyId": stack.key_arn, "Type": "CUSTOMER_KMS"}
    assert described["DeleteProtection"] is stack.profile.deletion_protection
    assert described["FirewallPolicyChangeProtection"] is stack.profile.deletion_protection
    assert described["SubnetChangeProtection"] is True


def test_firewall_policy_runs_protocol_rules_then_the_domain_allow_list_then_drops(
    stack: DeployedStack, firewall: dict[str, Any]
) -> None:
    assert firewall["Firewall"]["FirewallPolicyArn"] == stack.output("firewall_policy_arn")
    described = stack.client("network-firewall").describe_firewall_policy(
        FirewallPolicyArn=stack.output("firewall_policy_arn")
    )
    policy = described["FirewallPolicy"]
    assert policy["StatefulEngineOptions"]["RuleOrder"] == "STRICT_ORDER"
    assert sorted(policy["StatefulDefaultActions"]) == ["aws:alert_established", "aws:drop_established"]
    assert policy["StatelessDefaultActions"] == ["aws:forward_to_sfe"]
    order = sorted((item["Priority"], item["ResourceArn"]) for item in policy["StatefulRuleGroupReferences"])
    assert [arn for _, arn in order] == stack.output("firewall_rule_group_arns")
    assert described["FirewallPolicyResponse"]["EncryptionConfiguration"]["KeyId"] == stack.key_arn


def test_protocol_rule_group_drops_clear_text_http_and_old_tls(stack: DeployedStack) -> None:
    protocols = stack.output("firewall_rule_group_arns")[0]
    described = stack.client("network-firewall").describe_rule_group(RuleGroupArn=protocols)
    assert described["RuleGroupResponse"]["Type"] == "STATEFUL"
    assert described["RuleGroupResponse"]["Capacity"] == RULE_GROUP_CAPACITY
    rules = described["RuleGroup"]["RulesSource"]["RulesString"]
    assert rules == EGRESS_SURICATA_RULES
    assert rules.startswith("drop http") and "ssl_version:sslv2,sslv3,tls1.0,tls1.1" in rules


def test_domain_rule_group_allows_tls_only_to_the_allowed_domains(stack: DeployedStack) -> None:
    domains = stack.output("firewall_rule_group_arns")[1]
    described = stack.client("network-firewall").describe_rule_group(RuleGroupArn=domains)
    source = described["RuleGroup"]["RulesSource"]["RulesSourceList"]
    assert (source["GeneratedRulesType"], source["TargetTypes"]) == ("ALLOWLIST", ["TLS_SNI"])
    assert source["Targets"] == list(PciPlatformProps().allowed_egress_domains)
    assert described["RuleGroupResponse"]["EncryptionConfiguration"]["KeyId"] == stack.key_arn


def test_firewall_alerts_and_flows_are_logged_to_encrypted_audit_log_groups(stack: DeployedStack) -> None:
    configuration = stack.client("network-firewall").describe_logging_configuration(
        FirewallArn=stack.output("firewall_arn")
    )["LoggingConfiguration"]
    destinations = {
        item["LogType"]: (item["LogDestinationType"], item["LogDestination"]["logGroup"])
        for item in configuration["LogDestinationConfigs"]
    }
    assert destinations == {
        "ALERT": ("CloudWatchLogs", stack.output("firewall_alert_log_group_name")),
        "FLOW": ("CloudWatchLogs", stack.output("firewall_flow_log_group_name")),
    }
    for _, name in destinations.values():
        group = log_group(stack, name)
        assert (group["kmsKeyId"], group["retentionInDays"]) == (stack.key_arn, retention.log_retention_days("audit"))


def test_public_subnets_send_internet_egress_through_the_firewall_endpoint_of_their_zone(
    stack: DeployedStack, firewall: dict[str, Any]
) -> None:
    endpoint_by_zone = {
        zone: state["Attachment"]["EndpointId"] for zone, state in firewall["FirewallStatus"]["SyncStates"].items()
    }
    ec2 = stack.client("ec2")
    zone_of = {
        subnet["SubnetId"]: subnet["AvailabilityZone"]
        for subnet in ec2.describe_subnets(SubnetIds=stack.output("public_subnet_ids"))["Subnets"]
    }
    checked = 0
    for table in route_tables(stack):
        subnets = [item.get("SubnetId") for item in table["Associations"] if item.get("SubnetId") in zone_of]
        if not subnets:
            continue
        default = [route for route in table["Routes"] if route.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(default) == 1 and endpoint_of(default[0]) == endpoint_by_zone[zone_of[subnets[0]]], table
        checked += len(subnets)
    assert checked == len(zone_of) == services.NETWORK_AZ_COUNT

    assert not any(
        route.get("GatewayId", "").startswith("igw-")
        for table in route_tables(stack)
        for route in table["Routes"]
        if any(item.get("SubnetId") in zone_of for item in table["Associations"])
    ), "a public subnet reaches the internet gateway directly, around the firewall"


def test_return_traffic_enters_through_the_same_firewall_endpoint(
    stack: DeployedStack, firewall: dict[str, Any]
) -> None:
    endpoint_by_zone = {
        zone: state["Attachment"]["EndpointId"] for zone, state in firewall["FirewallStatus"]["SyncStates"].items()
    }
    public = stack.client("ec2").describe_subnets(SubnetIds=stack.output("public_subnet_ids"))["Subnets"]
    edge = [
        table
        for table in route_tables(stack)
        if any(item.get("GatewayId", "").startswith("igw-") for item in table["Associations"])
    ]
    assert len(edge) == 1, "the internet gateway has no edge route table"
    routes = {route.get("DestinationCidrBlock"): endpoint_of(route) for route in edge[0]["Routes"]}
    for subnet in public:
        assert routes[subnet["CidrBlock"]] == endpoint_by_zone[subnet["AvailabilityZone"]]


def test_only_the_firewall_subnets_reach_the_internet_gateway(stack: DeployedStack) -> None:
    firewall_subnets = set(stack.output("firewall_subnet_ids"))
    for table in route_tables(stack):
        to_gateway = [r for r in table["Routes"] if r.get("GatewayId", "").startswith("igw-")]
        subnets = {item.get("SubnetId") for item in table["Associations"] if item.get("SubnetId")}
        if to_gateway:
            assert subnets and subnets <= firewall_subnets, table


# --- Flow logs -----------------------------------------------------------------------------------------------------


def test_flow_logs_are_also_archived_to_s3_as_hourly_parquet(stack: DeployedStack) -> None:
    flows = stack.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [stack.output("vpc_id")]}]
    )["FlowLogs"]
    archive = [flow for flow in flows if flow["LogDestinationType"] == "s3"]
    assert len(archive) == 1
    assert archive[0]["LogDestination"] == f"arn:aws:s3:::{stack.output('flow_log_bucket_name')}"
    assert (archive[0]["TrafficType"], archive[0]["DeliverLogsStatus"]) == (services.FLOW_LOG_TRAFFIC, "SUCCESS")
    assert archive[0]["DestinationOptions"]["FileFormat"] == "parquet"
    assert archive[0]["DestinationOptions"]["PerHourPartition"] is True


def test_flow_log_bucket_admits_log_delivery_of_this_account_only(stack: DeployedStack) -> None:
    statements = {s["Sid"]: s for s in bucket_policy(stack, "flow_log_bucket_name")}
    for sid in ("AllowFlowLogDeliveryWrite", "AllowFlowLogDeliveryAclCheck"):
        statement = statements[sid]
        assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": stack.account}


# --- S3 ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", KMS_BUCKETS)
def test_bucket_is_encrypted_with_the_stack_key_and_a_bucket_key(stack: DeployedStack, output: str) -> None:
    rules = stack.client("s3").get_bucket_encryption(Bucket=stack.output(output))["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rules == [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": stack.key_arn},
            "BucketKeyEnabled": storage.BUCKET_KEY_ENABLED,
        }
    ]


def test_access_log_bucket_uses_s3_managed_encryption_the_only_kind_log_delivery_accepts(stack: DeployedStack) -> None:
    rules = stack.client("s3").get_bucket_encryption(Bucket=stack.output("access_log_bucket_name"))[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert encryption.ACCESS_LOG_BUCKET_ENCRYPTION == "SSE-S3"
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


@pytest.mark.parametrize("output", ALL_BUCKETS)
def test_bucket_is_versioned_private_and_owner_enforced(stack: DeployedStack, output: str) -> None:
    s3, bucket = stack.client("s3"), stack.output(output)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": storage.OBJECT_OWNERSHIP}
    ]


@pytest.mark.parametrize("output", ALL_BUCKETS)
def test_bucket_policy_denies_requests_without_tls_or_with_old_tls(stack: DeployedStack, output: str) -> None:
    statements = {s.get("Sid"): s for s in bucket_policy(stack, output)}
    no_tls, old_tls = statements["DenyRequestsWithoutTls"], statements["DenyOutdatedTls"]
    assert (no_tls["Effect"], no_tls["Principal"], no_tls["Action"]) == ("Deny", "*", "s3:*")
    assert no_tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert old_tls["Effect"] == "Deny"
    assert old_tls["Condition"] == {"NumericLessThan": {"s3:TlsVersion": storage.MINIMUM_TLS_VERSION}}


@pytest.mark.parametrize("output", ALL_BUCKETS)
def test_bucket_lifecycle_tiers_noncurrent_versions_and_aborted_uploads(stack: DeployedStack, output: str) -> None:
    rules = stack.client("s3").get_bucket_lifecycle_configuration(Bucket=stack.output(output))["Rules"]
    assert len(rules) == 1 and rules[0]["Status"] == "Enabled"
    rule = rules[0]
    assert rule["Transitions"] == [{"Days": retention.TRANSITION_TO_IA_DAYS, "StorageClass": "STANDARD_IA"}]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == retention.NONCURRENT_VERSION_EXPIRATION_DAYS
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == retention.ABORT_INCOMPLETE_UPLOAD_DAYS
    if output != "data_bucket_name":  # log and evidence buckets expire after the audit retention
        assert rule["Expiration"]["Days"] == retention.LOG_RETENTION_DAYS["audit"]


@pytest.mark.parametrize("output", KMS_BUCKETS)
def test_bucket_access_is_logged_to_the_access_log_bucket_which_admits_exactly_it(
    stack: DeployedStack, output: str
) -> None:
    logging = stack.client("s3").get_bucket_logging(Bucket=stack.output(output))["LoggingEnabled"]
    assert logging["TargetBucket"] == stack.output("access_log_bucket_name")
    grants = [
        s
        for s in bucket_policy(stack, "access_log_bucket_name")
        if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
        and s["Resource"].endswith(f"/{logging['TargetPrefix']}*")
    ]
    assert len(grants) == 1
    assert grants[0]["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:s3:::{stack.output(output)}"}
    assert grants[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": stack.account}


def test_object_round_trip_is_encrypted_at_rest_with_the_stack_key(stack: DeployedStack) -> None:
    s3, bucket = stack.client("s3"), stack.output("data_bucket_name")
    key = f"integration/{uuid.uuid4()}.txt"  # outside incoming/: does not trigger the function
    body = f"round trip {uuid.uuid4()}".encode()
    put = s3.put_object(Bucket=bucket, Key=key, Body=body)
    try:
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == body
        assert (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == ("aws:kms", stack.key_arn)
        assert put["ServerSideEncryption"] == "aws:kms"
    finally:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=put["VersionId"])


def test_new_objects_arriving_under_incoming_invoke_the_masking_function(stack: DeployedStack) -> None:
    notifications = stack.client("s3").get_bucket_notification_configuration(Bucket=stack.output("data_bucket_name"))
    (configuration,) = notifications["LambdaFunctionConfigurations"]
    assert configuration["LambdaFunctionArn"].endswith(f":function:{stack.output('processor_function_name')}")
    assert configuration["Events"] == ["s3:ObjectCreated:*"]
    rules = [(rule["Name"].lower(), rule["Value"]) for rule in configuration["Filter"]["Key"]["FilterRules"]]
    assert rules == [("prefix", INCOMING_PREFIX)]  # S3 accepts and reports the rule name in either case


@pytest.mark.real_aws_only
def test_a_request_without_tls_is_denied_by_the_bucket_policy(stack: DeployedStack) -> None:
    """Reason: the emulator serves plain HTTP on 127.0.0.1 and counts its requests as TLS ones, so it cannot show
    the TLS-only Deny refusing a clear-text request."""
    plain = boto3.client(
        "s3",
        region_name=stack.region,
        endpoint_url=f"http://s3.{stack.region}.amazonaws.com",
        use_ssl=False,
        config=Config(s3={"addressing_style": "path"}),
    )
    with pytest.raises(ClientError) as denied:
        plain.get_bucket_policy(Bucket=stack.output("data_bucket_name"))
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


@pytest.mark.end_to_end
def test_a_card_number_uploaded_under_incoming_comes_back_masked_under_processed(stack: DeployedStack) -> None:
    s3, bucket = stack.client("s3"), stack.output("data_bucket_name")
    name = f"integration-{uuid.uuid4()}.txt"
    s3.put_object(Bucket=bucket, Key=INCOMING_PREFIX + name, Body=f"card {TEST_PAN} paid".encode())

    def masked_copy() -> str | None:
        try:
            return s3.get_object(Bucket=bucket, Key=PROCESSED_PREFIX + name)["Body"].read().decode()
        except ClientError:
            return None

    assert eventually(masked_copy, f"{PROCESSED_PREFIX}{name}") == f"card {MASKED_PAN} paid"


# --- Masking function ----------------------------------------------------------------------------------------------


def test_function_runs_the_policy_runtime_with_its_limits(stack: DeployedStack, function: dict[str, Any]) -> None:
    assert function["Runtime"] == provider_lambda_runtime(services.LAMBDA_RUNTIME)
    assert (function["MemorySize"], function["Timeout"]) == (services.LAMBDA_MEMORY_MB, services.LAMBDA_TIMEOUT_SECONDS)
    concurrency = stack.client("lambda").get_function_concurrency(FunctionName=stack.output("processor_function_name"))
    assert concurrency["ReservedConcurrentExecutions"] == services.LAMBDA_RESERVED_CONCURRENCY
    assert function["Role"] == stack.output("processor_role_arn")


def test_function_environment_is_encrypted_and_names_the_prefixes(
    stack: DeployedStack, function: dict[str, Any]
) -> None:
    assert function["KMSKeyArn"] == stack.key_arn
    assert function["Environment"]["Variables"] == {
        "INCOMING_PREFIX": INCOMING_PREFIX,
        "PROCESSED_PREFIX": PROCESSED_PREFIX,
    }


def test_function_logs_json_to_its_own_encrypted_audit_log_group(
    stack: DeployedStack, function: dict[str, Any]
) -> None:
    assert function["LoggingConfig"]["LogFormat"] == compute.LAMBDA_LOG_FORMAT
    assert function["LoggingConfig"]["LogGroup"] == stack.output("processor_log_group_name")
    group = log_group(stack, stack.output("processor_log_group_name"))
    assert (group["kmsKeyId"], group["retentionInDays"]) == (stack.key_arn, retention.log_retention_days("audit"))


def test_function_is_traced_and_dead_letters_failed_events_to_an_encrypted_queue(
    stack: DeployedStack, function: dict[str, Any]
) -> None:
    assert function["TracingConfig"]["Mode"] == "Active"
    dlq_url = stack.output("processor_dlq_url")
    attributes = stack.client("sqs").get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])["Attributes"]
    assert function["DeadLetterConfig"]["TargetArn"] == attributes["QueueArn"]
    assert attributes["KmsMasterKeyId"] == stack.key_arn


def test_function_runs_in_the_private_subnets_with_https_egress_only(
    stack: DeployedStack, function: dict[str, Any]
) -> None:
    vpc = function["VpcConfig"]
    assert sorted(vpc["SubnetIds"]) == sorted(stack.output("private_subnet_ids"))
    assert vpc["VpcId"] == stack.output("vpc_id")
    groups = stack.client("ec2").describe_security_groups(GroupIds=vpc["SecurityGroupIds"])["SecurityGroups"]
    for group in groups:
        assert group["IpPermissions"] == []
        assert [(rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) for rule in group["IpPermissionsEgress"]] == [
            ("tcp", 443, 443)
        ]


def test_function_role_reads_incoming_and_writes_processed_only(stack: DeployedStack) -> None:
    iam = stack.client("iam")
    role_name = stack.output("processor_role_arn").rsplit("/", 1)[-1]
    grants: dict[str, list[str]] = {}
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"][
            "Document"
        ]
        document = json.loads(document) if isinstance(document, str) else document
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                if action.startswith("s3:"):
                    grants.setdefault(action, []).append(statement["Resource"])
    bucket_arn = f"arn:aws:s3:::{stack.output('data_bucket_name')}"
    assert grants == {
        "s3:GetObject": [f"{bucket_arn}/{INCOMING_PREFIX}*"],
        "s3:PutObject": [f"{bucket_arn}/{PROCESSED_PREFIX}*"],
    }
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == []


def test_function_errors_alarm_notifies_the_topic(stack: DeployedStack) -> None:
    alarm = stack.client("cloudwatch").describe_alarms(AlarmNames=[stack.output("processor_errors_alarm_name")])[
        "MetricAlarms"
    ][0]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": stack.output("processor_function_name")}]
    assert alarm["AlarmActions"] == alarm["OKActions"] == [stack.output("alarm_topic_arn")]


# --- AWS Config ----------------------------------------------------------------------------------------------------


def test_config_recorder_records_every_supported_and_global_type(stack: DeployedStack) -> None:
    config = stack.client("config")
    name = stack.output("config_recorder_name")
    (recorder,) = config.describe_configuration_recorders(ConfigurationRecorderNames=[name])["ConfigurationRecorders"]
    assert recorder["recordingGroup"]["allSupported"] is True
    assert recorder["recordingGroup"]["includeGlobalResourceTypes"] is True
    (status,) = config.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])[
        "ConfigurationRecordersStatus"
    ]
    assert status["recording"] is True


def test_config_delivers_to_its_encrypted_bucket_under_its_prefix(stack: DeployedStack) -> None:
    (channel,) = stack.client("config").describe_delivery_channels()["DeliveryChannels"]
    assert (channel["s3BucketName"], channel["s3KeyPrefix"], channel["s3KmsKeyArn"]) == (
        stack.output("config_bucket_name"),
        CONFIG_KEY_PREFIX,
        stack.key_arn,
    )


def test_config_role_is_assumable_by_config_and_carries_the_managed_config_policy(stack: DeployedStack) -> None:
    (recorder,) = stack.client("config").describe_configuration_recorders(
        ConfigurationRecorderNames=[stack.output("config_recorder_name")]
    )["ConfigurationRecorders"]
    iam = stack.client("iam")
    role_name = recorder["roleARN"].rsplit("/", 1)[-1]
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"]
    assert [statement["Principal"] for statement in trust] == [{"Service": "config.amazonaws.com"}]
    attached = [
        policy["PolicyArn"] for policy in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    ]
    assert "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole" in attached


def test_config_evaluates_the_pci_managed_rules(stack: DeployedStack) -> None:
    names = stack.output("config_rule_names")
    rules = stack.client("config").describe_config_rules(ConfigRuleNames=names)["ConfigRules"]
    sources = {rule["Source"]["SourceIdentifier"] for rule in rules if rule["Source"]["Owner"] == "AWS"}
    assert sources == set(PCI_MANAGED_RULES)
    assert all(rule["ConfigRuleState"] == "ACTIVE" for rule in rules)
