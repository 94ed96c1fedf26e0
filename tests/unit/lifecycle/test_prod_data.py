"""scripts/lifecycle/prod_data.py without a deploy: which data stores a stack has and what deleting it should
do to each (from a template and from Terraform state), and the write / read back / clean up of each kind against
the in-process emulator, including a read-back that must fail when the data is not what was written."""

from __future__ import annotations

import pytest

from scripts.deployer.protocol import Stack
from scripts.lifecycle import StackFigures, prod_data
from scripts.lifecycle.prod_data import DELETE, RETAIN, SNAPSHOT, DataStore, StackRun

TOKEN = "prod-keeps-data test 1234"


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

    stores = prod_data.cloudformation_stores(template, physical, "eu-west-1")

    assert stores == [
        DataStore("key", "k-1", "Key", RETAIN, "eu-west-1"),
        DataStore("db_instance", "db-1", "Database", SNAPSHOT, "eu-west-1"),
        DataStore("queue", "https://q", "Queue", DELETE, "eu-west-1"),
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

    stores = prod_data.terraform_stores(resources, "us-east-1")

    assert [(store.kind, store.name, store.on_delete) for store in stores] == [
        ("bucket", "data-bucket", RETAIN),
        ("log_group", "/kept", RETAIN),
        ("log_group", "/gone", DELETE),
        ("db_cluster", "db", SNAPSHOT),
    ]


def kept_stores(aws) -> list[DataStore]:
    """One store of every retained kind, created directly in the emulated account."""
    region = aws.region
    key_id = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    aws.client("kms").create_alias(AliasName="alias/probe", TargetKeyId=key_id)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="kept-bucket", CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket="kept-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket="kept-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id}}]
        },
    )
    aws.client("kinesis").create_stream(StreamName="kept-stream", ShardCount=1)
    queue_url = aws.client("sqs").create_queue(QueueName="kept-queue")["QueueUrl"]
    secret_arn = aws.client("secretsmanager").create_secret(Name="kept-secret", SecretString="first")["ARN"]
    aws.client("logs").create_log_group(logGroupName="/kept/logs")
    return [
        DataStore("key", key_id, "Key", RETAIN, region),
        DataStore("bucket", "kept-bucket", "Bucket", RETAIN, region),
        DataStore("stream", "kept-stream", "Stream", RETAIN, region),
        DataStore("queue", queue_url, "Queue", RETAIN, region),
        DataStore("secret", secret_arn, "Secret", RETAIN, region),
        DataStore("log_group", "/kept/logs", "Logs", RETAIN, region),
    ]


def test_each_kept_kind_is_written_read_back_and_cleaned_up_until_none_remains(aws) -> None:
    stores = kept_stores(aws)
    probes = {store: prod_data.write_probe(store, TOKEN) for store in stores}

    kept = [prod_data.read_back(store, TOKEN, probes[store]) for store in stores]
    for store in stores:
        prod_data.clean_up(store)

    assert kept[0].endswith("(Enabled, decrypts)")
    assert kept[1] == "bucket kept-bucket (object read back, aws:kms)"
    assert [text.split(" ")[0] for text in kept] == ["key", "bucket", "stream", "queue", "secret", "log"]
    assert [prod_data.still_there(store) for store in stores] == [False] * len(stores)
    assert aws.client("kms").list_aliases(KeyId=stores[0].name)["Aliases"] == []


def test_a_read_back_fails_when_the_kept_data_is_not_what_was_written(aws) -> None:
    bucket = kept_stores(aws)[1]
    probe = prod_data.write_probe(bucket, TOKEN)
    aws.client("s3").put_object(Bucket=bucket.name, Key=prod_data.PROBE_KEY, Body=b"something else")

    with pytest.raises(AssertionError, match="read back 'something else', wrote"):
        prod_data.read_back(bucket, TOKEN, probe)


def test_a_database_final_snapshot_is_found_after_the_database_is_gone_and_cleaned_up(aws) -> None:
    rds = aws.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="kept-db", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="password-1234", DeletionProtection=True, BackupRetentionPeriod=30,
    )  # fmt: skip
    store = DataStore("db_instance", "kept-db", "Database", SNAPSHOT, aws.region)

    assert prod_data.write_probe(store, TOKEN) == {"deletion_protection": True, "backup_days": 30}
    rds.modify_db_instance(DBInstanceIdentifier="kept-db", DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier="kept-db", FinalDBSnapshotIdentifier="kept-db-final")

    assert prod_data.read_back(store, TOKEN, None) == "db_instance kept-db final snapshot kept-db-final"
    prod_data.clean_up(store)
    assert not prod_data.still_there(store)


