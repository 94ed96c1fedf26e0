"""PCI platform stack (seed 004): buckets, key policy, Config, flow logs, the function and Network Firewall."""

from __future__ import annotations

import pytest
from tfjson import by_path, data_sources, policy, ref, resources, statement

STACK = "pci-platform"
BUCKETS = {
    "data-processing/data-bucket": "pci-platform-data",
    "security/access-logs": "pci-platform-access-logs",
    "networking/flow-log-bucket": "pci-platform-flow-logs",
    "monitoring/config/bucket": "pci-platform-config",
}


@pytest.mark.parametrize(("path", "base"), BUCKETS.items())
def test_bucket_name_carries_suffix_account_and_region_from_data_sources(dev, path, base):
    stack = dev[STACK]
    (caller,) = data_sources(stack, "aws_caller_identity")
    (region,) = data_sources(stack, "aws_region")
    bucket = by_path(stack, "aws_s3_bucket", f"{path}/bucket")
    assert bucket["bucket"] == (
        f"{base}-dev-${{data.aws_caller_identity.{caller}.account_id}}-${{data.aws_region.{region}.name}}"
    )


@pytest.mark.parametrize("path", BUCKETS)
def test_bucket_is_versioned_without_mfa_delete(dev, path):
    stack = dev[STACK]
    versioning = by_path(stack, "aws_s3_bucket_versioning", f"{path}/versioning")
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    assert versioning["bucket"] == ref(stack, "aws_s3_bucket", f"{path}/bucket", "id")


@pytest.mark.parametrize("path", [p for p in BUCKETS if p != "security/access-logs"])
def test_bucket_is_encrypted_with_the_platform_key_and_logs_access(dev, path):
    stack = dev[STACK]
    (rule,) = by_path(stack, "aws_s3_bucket_server_side_encryption_configuration", f"{path}/encryption")["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": ref(stack, "aws_kms_key", "security/key/key", "arn"),
    }
    assert rule["bucket_key_enabled"] is True
    logging = by_path(stack, "aws_s3_bucket_logging", f"{path}/logging")
    assert logging["target_bucket"] == ref(stack, "aws_s3_bucket", "security/access-logs/bucket", "id")


def test_access_log_bucket_uses_sse_s3_and_admits_only_s3_log_delivery(dev):
    stack = dev[STACK]
    (rule,) = by_path(stack, "aws_s3_bucket_server_side_encryption_configuration", "security/access-logs/encryption")[
        "rule"
    ]
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    document = by_path(stack, "aws_s3_bucket_policy", "security/access-logs/policy")["policy"]
    log_bucket = ref(stack, "aws_s3_bucket", "security/access-logs/bucket", "arn")
    for path, base in BUCKETS.items():
        if path == "security/access-logs":
            continue
        delivery = statement(document, "AllowAccessLogsFor" + "".join(p.title() for p in base.split("-")))
        assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert delivery["Action"] == "s3:PutObject"
        assert delivery["Resource"] == f"{log_bucket}/{base}/*"
        assert delivery["Condition"]["ArnLike"] == {
            "aws:SourceArn": ref(stack, "aws_s3_bucket", f"{path}/bucket", "arn")
        }


@pytest.mark.parametrize("path", BUCKETS)
def test_bucket_denies_requests_without_tls_and_blocks_public_access(dev, path):
    stack = dev[STACK]
    deny = statement(by_path(stack, "aws_s3_bucket_policy", f"{path}/policy")["policy"], "DenyRequestsWithoutTls")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    block = by_path(stack, "aws_s3_bucket_public_access_block", f"{path}/public-access-block")
    assert all(
        block[flag] is True
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    ownership = by_path(stack, "aws_s3_bucket_ownership_controls", f"{path}/ownership")
    assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}


