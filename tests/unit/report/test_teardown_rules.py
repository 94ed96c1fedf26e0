"""One test per teardown rule: dev leaves nothing, prod keeps every data store. Each on a small stack of the
format the rule is about, with the resource path and the fix checked in the violation."""

from __future__ import annotations

from typing import Any

import pytest
from report_cases import CfnBuilder, TfBuilder

from constructs_lib.model import Stack
from constructs_lib.report.teardown import Outcome, Severity, TeardownReport, Violation, assess, outcome


def errors(report: TeardownReport) -> list[Violation]:
    return [v for v in report.violations if v.severity is Severity.ERROR]


def warnings(report: TeardownReport) -> list[Violation]:
    return [v for v in report.violations if v.severity is Severity.WARNING]


def one_error(stack: Stack) -> Violation:
    report = assess(stack)
    assert report.verdict == "fail"
    (error,) = errors(report)
    return error


def bucket(**attributes: Any) -> dict:
    return {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {},
            "Metadata": {"aws:cdk:path": "App/Data/Resource"},
            **attributes,
        }
    }


# --- dev leaves nothing ------------------------------------------------------------------------------------------
def test_dev_retained_resource_is_an_error_with_its_path_and_the_fix(cfn: CfnBuilder) -> None:
    error = one_error(
        cfn(
            {
                "Logs": {
                    "Type": "AWS::Logs::LogGroup",
                    "DeletionPolicy": "Retain",
                    "Metadata": {"aws:cdk:path": "App/Logs/Resource"},
                }
            }
        )
    )
    assert error.resource == "App/Logs/Resource"
    assert "is retained" in error.message and "DeletionPolicy=Retain" in error.message
    assert error.fix == "RemovalPolicy.DESTROY (DeletionPolicy: Delete) in dev"


def test_dev_terraform_skip_destroy_is_an_error(tf: TfBuilder) -> None:
    error = one_error(tf({"aws_cloudwatch_log_group": {"logs": {"skip_destroy": True}}}))
    assert error.address == "aws_cloudwatch_log_group.logs" and error.fix == "skip_destroy = false (the default) in dev"


def test_dev_database_that_cloudformation_snapshots_by_default_is_an_error(cfn: CfnBuilder) -> None:
    error = one_error(cfn({"Db": {"Type": "AWS::RDS::DBCluster", "Properties": {}}}))
    assert "snapshot kept" in error.message and "RDS default: Snapshot" in error.message


def test_dev_terraform_final_snapshot_is_an_error(tf: TfBuilder) -> None:
    db = {"skip_final_snapshot": False, "final_snapshot_identifier": "db-final"}
    error = one_error(tf({"aws_db_instance": {"db": db}}))
    assert error.fix == "skip_final_snapshot = true (and no final_snapshot_identifier) in dev"


@pytest.mark.parametrize(
    ("resources", "fix"),
    [
        (
            {
                "Db": {
                    "Type": "AWS::RDS::DBInstance",
                    "Properties": {"DeletionProtection": True},
                    "DeletionPolicy": "Delete",
                }
            },
            "DeletionProtection false (CDK deletion_protection=False)",
        ),
        (
            {"Fw": {"Type": "AWS::NetworkFirewall::Firewall", "Properties": {"DeleteProtection": "true"}}},
            "DeletionProtection false (CDK deletion_protection=False)",
        ),
    ],
)
def test_dev_deletion_protection_is_an_error(cfn: CfnBuilder, resources: dict, fix: str) -> None:
    error = one_error(cfn(resources))
    assert "blocks destroy" in error.message and error.fix == fix


def test_dev_terraform_prevent_destroy_is_an_error(tf: TfBuilder) -> None:
    error = one_error(tf({"aws_sqs_queue": {"q": {"lifecycle": {"prevent_destroy": True}}}}))
    assert error.fix == "deletion_protection = false and no lifecycle.prevent_destroy"


def test_dev_object_lock_is_an_error(tf: TfBuilder) -> None:
    error = one_error(tf({"aws_s3_bucket": {"b": {"force_destroy": True, "object_lock_enabled": True}}}))
    assert "Object Lock" in error.message and "compliance-mode retention" in error.fix


def test_dev_bucket_not_emptied_first_is_an_error_in_both_formats(cfn: CfnBuilder, tf: TfBuilder) -> None:
    assert one_error(cfn(bucket())).fix == "CDK auto_delete_objects=True with RemovalPolicy.DESTROY"
    assert one_error(tf({"aws_s3_bucket": {"b": {}}})).fix == "force_destroy = true"


def test_dev_bucket_emptied_by_cdk_auto_delete_leaves_nothing(cfn: CfnBuilder) -> None:
    emptier = {"Type": "Custom::S3AutoDeleteObjects", "Properties": {"BucketName": {"Ref": "Bucket"}}}
    report = assess(cfn({**bucket(), "Emptier": emptier}))
    assert report.verdict == "pass" and not report.leftovers


