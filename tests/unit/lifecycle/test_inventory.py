"""The inventory: every resource type the five stacks synthesize, in both profiles, has a lister; listing reads back
what an account holds, and "gone" follows AWS (a key pending deletion, a secret deleted without recovery)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from constructs_lib.model.kinds import KINDS
from scripts.emulator import registry
from scripts.lifecycle import inventory
from scripts.lifecycle.inventory import LISTED_AS, LISTED_BY_TYPE, LISTERS, NOT_CREATED, TYPE_KINDS, Inventory

REGION = "eu-west-2"
#: Variables that would leak the developer's shell into a cdktf synth.
DEPLOYMENT_ENV = ("ENVIRONMENT_SUFFIX", "DEPLOY_PROFILE", "AWS_REGION", "TF_STATE_BUCKET", "AWS_ENDPOINT_URL")


@pytest.fixture(scope="module")
def cdktf_types(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, set[str]]]:
    """Both cdktf stacks synthesized in each profile (the provider bindings are imported once): types per stack."""
    import cdktf

    tf_app = importlib.import_module("tf_app")
    found = {}
    with pytest.MonkeyPatch.context() as patch:
        for name in DEPLOYMENT_ENV:
            patch.delenv(name, raising=False)
        for profile in ("dev", "prod"):
            outdir = tmp_path_factory.mktemp(f"cdktf-{profile}")
            app = cdktf.App(outdir=str(outdir), context={"profile": profile, "environmentSuffix": f"t-{profile}"})
            tf_app.build_app(app).synth()
            found[profile] = inventory.synthesized_types(outdir)
    return found


def test_every_type_the_five_stacks_synthesize_in_both_profiles_has_a_lister(
    dev_app: Any, prod_app: Any, cdktf_types: dict[str, dict[str, set[str]]]
) -> None:
    per_stack = {
        **{f"dev {k}": v for k, v in inventory.synthesized_types(Path(dev_app.app.outdir)).items()},
        **{f"prod {k}": v for k, v in inventory.synthesized_types(Path(prod_app.app.outdir)).items()},
        **{f"{p} {k}": v for p, stacks in cdktf_types.items() for k, v in stacks.items()},
    }
    assert sorted(per_stack) == sorted(
        f"{profile} {stack}"
        for profile in ("dev", "prod")
        for stack in ("IotPlatform", "HealthcarePipeline", "StreamProcessor", "streamflix", "pci-platform")
    )
    missing = {stack: inventory.missing_types(types) for stack, types in per_stack.items()}
    assert {stack: gaps for stack, gaps in missing.items() if gaps} == {}
    for stack, types in per_stack.items():
        kinds = inventory.kinds_for(types)
        assert kinds <= set(LISTERS), stack
        assert {"ec2:vpc", "kms:key", "iam:role"} <= kinds, stack


def test_the_type_table_names_only_listed_kinds_and_never_a_type_twice() -> None:
    assert {kind for kind in TYPE_KINDS.values() if kind not in LISTERS} == set()
    assert set(TYPE_KINDS) & set(NOT_CREATED) == set()


def test_the_listing_is_derived_from_the_models_kinds_with_each_exception_a_type_the_model_classifies() -> None:
    assert len(LISTED_AS) > 0 and set(LISTED_AS) <= set(KINDS.values())
    assert len(LISTED_BY_TYPE) > 0 and set(LISTED_BY_TYPE) <= set(KINDS)
    assert all(LISTED_AS.get(KINDS[resource_type]) != kind for resource_type, kind in LISTED_BY_TYPE.items())
    assert TYPE_KINDS["aws_s3_bucket_policy"] == TYPE_KINDS["AWS::S3::BucketPolicy"] == "s3:bucket"


def test_a_type_without_a_lister_is_named_and_refused() -> None:
    assert inventory.missing_types(["AWS::EC2::VPC", "AWS::Glue::Job", "aws_glue_job", "AWS::CDK::Metadata"]) == [
        "AWS::Glue::Job",
        "aws_glue_job",
    ]
    with pytest.raises(KeyError, match="AWS::Glue::Job"):
        inventory.kinds_for(["AWS::Glue::Job"])


def test_bad_regions_or_kinds_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="regions"):
        Inventory([])
    with pytest.raises(ValueError, match="kinds: ec2:volume not in"):
        Inventory([REGION], kinds=["ec2:volume"])


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inventory]:
    """A fresh in-process account with the emulator's additions (Network Firewall listings among them)."""
    registry.register()
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield Inventory([REGION, "us-east-1"])


