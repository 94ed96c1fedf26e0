"""cdktf HardenedStack, the grant helpers, and NetworkFirewall and ConfigRecorder built with no arguments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cdktf
import pytest
from tfjson import by_path, policy, ref

from constructs_lib.policy import ConfigurationError, compute, config_recording
from constructs_lib.policy import network_firewall as firewall_policy


def _app(tmp_path_factory: pytest.TempPathFactory, **context: Any) -> cdktf.App:
    outdir = str(tmp_path_factory.mktemp("hardened"))
    return cdktf.App(outdir=outdir, context={"profile": "dev", "environmentSuffix": "t1", **context})


def _synth(stack: cdktf.TerraformStack) -> dict[str, Any]:
    app = stack.node.root
    app.synth()
    return json.loads((Path(app.outdir) / "stacks" / stack.node.id / "cdk.tf.json").read_text())


@pytest.fixture(scope="module")
def built(tf_app, tmp_path_factory, monkeypatch_module) -> dict[str, Any]:
    """A HardenedStack holding a bare firewall (on its own network), a bare recorder and the grantable stores."""
    from constructs_lib.cdktf import grants
    from constructs_lib.cdktf.config_recorder import ConfigRecorder
    from constructs_lib.cdktf.encryption_key import EncryptionKey
    from constructs_lib.cdktf.hardened_stack import HardenedStack
    from constructs_lib.cdktf.kinesis_stream import KinesisDataStream
    from constructs_lib.cdktf.network import Network
    from constructs_lib.cdktf.network_firewall import NetworkFirewall
    from constructs_lib.cdktf.secure_bucket import SecureBucket
    from constructs_lib.cdktf.secure_queue import SecureQueue
    from constructs_lib.cdktf.service_role import ServiceRole

    stack = HardenedStack(_app(tmp_path_factory), "hardened", system="hardened", data_classification="internal")
    network = Network(stack, "net", public_default_route=False)
    NetworkFirewall(stack, "egress", network=network)
    ConfigRecorder(stack, "config")
    key = EncryptionKey(stack, "key")
    stream = KinesisDataStream(stack, "stream", encryption_key=key)
    queue = SecureQueue(stack, "queue", encryption_key=key)
    bucket = SecureBucket(stack, "bucket", encryption_key=key)
    stack.output("stream_name", stream.name, "The stream")
    statements = {
        "stream": grants.stream_read_statements(stream),
        "queue": grants.queue_consume_statements(queue),
        "read": grants.bucket_read_statements(bucket, "in/"),
        "write": grants.bucket_write_statements(bucket, "out/", with_key=False),
        "readwrite": grants.bucket_read_write_statements(bucket),
        "secret": grants.secret_read_statements(stack, ["arn:secret"], key),
    }
    reader = ServiceRole(stack, "reader", service=compute.LAMBDA_PRINCIPAL)
    for name, granted in statements.items():
        reader.add_statements(name, granted)
    tf = _synth(stack)
    # Each grant as Terraform sees it: the statements of the reader's policy of that name.
    resolved = {
        name: policy(by_path(tf, "aws_iam_policy", f"hardened/reader/policy-{name}")["policy"])["Statement"]
        for name in statements
    }
    return {"tf": tf, "statements": resolved}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        for name in ("ENVIRONMENT_SUFFIX", "DEPLOY_PROFILE", "AWS_REGION", "TF_STATE_BUCKET", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        yield patch


# --- HardenedStack -------------------------------------------------------------------------------------------------


def test_stack_provider_tags_every_resource_with_the_standard_tags(built):
    (provider,) = built["tf"]["provider"]["aws"]
    assert provider["region"] == "us-east-1"
    assert provider["default_tags"] == [
        {
            "tags": {
                "System": "hardened",
                "Environment": "t1",
                "Profile": "dev",
                "DataClassification": "internal",
                "ManagedBy": "hardened-iac-stacks",
            }
        }
    ]


def test_stack_without_a_state_bucket_keeps_local_state_per_stack(built):
    assert built["tf"]["terraform"]["backend"] == {"local": {"path": "terraform.hardened.tfstate"}}


def test_stack_output_carries_its_value_and_description(built):
    assert built["tf"]["output"]["stream_name"] == {
        "description": "The stream",
        "value": ref(built["tf"], "aws_kinesis_stream", "hardened/stream/stream", "name"),
    }


def test_stack_region_from_context_is_validated(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.hardened_stack import HardenedStack

    with pytest.raises(ConfigurationError, match="region"):
        HardenedStack(_app(tmp_path_factory, region="mars-1"), "s", system="s", data_classification="internal")


def test_stack_refuses_a_region_where_an_engine_it_uses_is_not_offered(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.hardened_stack import HardenedStack

    with pytest.raises(ConfigurationError, match="postgres"):
        HardenedStack(
            _app(tmp_path_factory),
            "s",
            system="s",
            data_classification="internal",
            region="af-south-1",
            engines_used=["postgres"],
        )


def test_stack_with_a_state_bucket_keeps_encrypted_locked_s3_state(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.hardened_stack import HardenedStack

    stack = HardenedStack(
        _app(tmp_path_factory, stateBucket="my-state"), "s3state", system="s", data_classification="internal"
    )
    backend = _synth(stack)["terraform"]["backend"]["s3"]
    assert backend["bucket"] == "my-state" and backend["encrypt"] is True and backend["use_lockfile"] is True


# --- grants --------------------------------------------------------------------------------------------------------


def test_stream_read_grant_reads_the_stream_and_decrypts_with_its_key(built):
    tf = built["tf"]
    read, key = built["statements"]["stream"]
    assert read["Action"] == list(compute.STREAM_READ_ACTIONS)
    assert read["Resource"] == ref(tf, "aws_kinesis_stream", "hardened/stream/stream", "arn")
    assert key == {
        "Sid": "ReadStreamKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": ref(tf, "aws_kms_key", "hardened/key/key", "arn"),
    }


def test_queue_consume_grant_never_sends_or_purges(built):
    consume, _key = built["statements"]["queue"]
    assert consume["Action"] == list(compute.QUEUE_CONSUME_ACTIONS)
    assert not {"sqs:SendMessage", "sqs:PurgeQueue"} & set(consume["Action"])
    assert consume["Resource"] == ref(built["tf"], "aws_sqs_queue", "hardened/queue/queue", "arn")


def test_bucket_grants_are_scoped_to_the_prefix_and_objects_only(built):
    bucket = ref(built["tf"], "aws_s3_bucket", "hardened/bucket/bucket", "arn")
    read, read_key = built["statements"]["read"]
    assert (read["Action"], read["Resource"]) == (["s3:GetObject"], f"{bucket}/in/*")
    assert read_key["Action"] == ["kms:Decrypt"]
    (write,) = built["statements"]["write"]
    assert (write["Action"], write["Resource"]) == (["s3:PutObject"], f"{bucket}/out/*")
    read_write, key = built["statements"]["readwrite"]
    assert read_write["Resource"] == f"{bucket}/*"
    assert key["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]


def test_secret_grant_decrypts_only_through_secrets_manager(built):
    read, decrypt = built["statements"]["secret"]
    assert read["Resource"] == ["arn:secret"]
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"].startswith("secretsmanager.${data.aws_region.")


# --- NetworkFirewall -----------------------------------------------------------------------------------------------


def test_firewall_policy_runs_in_strict_order_and_drops_what_no_rule_allows(built):
    document = by_path(built["tf"], "aws_networkfirewall_firewall_policy", "hardened/egress/policy")
    rules = document["firewall_policy"]
    assert rules["stateful_engine_options"] == {"rule_order": "STRICT_ORDER", "stream_exception_policy": "DROP"}
    assert rules["stateful_default_actions"] == list(firewall_policy.STATEFUL_DEFAULT_ACTIONS)


def test_firewall_without_a_key_or_domains_gets_its_own_key_and_allows_the_aws_apis(built):
    tf = built["tf"]
    own_key = ref(tf, "aws_kms_key", "hardened/egress/key/key", "arn")
    allow_list = by_path(tf, "aws_networkfirewall_rule_group", "hardened/egress/domain-allow-list")
    assert allow_list["encryption_configuration"] == {"type": "CUSTOMER_KMS", "key_id": own_key}
    targets = allow_list["rule_group"]["rules_source"]["rules_source_list"]["targets"]
    assert targets == list(firewall_policy.DEFAULT_ALLOWED_DOMAINS)


def test_firewall_logs_alerts_and_flows_to_encrypted_audit_log_groups(built):
    tf = built["tf"]
    logging = by_path(tf, "aws_networkfirewall_logging_configuration", "hardened/egress/logging")
    config = logging["logging_configuration"]
    assert [d["log_type"] for d in config["log_destination_config"]] == ["ALERT", "FLOW"]
    for log_type in ("alert", "flow"):
        group = by_path(tf, "aws_cloudwatch_log_group", f"hardened/egress/{log_type}-logs/group")
        assert group["retention_in_days"] == 365 and group["kms_key_id"].startswith("${aws_kms_key.")


def test_firewall_refuses_a_network_whose_public_subnets_bypass_it(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.hardened_stack import HardenedStack
    from constructs_lib.cdktf.network import Network
    from constructs_lib.cdktf.network_firewall import NetworkFirewall

    stack = HardenedStack(_app(tmp_path_factory), "s", system="s", data_classification="internal")
    with pytest.raises(ConfigurationError, match="public_default_route"):
        NetworkFirewall(stack, "egress", network=Network(stack, "net"))


# --- ConfigRecorder ------------------------------------------------------------------------------------------------


def test_config_recorder_without_arguments_records_everything_into_its_own_encrypted_bucket(built):
    tf = built["tf"]
    group = by_path(tf, "aws_config_configuration_recorder", "hardened/config/recorder")["recording_group"]
    assert group == {"all_supported": True, "include_global_resource_types": True}
    channel = by_path(tf, "aws_config_delivery_channel", "hardened/config/delivery-channel")
    assert channel["s3_kms_key_arn"] == ref(tf, "aws_kms_key", "hardened/config/key/key", "arn")
    assert channel["s3_key_prefix"] == config_recording.CONFIG_KEY_PREFIX


def test_config_recorder_checks_one_managed_rule_per_policy_entry(built):
    rules = [
        body
        for body in built["tf"]["resource"]["aws_config_config_rule"].values()
        if body["//"]["metadata"]["path"].startswith("hardened/config/")
    ]
    assert len(rules) == len(config_recording.PCI_MANAGED_RULES)
    assert {rule["source"]["source_identifier"] for rule in rules} == set(config_recording.PCI_MANAGED_RULES)
