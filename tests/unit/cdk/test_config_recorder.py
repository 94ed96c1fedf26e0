"""ConfigRecorder (CDK): records everything into an encrypted bucket, checks the policy's rules, passes cdk-nag."""

from __future__ import annotations

import contextlib
import json
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from constructs_lib.cdk.compliance import enable_compliance_checks
from constructs_lib.cdk.config_recorder import ConfigRecorder
from constructs_lib.policy import config_recording, retention


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    recorder: ConfigRecorder
    errors: set[tuple[str, str]]

    def ref(self, value: Any) -> Any:
        return self.stack.resolve(value)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    outdir = tmp_path_factory.mktemp("config")
    app = cdk.App(context={"profile": "dev", "environmentSuffix": "t1"}, outdir=str(outdir))
    stack = cdk.Stack(app, "Config")
    recorder = ConfigRecorder(stack, "Recorder", name_prefix="pci-platform")
    enable_compliance_checks(app)
    # A validation failure (any error, ours or not) raises; the report says whose it was.
    with contextlib.suppress(RuntimeError):
        app.synth()
    template = Template.from_json(json.loads((outdir / "Config.template.json").read_text()))
    report = json.loads((outdir / "validation-report.json").read_text())
    violations = [violation for plugin in report["pluginReports"] for violation in plugin["violations"]]
    assert violations, "cdk-nag reported nothing: the packs did not run"
    errors = {
        (violation["ruleName"], construct["constructPath"])
        for violation in violations
        if violation["severity"] == "error"
        for construct in violation["violatingConstructs"]
    }
    return Built(stack, template, recorder, errors)


def test_recorder_records_every_resource_type_global_ones_included(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::Config::ConfigurationRecorder",
        {
            "Name": "pci-platform-t1",
            "RecordingGroup": {"AllSupported": True, "IncludeGlobalResourceTypes": True},
            "RoleARN": built.ref(built.recorder.role.role_arn),
        },
    )


def test_delivery_channel_writes_to_the_bucket_under_the_key_daily(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::Config::DeliveryChannel",
        {
            "S3BucketName": built.ref(built.recorder.bucket.bucket_name),
            "S3KeyPrefix": config_recording.CONFIG_KEY_PREFIX,
            "S3KmsKeyArn": built.ref(built.recorder.encryption_key.key_arn),
            "ConfigSnapshotDeliveryProperties": {"DeliveryFrequency": "TwentyFour_Hours"},
        },
    )


def test_history_bucket_expires_after_the_audit_retention(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [Match.object_like({"ExpirationInDays": retention.LOG_RETENTION_DAYS["audit"]})]
                )
            }
        },
    )


def test_role_is_assumable_only_by_config_for_this_account(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Principal": {"Service": "config.amazonaws.com"},
                            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                        }
                    )
                ]
            }
        },
    )


def test_one_managed_rule_per_policy_entry_each_after_the_recorder(built: Built) -> None:
    rules = built.template.find_resources("AWS::Config::ConfigRule")
    assert len(rules) == len(config_recording.PCI_MANAGED_RULES)
    assert {r["Properties"]["Source"]["SourceIdentifier"] for r in rules.values()} == set(
        config_recording.PCI_MANAGED_RULES
    )
    recorder_id = built.stack.get_logical_id(built.recorder.recorder)
    assert all(recorder_id in r["DependsOn"] for r in rules.values())


def test_cdk_nag_leaves_no_error_on_the_recorder(built: Built) -> None:
    assert {finding for finding in built.errors if finding[1].startswith("Config/Recorder/")} == set()
