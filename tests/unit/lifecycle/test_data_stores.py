"""scripts/lifecycle/data_stores.py: which data stores a stack has and what deleting it should do to each, from a
template and from Terraform state."""

from __future__ import annotations

from constructs_lib.model import OnDelete
from scripts.lifecycle import data_stores
from scripts.lifecycle.data_stores import DataStore


def test_a_template_names_its_data_stores_and_what_deleting_the_stack_does_to_each() -> None:
    template = {
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain"},
            "Database": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "Properties": {}},
            "Member": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBClusterIdentifier": {"Ref": "Cluster"}}},
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Role": {"Type": "AWS::IAM::Role"},
        }
    }
    physical = {"Key": "k-1", "Database": "db-1", "Member": "db-2", "Queue": "https://q", "Role": "r"}

    stores = data_stores.cloudformation_stores(template, physical, "eu-west-1")

    assert stores == [
        DataStore("key", "k-1", "Key", OnDelete.RETAIN, "eu-west-1"),
        DataStore("db_instance", "db-1", "Database", OnDelete.SNAPSHOT, "eu-west-1"),
        DataStore("queue", "https://q", "Queue", OnDelete.DELETE, "eu-west-1"),
    ]


def test_terraform_state_names_its_data_stores_kept_by_type_skip_destroy_or_final_snapshot() -> None:
    resources = [
        ("aws_s3_bucket.data", "aws_s3_bucket", {"bucket": "data-bucket", "force_destroy": False}),
        ("aws_cloudwatch_log_group.kept", "aws_cloudwatch_log_group", {"name": "/kept", "skip_destroy": True}),
        ("aws_cloudwatch_log_group.gone", "aws_cloudwatch_log_group", {"name": "/gone", "skip_destroy": False}),
        (
            "aws_rds_cluster.db",
            "aws_rds_cluster",
            {"cluster_identifier": "db", "skip_final_snapshot": False, "final_snapshot_identifier": "db-final"},
        ),
        ("aws_vpc.vpc", "aws_vpc", {"id": "vpc-1"}),
    ]

    stores = data_stores.terraform_stores(resources, "us-east-1")

    assert [(store.kind, store.name, store.on_delete) for store in stores] == [
        ("bucket", "data-bucket", OnDelete.RETAIN),
        ("log_group", "/kept", OnDelete.RETAIN),
        ("log_group", "/gone", OnDelete.DELETE),
        ("db_cluster", "db", OnDelete.SNAPSHOT),
    ]