@pytest.mark.parametrize(("path", "expires"), [(p, p != "data-processing/data-bucket") for p in BUCKETS])
def test_bucket_lifecycle_uses_the_providers_list_shapes(dev, path, expires):
    (rule,) = by_path(dev[STACK], "aws_s3_bucket_lifecycle_configuration", f"{path}/lifecycle")["rule"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == [{"prefix": ""}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert rule["transition"] == [{"days": 30, "storage_class": "STANDARD_IA"}]
    assert rule.get("expiration") == ([{"days": 365}] if expires else None)


@pytest.mark.parametrize(("profile", "force"), [("dev", True), ("prod", False)])
def test_bucket_force_destroy_follows_the_profile(synthesized, profile, force):
    buckets = resources(synthesized[profile][STACK], "aws_s3_bucket").values()
    assert {bucket["force_destroy"] for bucket in buckets} == {force}


def test_key_policy_names_the_account_root_and_cloudwatch_logs_from_data_sources(dev):
    stack = dev[STACK]
    key = by_path(stack, "aws_kms_key", "security/key/key")
    assert key["enable_key_rotation"] is True
    (caller,) = data_sources(stack, "aws_caller_identity")
    (partition,) = data_sources(stack, "aws_partition")
    (region,) = data_sources(stack, "aws_region")
    account = f"${{data.aws_caller_identity.{caller}.account_id}}"
    root = statement(key["policy"], "EnableIamPoliciesOfThisAccount")
    assert root["Principal"] == {"AWS": f"arn:${{data.aws_partition.{partition}.partition}}:iam::{account}:root"}
    logs = statement(key["policy"], "AllowCloudWatchLogsInThisAccount")
    assert logs["Principal"] == {"Service": f"logs.${{data.aws_region.{region}.name}}.amazonaws.com"}
    assert account in logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    delivery = statement(key["policy"], "AllowLogDeliveryOfThisAccount")
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": account}


@pytest.mark.parametrize(("profile", "window"), [("dev", 7), ("prod", 30)])
def test_key_deletion_window_follows_the_profile(synthesized, profile, window):
    keys = resources(synthesized[profile][STACK], "aws_kms_key").values()
    assert {key["deletion_window_in_days"] for key in keys} == {window}


def test_config_records_everything_into_the_encrypted_config_bucket(dev):
    stack = dev[STACK]
    recorder = by_path(stack, "aws_config_configuration_recorder", "monitoring/config/recorder")
    assert recorder["recording_group"] == {"all_supported": True, "include_global_resource_types": True}
    assert recorder["role_arn"] == ref(stack, "aws_iam_role", "monitoring/config/role/role", "arn")
    channel = by_path(stack, "aws_config_delivery_channel", "monitoring/config/delivery-channel")
    assert channel["s3_bucket_name"] == ref(stack, "aws_s3_bucket", "monitoring/config/bucket/bucket", "bucket")
    assert channel["s3_kms_key_arn"] == ref(stack, "aws_kms_key", "security/key/key", "arn")
    status = by_path(stack, "aws_config_configuration_recorder_status", "monitoring/config/recorder-status")
    assert status["is_enabled"] is True
    assert status["depends_on"] == [
        "aws_config_delivery_channel." + next(iter(resources(stack, "aws_config_delivery_channel")))
    ]


def test_config_role_gets_the_managed_policy_through_a_separate_attachment(dev):
    stack = dev[STACK]
    role_name = ref(stack, "aws_iam_role", "monitoring/config/role/role", "name")
    attachment = by_path(stack, "aws_iam_role_policy_attachment", "monitoring/config/role/managed-AWS_ConfigRole")
    assert attachment["role"] == role_name
    assert attachment["policy_arn"].endswith(":iam::aws:policy/service-role/AWS_ConfigRole")
    assert attachment["policy_arn"].startswith("arn:${data.aws_partition.")
    for synth_role in resources(stack, "aws_iam_role").values():
        assert "managed_policy_arns" not in synth_role and "inline_policy" not in synth_role


def test_config_rules_cover_pci_controls_and_wait_for_the_recorder(dev):
    rules = resources(dev[STACK], "aws_config_config_rule").values()
    identifiers = {rule["source"]["source_identifier"] for rule in rules}
    assert {"S3_BUCKET_SSL_REQUESTS_ONLY", "VPC_FLOW_LOGS_ENABLED", "CMK_BACKING_KEY_ROTATION_ENABLED"} <= identifiers
    assert all(rule["source"]["owner"] == "AWS" and rule["depends_on"] for rule in rules)


def test_vpc_flow_logs_go_to_cloudwatch_and_to_the_flow_log_bucket(dev):
    stack = dev[STACK]
    vpc = ref(stack, "aws_vpc", "networking/network/vpc", "id")
    flow_logs = {body["log_destination_type"]: body for body in resources(stack, "aws_flow_log").values()}
    assert set(flow_logs) == {"cloud-watch-logs", "s3"}
    assert all(body["vpc_id"] == vpc and body["traffic_type"] == "ALL" for body in flow_logs.values())
    assert flow_logs["s3"]["log_destination"] == ref(stack, "aws_s3_bucket", "networking/flow-log-bucket/bucket", "arn")
    document = by_path(stack, "aws_s3_bucket_policy", "networking/flow-log-bucket/policy")["policy"]
    assert statement(document, "AllowFlowLogDeliveryWrite")["Principal"] == {"Service": "delivery.logs.amazonaws.com"}


def test_processing_function_uses_the_security_modules_role_and_an_explicit_log_group(dev):
    stack = dev[STACK]
    function = by_path(stack, "aws_lambda_function", "data-processing/processor/function")
    assert function["role"] == ref(stack, "aws_iam_role", "security/processing-role/role", "arn")
    assert function["logging_config"] == {
        "log_format": "JSON",
        "log_group": ref(stack, "aws_cloudwatch_log_group", "data-processing/processor/logs/group", "name"),
    }
    group = by_path(stack, "aws_cloudwatch_log_group", "data-processing/processor/logs/group")
    assert group["name"] == "/aws/lambda/pci-platform-processor-dev" and group["retention_in_days"] == 365
    assert function["kms_key_arn"] == ref(stack, "aws_kms_key", "security/key/key", "arn")
    assert function["tracing_config"] == {"mode": "Active"}
    assert function["vpc_config"]["subnet_ids"] == [
        ref(stack, "aws_subnet", f"networking/network/private-{i}", "id") for i in range(2)
    ]
    assert function["filename"].startswith("assets/") and function["filename"].endswith("archive.zip")


def test_processing_role_reads_incoming_and_writes_processed_only(dev):
    stack = dev[STACK]
    document = by_path(stack, "aws_iam_policy", "security/processing-role/policy-data-bucket")["policy"]
    bucket = ref(stack, "aws_s3_bucket", "data-processing/data-bucket/bucket", "arn")
    assert statement(document, "ReadIncoming") == {
        "Sid": "ReadIncoming",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": f"{bucket}/incoming/*",
    }
    assert statement(document, "WriteProcessed") == {
        "Sid": "WriteProcessed",
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": f"{bucket}/processed/*",
    }
    assert len(policy(document)["Statement"]) == 2


def test_bucket_notifies_the_function_for_incoming_objects_only(dev):
    stack = dev[STACK]
    notification = by_path(stack, "aws_s3_bucket_notification", "data-processing/notify-incoming")
    (target,) = notification["lambda_function"]
    assert target["filter_prefix"] == "incoming/"
    assert target["lambda_function_arn"] == ref(
        stack, "aws_lambda_function", "data-processing/processor/function", "arn"
    )
    permission = by_path(stack, "aws_lambda_permission", "data-processing/allow-bucket")
    assert permission["principal"] == "s3.amazonaws.com"
    assert permission["source_account"].startswith("${data.aws_caller_identity.")


def test_firewall_policy_references_both_stateful_rule_groups_in_strict_order(dev):
    stack = dev[STACK]
    domains = by_path(stack, "aws_networkfirewall_rule_group", "networking/firewall/domain-allow-list")
    assert domains["type"] == "STATEFUL"
    source_list = domains["rule_group"]["rules_source"]["rules_source_list"]
    assert source_list == {
        "generated_rules_type": "ALLOWLIST",
        "target_types": ["TLS_SNI"],
        "targets": [".amazonaws.com"],
    }
    suricata = by_path(stack, "aws_networkfirewall_rule_group", "networking/firewall/protocol-rules")
    assert "drop http" in suricata["rule_group"]["rules_source"]["rules_string"]
    firewall_policy = by_path(stack, "aws_networkfirewall_firewall_policy", "networking/firewall/policy")[
        "firewall_policy"
    ]
    assert firewall_policy["stateful_engine_options"]["rule_order"] == "STRICT_ORDER"
    assert firewall_policy["stateful_default_actions"] == ["aws:drop_established", "aws:alert_established"]
    assert [r["resource_arn"] for r in firewall_policy["stateful_rule_group_reference"]] == [
        ref(stack, "aws_networkfirewall_rule_group", "networking/firewall/protocol-rules", "arn"),
        ref(stack, "aws_networkfirewall_rule_group", "networking/firewall/domain-allow-list", "arn"),
    ]
    for group in (domains, suricata):
        assert group["rule_group"]["stateful_rule_options"] == {"rule_order": "STRICT_ORDER"}
        assert group["encryption_configuration"]["type"] == "CUSTOMER_KMS"


def test_firewall_sits_in_its_own_subnet_per_az_and_logs_alerts_and_flows(dev):
    stack = dev[STACK]
    firewall = by_path(stack, "aws_networkfirewall_firewall", "networking/firewall/firewall")
    assert firewall["subnet_mapping"] == [
        {"subnet_id": ref(stack, "aws_subnet", f"networking/firewall/subnet-{i}", "id")} for i in range(2)
    ]
    assert firewall["firewall_policy_arn"] == ref(
        stack, "aws_networkfirewall_firewall_policy", "networking/firewall/policy", "arn"
    )
    logging = by_path(stack, "aws_networkfirewall_logging_configuration", "networking/firewall/logging")
    destinations = logging["logging_configuration"]["log_destination_config"]
    assert {d["log_type"] for d in destinations} == {"ALERT", "FLOW"}
    assert {d["log_destination_type"] for d in destinations} == {"CloudWatchLogs"}


@pytest.mark.parametrize(("profile", "protected"), [("dev", False), ("prod", True)])
def test_firewall_deletion_protection_follows_the_profile(synthesized, profile, protected):
    firewall = by_path(synthesized[profile][STACK], "aws_networkfirewall_firewall", "networking/firewall/firewall")
    assert firewall["delete_protection"] is protected
    assert firewall["subnet_change_protection"] is True


def test_egress_leaves_through_the_firewall_endpoint_of_the_same_az(dev):
    stack = dev[STACK]
    (local_name,) = stack["locals"]
    expression = stack["locals"][local_name]
    assert ".firewall_status[0].sync_states" in expression and "attachment[0].endpoint_id" in expression
    for index in range(2):
        zone = ref(stack, "aws_subnet", f"networking/network/public-{index}", "availability_zone")[2:-1]
        endpoint = f"${{local.{local_name}[{zone}]}}"
        egress = by_path(stack, "aws_route", f"networking/firewall/public-{index}-egress")
        assert egress["vpc_endpoint_id"] == endpoint and egress["destination_cidr_block"] == "0.0.0.0/0"
        back = by_path(stack, "aws_route", f"networking/firewall/public-{index}-return")
        assert back["vpc_endpoint_id"] == endpoint
        assert back["destination_cidr_block"] == ref(
            stack, "aws_subnet", f"networking/network/public-{index}", "cidr_block"
        )
        to_internet = by_path(stack, "aws_route", f"networking/firewall/{index}-internet")
        assert to_internet["gateway_id"] == ref(stack, "aws_internet_gateway", "networking/network/igw", "id")


def test_public_subnets_have_no_direct_route_to_the_internet_gateway(dev):
    stack = dev[STACK]
    igw = ref(stack, "aws_internet_gateway", "networking/network/igw", "id")
    public_tables = {ref(stack, "aws_route_table", f"networking/network/public-{i}-routes", "id") for i in range(2)}
    for route in resources(stack, "aws_route").values():
        if route["route_table_id"] in public_tables:
            assert route.get("gateway_id") != igw
    edge = by_path(stack, "aws_route_table_association", "networking/firewall/internet-gateway-edge-association")
    assert edge["gateway_id"] == igw


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_isolated_subnets_have_no_route_out_not_even_through_the_firewall(synthesized, profile):
    stack = synthesized[profile][STACK]
    isolated_tables = {ref(stack, "aws_route_table", f"networking/network/isolated-{i}-routes", "id") for i in range(2)}
    routes = resources(stack, "aws_route").values()
    assert routes, "the private, public and firewall tiers route out: the filter below reads real routes"
    assert not [r for r in routes if r["route_table_id"] in isolated_tables]


def test_firewall_subnets_take_the_slots_past_the_networks_isolated_tier(dev):
    stack = dev[STACK]
    cidrs = [subnet["cidr_block"] for subnet in resources(stack, "aws_subnet").values()]
    assert len(cidrs) == 8 and len(set(cidrs)) == 8, "public, private, isolated and firewall subnet per AZ, apart"
    for index in range(2):
        assert (
            by_path(stack, "aws_subnet", f"networking/network/isolated-{index}")["cidr_block"] == f"10.0.2{index}.0/24"
        )
        assert (
            by_path(stack, "aws_subnet", f"networking/firewall/subnet-{index}")["cidr_block"] == f"10.0.3{index}.0/24"
        )


def test_outputs_name_every_identifier_an_integration_test_needs(dev):
    outputs = dev[STACK]["output"]
    expected = {
        "data_bucket_name",
        "access_log_bucket_name",
        "flow_log_bucket_name",
        "config_bucket_name",
        "kms_key_arn",
        "vpc_id",
        "private_subnet_ids",
        "public_subnet_ids",
        "isolated_subnet_ids",
        "firewall_arn",
        "firewall_policy_arn",
        "firewall_rule_group_arns",
        "firewall_endpoint_ids",
        "processor_function_name",
        "processor_role_arn",
        "processor_log_group_name",
        "processor_dlq_url",
        "config_recorder_name",
        "config_rule_names",
        "flow_log_group_name",
        "firewall_alert_log_group_name",
        "region",
    }
    assert expected <= set(outputs)
    assert len(outputs["config_rule_names"]["value"]) == len(resources(dev[STACK], "aws_config_config_rule"))


def test_config_can_be_left_to_an_existing_recorder(synth_app):
    from stacks.pci_platform.stack import PciPlatformProps, PciPlatformStack

    synth = synth_app(
        {"profile": "dev", "environmentSuffix": "nocfg"},
        lambda app: PciPlatformStack(app, STACK, PciPlatformProps(enable_config=False)),
    )
    stack = synth[STACK]
    assert not resources(stack, "aws_config_configuration_recorder")
    assert not resources(stack, "aws_config_config_rule")
    assert "config_recorder_name" not in stack["output"]
    assert resources(stack, "aws_cloudwatch_metric_alarm"), "the function's error alarm stays"


def test_lambda_security_group_allows_https_egress_only(dev):
    stack = dev[STACK]
    group = ref(stack, "aws_security_group", "data-processing/processor/security-group", "id")
    rules = [
        r for r in resources(stack, "aws_vpc_security_group_egress_rule").values() if r["security_group_id"] == group
    ]
    assert [(r["from_port"], r["to_port"], r["ip_protocol"]) for r in rules] == [(443, 443, "tcp")]
    assert not [
        r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values() if r["security_group_id"] == group
    ]