def test_dev_terraform_snapshot_without_a_name_blocks_destroy(tf: TfBuilder) -> None:
    error = one_error(tf({"aws_rds_cluster": {"db": {"skip_final_snapshot": False}}}))
    assert "has no name" in error.message and error.fix == "skip_final_snapshot = true in dev"


def test_dev_database_that_keeps_its_automated_backups_is_an_error(tf: TfBuilder) -> None:
    db = {"skip_final_snapshot": True, "delete_automated_backups": False}
    error = one_error(tf({"aws_db_instance": {"db": db}}))
    assert "backups kept" in error.message and error.fix == "delete_automated_backups = true (the default)"


def test_dev_cloudformation_backups_kept_fix_names_the_property(cfn: CfnBuilder) -> None:
    db = {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Delete", "Properties": {"DeleteAutomatedBackups": "false"}}
    assert one_error(cfn({"Db": db})).fix == "DeleteAutomatedBackups true (the default)"


def test_dev_key_waiting_period_is_noted_not_an_error(cfn: CfnBuilder) -> None:
    key = {"Type": "AWS::KMS::Key", "DeletionPolicy": "Delete", "Properties": {"PendingWindowInDays": 7}}
    report = assess(cfn({"Key": key}))
    assert report.verdict == "pass" and not report.violations
    assert [(item.outcome, item.detail) for item in report.leftovers] == [
        (Outcome.PENDING, "scheduled for deletion, recoverable for 7 days")
    ]


def test_dev_key_waiting_longer_than_the_minimum_is_a_warning(tf: TfBuilder) -> None:
    report = assess(tf({"aws_kms_key": {"k": {}}}))  # Terraform's default window: 30 days
    assert report.verdict == "pass"
    (warning,) = warnings(report)
    assert "waits 30 days" in warning.message and warning.fix.endswith("= 7 in dev")


def test_dev_terraform_secret_with_a_recovery_window_is_a_warning(tf: TfBuilder) -> None:
    report = assess(tf({"aws_secretsmanager_secret": {"s": {"recovery_window_in_days": 7}}}))
    (warning,) = warnings(report)
    assert "recoverable for 7 days" in warning.message and warning.fix == "recovery_window_in_days = 0 in dev"


def test_dev_stack_that_deletes_everything_passes(tf: TfBuilder) -> None:
    report = assess(
        tf(
            {
                "aws_s3_bucket": {"b": {"force_destroy": True}},
                "aws_rds_cluster": {"db": {"skip_final_snapshot": True}},
                "aws_secretsmanager_secret": {"s": {"recovery_window_in_days": 0}},
                "aws_kinesis_stream": {"k": {}},
            }
        )
    )
    assert report.verdict == "pass" and not report.leftovers and report.deleted_buffers == ("aws_kinesis_stream.k",)


# --- prod keeps every data store ----------------------------------------------------------------------------------
def test_prod_database_deleted_without_snapshot_is_an_error(tf: TfBuilder) -> None:
    error = one_error(tf({"aws_rds_cluster": {"db": {"skip_final_snapshot": True}}}, profile="prod"))
    assert "deletes this db cluster and its data (skip_final_snapshot=true)" in error.message
    assert error.fix.startswith("skip_final_snapshot = false with a final_snapshot_identifier")


def test_prod_database_with_snapshot_and_protection_is_kept(cfn: CfnBuilder) -> None:
    db = {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Snapshot", "Properties": {"DeletionProtection": True}}
    report = assess(cfn({"Db": db}, profile="prod"))
    assert report.verdict == "pass" and report.kept_data_stores == ("Db",)
    assert report.leftovers[0].detail.endswith("once lifted, a final snapshot is kept")


@pytest.mark.parametrize(
    ("resources", "fix"),
    [
        (
            {
                "Bucket": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {"Tags": [{"Key": "aws-cdk:auto-delete-objects", "Value": "true"}]},
                }
            },
            "RemovalPolicy.RETAIN without auto_delete_objects",
        ),
        (
            {"Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "DeletionPolicy": "Delete"}},
            "DeletionPolicy: Snapshot",
        ),
        (
            {"Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Delete"}},
            "DeletionPolicy: Retain and DeletionProtectionEnabled true",
        ),
        (
            {"Db": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Delete"}},
            "DeletionPolicy: Snapshot and DeletionProtection true",
        ),
    ],
)
def test_prod_data_store_deleted_outright_is_an_error(cfn: CfnBuilder, resources: dict, fix: str) -> None:
    assert one_error(cfn(resources, profile="prod")).fix == fix


@pytest.mark.parametrize(
    ("resources", "fix"),
    [
        ({"aws_s3_bucket": {"b": {"force_destroy": True}}}, "force_destroy = false"),
        ({"aws_elasticache_replication_group": {"c": {}}}, "final_snapshot_identifier"),
        ({"aws_dynamodb_table": {"t": {}}}, "deletion_protection_enabled = true"),
    ],
)
def test_prod_terraform_data_store_deleted_outright_is_an_error(tf: TfBuilder, resources: dict, fix: str) -> None:
    assert one_error(tf(resources, profile="prod")).fix == fix


def test_prod_protected_dynamodb_table_and_full_bucket_are_kept(tf: TfBuilder) -> None:
    report = assess(
        tf(
            {"aws_dynamodb_table": {"t": {"deletion_protection_enabled": True}}, "aws_s3_bucket": {"b": {}}},
            profile="prod",
        )
    )
    assert report.verdict == "pass"
    assert set(report.kept_data_stores) == {"aws_dynamodb_table.t", "aws_s3_bucket.b"}


def test_prod_terraform_snapshot_without_a_name_keeps_the_data_but_warns(tf: TfBuilder) -> None:
    report = assess(tf({"aws_db_instance": {"db": {"skip_final_snapshot": False}}}, profile="prod"))
    assert report.verdict == "pass"
    (warning,) = warnings(report)
    assert "half deleted" in warning.message and warning.fix.startswith("final_snapshot_identifier")


def test_prod_key_deleted_while_its_encrypted_data_is_kept_is_a_warning(tf: TfBuilder) -> None:
    report = assess(
        tf(
            {
                "aws_kms_key": {"k": {"deletion_window_in_days": 30}},
                "aws_s3_bucket": {"b": {}},
                "aws_s3_bucket_server_side_encryption_configuration": {
                    "b": {"bucket": "${aws_s3_bucket.b.id}", "rule": [{"kms_master_key_id": "${aws_kms_key.k.arn}"}]}
                },
                "aws_rds_cluster": {
                    "db": {
                        "kms_key_id": "${aws_kms_key.k.arn}",
                        "deletion_protection": True,
                        "final_snapshot_identifier": "db-final",
                    }
                },
            },
            profile="prod",
        )
    )
    (warning,) = warnings(report)
    assert warning.address == "aws_kms_key.k"
    assert "aws_s3_bucket.b" in warning.message and "aws_rds_cluster.db" in warning.message
    assert "kms:CancelKeyDeletion" in warning.fix


def test_prod_retained_key_raises_no_warning(cfn: CfnBuilder) -> None:
    resources = {
        "Key": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain"},
        "Db": {
            "Type": "AWS::RDS::DBCluster",
            "DeletionPolicy": "Snapshot",
            "Properties": {"KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
        },
    }
    assert not assess(cfn(resources, profile="prod")).violations


def test_prod_log_group_and_terraform_secret_deleted_at_once_are_warnings(cfn: CfnBuilder, tf: TfBuilder) -> None:
    (logs,) = warnings(
        assess(cfn({"Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete"}}, profile="prod"))
    )
    assert "audit trail" in logs.message and logs.fix == "RemovalPolicy.RETAIN"
    report = assess(
        tf(
            {"aws_secretsmanager_secret": {"s": {"recovery_window_in_days": 0}}, "aws_cloudwatch_log_group": {"l": {}}},
            profile="prod",
        )
    )
    assert sorted(v.fix for v in warnings(report)) == [
        "keep the default recovery window (30 days)",
        "skip_destroy = true",
    ]


def test_prod_streams_and_queues_are_buffers_deleted_without_a_violation(tf: TfBuilder) -> None:
    report = assess(tf({"aws_kinesis_stream": {"s": {}}, "aws_sqs_queue": {"q": {}}}, profile="prod"))
    assert report.verdict == "pass" and not report.violations
    assert report.deleted_buffers == ("aws_kinesis_stream.s", "aws_sqs_queue.q")


def test_a_stack_without_a_profile_is_reported_but_not_judged(cfn: CfnBuilder) -> None:
    report = assess(cfn({"Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain"}}, profile=None))
    assert report.verdict == "not judged" and report.leftovers and not report.violations


def test_outcome_of_a_retained_protected_resource_says_both(cfn: CfnBuilder) -> None:
    stack = cfn(
        {
            "T": {
                "Type": "AWS::DynamoDB::Table",
                "DeletionPolicy": "Retain",
                "Properties": {"DeletionProtectionEnabled": True},
            }
        }
    )
    result, detail = outcome(stack.resources["T"])
    assert result is Outcome.BLOCKS and detail.endswith("it is also retained")


def test_json_form_names_outcomes_and_severities(tf: TfBuilder) -> None:
    report = assess(tf({"aws_s3_bucket": {"b": {}}}))
    data = report.to_dict()
    assert data["verdict"] == "fail" and data["leftovers"][0]["outcome"] == "blocks destroy"
    assert data["violations"][0]["severity"] == "error"