def test_a_missing_final_snapshot_is_reported_as_not_kept(aws) -> None:
    store = DataStore("db_cluster", "never-snapshotted", "Cluster", SNAPSHOT, aws.region)

    with pytest.raises(AssertionError, match="db_cluster never-snapshotted: no final snapshot"):
        prod_data.read_back(store, TOKEN, None)


def run_for(name: str) -> StackRun:
    return StackRun(Stack(name, name, "us-east-1"), "cdk")


def test_a_refusal_must_happen_and_carry_the_expected_message() -> None:
    run = run_for("S")

    with prod_data.refused(run, "destroy", "TerminationProtection"):
        raise RuntimeError("x\nStack [S] cannot be deleted while TerminationProtection is enabled\ny")
    with prod_data.refused(run, "delete db", "deletion protection"):
        raise RuntimeError("DBInstanceNotFound")
    with prod_data.refused(run, "delete cluster", "deletion protection"):
        pass

    assert run.steps == ["destroy: refused (Stack [S] cannot be deleted while TerminationProtection is enabled)"]
    assert run.problems == [
        "delete db: failed, but not with 'deletion protection': DBInstanceNotFound",
        "delete cluster: was NOT refused",
    ]


def test_the_outcome_counts_what_was_kept_into_the_figures_and_fails_on_any_problem() -> None:
    figures = {"B": StackFigures("B", "cdk", deploy_seconds=9.0)}
    passed, failed = run_for("A"), run_for("B")
    passed.kept = ["stream s (record read back)", "key k (Enabled, decrypts)"]
    passed.steps = ["destroy: refused (protected)"]
    failed.kept = ["key k (Enabled, decrypts)"]
    failed.problems = ["not kept: bucket b"]

    ok = prod_data.outcome_of(passed, 1.0, figures)
    not_ok = prod_data.outcome_of(failed, 1.0, figures)

    assert ok.ok and ok.detail.startswith("destroy: refused (protected) | ") and "kept 2:" in ok.detail
    assert not not_ok.ok and not_ok.detail.startswith("not kept: bucket b | ")
    assert figures["A"].kept_by_prod_destroy == 2 and figures["A"].deploy_seconds == 0.0
    assert figures["B"].kept_by_prod_destroy == 1 and figures["B"].deploy_seconds == 9.0


class FakeTool:
    """A tool that deploys nothing: its stacks, and whether (and how often) it was synthesized."""

    name = "cdk"
    concurrent_stacks = False
    profile = "prod"

    def __init__(self) -> None:
        self.synthesized_times = 0
        self.prepared: list[str] = []

    def synthesized(self) -> bool:
        return True

    def synthesize(self) -> None:
        self.synthesized_times += 1

    def stacks(self) -> list[Stack]:
        return [Stack(name, f"{name}-x", "us-east-1") for name in ("Dev", "Prod", "Broken")]

    def prepare(self, stacks: list[Stack]) -> None:
        self.prepared = [stack.construct_id for stack in stacks]


def test_every_stack_gets_an_outcome_a_non_prod_stack_and_a_failed_deploy_fail_the_others_go_on(monkeypatch) -> None:
    tool = FakeTool()
    monkeypatch.setattr(prod_data, "require_emulator", lambda: "http://emulator")
    monkeypatch.setattr(
        prod_data, "synthesized_profiles", lambda _tool: {"Dev-x": "dev", "Prod-x": "prod", "Broken-x": "prod"}
    )

    def check_stack(_tool, stack: Stack) -> StackRun:
        if stack.construct_id == "Broken":
            raise prod_data.DeployError("Broken: apply exited 1")
        run = run_for(stack.construct_id)
        run.kept = ["key k (Enabled, decrypts)"]
        return run

    monkeypatch.setattr(prod_data, "check_stack", check_stack)
    figures: dict[str, StackFigures] = {}

    outcomes = {outcome.stack: outcome for outcome in prod_data.check_prod_keeps_data([tool], figures)}

    assert tool.synthesized_times == 1  # the folder held a dev synthesis: synthesized again for prod
    assert tool.prepared == ["Dev", "Prod", "Broken"]
    assert not outcomes["Dev"].ok and outcomes["Dev"].detail == "synthesized for profile 'dev', not prod"
    assert outcomes["Prod"].ok and figures["Prod"].kept_by_prod_destroy == 1
    assert not outcomes["Broken"].ok and outcomes["Broken"].detail == "DeployError: Broken: apply exited 1"
    assert "Dev" not in figures and "Broken" not in figures