def test_every_lister_answers_and_a_fresh_account_holds_only_its_defaults(account: Inventory) -> None:
    baseline = account.snapshot()
    assert set(baseline) == set(LISTERS)
    assert {kind for kind, ids in baseline.items() if ids} <= {
        "ec2:vpc",
        "ec2:subnet",
        "ec2:security-group",
        "ec2:security-group-rule",
        "ec2:route-table",
        "ec2:internet-gateway",
        "ec2:network-interface",
        "elasticache:subnet-group",
    }
    assert account.diff(baseline) == {}


def test_the_diff_names_what_is_new_by_kind_and_region(account: Inventory) -> None:
    baseline = account.snapshot()
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    boto3.client("iam", region_name=REGION).create_role(RoleName="left-role", AssumeRolePolicyDocument="{}")
    boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="left-queue")

    new = account.diff(baseline)

    assert new["ec2:vpc"] == [f"{REGION}/{vpc}"]
    assert new["iam:role"] == ["global/left-role"]
    assert [queue.rsplit("/", 1)[-1] for queue in new["sqs:queue"]] == ["left-queue"]
    assert new["sqs:queue"][0].startswith("us-east-1/")
    # A VPC comes with its main route table and default security group (and its rules): listed as new too.
    assert set(new) == {
        "ec2:vpc",
        "ec2:route-table",
        "ec2:security-group",
        "ec2:security-group-rule",
        "iam:role",
        "sqs:queue",
    }
    assert inventory.count(account.diff(baseline, kinds=["ec2:vpc", "iam:role", "sqs:queue"])) == 3
    assert account.diff(baseline, kinds=["kms:key"]) == {}


def test_a_key_pending_deletion_and_a_secret_deleted_without_recovery_are_gone(account: Inventory) -> None:
    baseline = account.snapshot()
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/left", TargetKeyId=key)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secret = secrets.create_secret(Name="left-secret", SecretString="x")["ARN"]
    assert account.diff(baseline)["kms:key"] == [f"{REGION}/{key}"]
    assert account.diff(baseline)["secretsmanager:secret"] == [f"{REGION}/{secret}"]

    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    kms.delete_alias(AliasName="alias/left")
    secrets.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)

    assert account.diff(baseline) == {}


def test_a_secret_scheduled_for_deletion_with_a_recovery_window_is_left(account: Inventory) -> None:
    """Only a delete without recovery makes a secret gone; one still recoverable is listed (dev uses window 0)."""
    baseline = account.snapshot()
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secret = secrets.create_secret(Name="kept-secret", SecretString="x")["ARN"]
    secrets.delete_secret(SecretId=secret, RecoveryWindowInDays=7)

    assert account.diff(baseline) == {"secretsmanager:secret": [f"{REGION}/{secret}"]}


def test_the_default_parameter_groups_rds_makes_itself_are_not_listed_a_stacks_own_are(account: Inventory) -> None:
    """RDS creates ``default.<family>`` on a family's first use and refuses to delete it: never a stack's leftover."""
    baseline = account.snapshot()
    rds = boto3.client("rds", region_name="us-east-1")
    for name in ("default.aurora-postgresql17", "stack-cluster-params"):
        rds.create_db_cluster_parameter_group(
            DBClusterParameterGroupName=name, DBParameterGroupFamily="aurora-postgresql17", Description="x"
        )
    for name in ("default.postgres17", "stack-params"):
        rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily="postgres17", Description="x")

    assert account.diff(baseline) == {
        "rds:cluster-parameter-group": ["us-east-1/stack-cluster-params"],
        "rds:parameter-group": ["us-east-1/stack-params"],
    }


def test_shown_lists_a_few_ids_per_kind() -> None:
    found = {"ec2:vpc": [f"r/vpc-{n}" for n in range(8)], "kms:key": ["r/k"]}
    assert inventory.shown(found, limit=2) == "ec2:vpc: r/vpc-0, r/vpc-1 (+6 more); kms:key: r/k"
    assert inventory.shown({}) == "nothing"
    assert inventory.count(found) == 9
