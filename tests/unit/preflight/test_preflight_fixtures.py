"""Every rule against its fixtures: the seed's mistake is flagged, the fixed twin passes, the not-applicable case is
left alone. Fixtures live in ``fixtures/<rule-id>/`` as ``bad*``, ``fixed*``, ``warning*`` and ``not-applicable*``
files (``.template.json`` = CloudFormation, ``.cdk.tf.json`` = Terraform JSON)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from constructs_lib.model import load_stacks
from constructs_lib.preflight import PACK, Finding, run_rules

E, W = "error", "warning"

#: (rule, fixture) -> the findings expected, as (severity, words in the message). Empty: must pass.
EXPECTED: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("engine-version-offered", "bad.template.json"): [(E, "postgres 15.3 is deprecated")],
    ("engine-version-offered", "bad.cdk.tf.json"): [(E, "15.3 is deprecated: AWS no longer creates it in eu-west-2")],
    ("engine-version-offered", "bad-cache.template.json"): [(E, "redis 3.2.6 is deprecated")],
    ("engine-version-offered", "warning-extended-support.cdk.tf.json"): [(W, "left standard support on 2026-02-28")],
    ("engine-version-offered", "warning-unverified-region.cdk.tf.json"): [(W, "not verified for me-central-1")],
    ("engine-version-offered", "fixed.template.json"): [],
    ("engine-version-offered", "fixed.cdk.tf.json"): [],
    ("engine-version-offered", "not-applicable.template.json"): [],
    ("aurora-serverless-capacity", "bad.template.json"): [(E, "minimum of 0 ACU needs aurora-postgresql 15.7")],
    ("aurora-serverless-capacity", "bad.cdk.tf.json"): [(E, "minimum of 0 ACU needs aurora-postgresql 15.7")],
    ("aurora-serverless-capacity", "bad-serverless-v1.cdk.tf.json"): [(E, "Aurora Serverless v1")],
    ("aurora-serverless-capacity", "fixed.template.json"): [],
    ("aurora-serverless-capacity", "fixed.cdk.tf.json"): [],
    ("aurora-serverless-capacity", "not-applicable.template.json"): [],
    ("kms-key-allows-logs", "bad.template.json"): [(E, "no statement allowing logs.<region>.amazonaws.com")],
    ("kms-key-allows-logs", "bad.cdk.tf.json"): [(E, "no statement allowing logs.<region>.amazonaws.com")],
    ("kms-key-allows-logs", "bad-other-region.cdk.tf.json"): [(E, "us-east-1.amazonaws.com, but the stack deploys to")],
    ("kms-key-allows-logs", "fixed.template.json"): [],
    ("kms-key-allows-logs", "fixed.cdk.tf.json"): [],
    ("kms-key-allows-logs", "not-applicable.template.json"): [],
    ("s3-bucket-name-unique", "bad.template.json"): [(E, "'secure-data-dev' has no account-unique part")],
    ("s3-bucket-name-unique", "bad.cdk.tf.json"): [(E, "'vpc-flow-logs-dev' has no account-unique part")],
    ("s3-bucket-name-unique", "warning-no-region.cdk.tf.json"): [(W, "has no region part")],
    ("s3-bucket-name-unique", "bad-synth-generated.template.json"): [
        (E, "holds a timestamp ('1764921600') that looks made when the code was synthesized")
    ],
    ("s3-bucket-name-unique", "bad-synth-generated.cdk.tf.json"): [
        (E, "holds a UUID"),
    ],
    ("s3-bucket-name-unique", "fixed.template.json"): [],
    ("s3-bucket-name-unique", "fixed.cdk.tf.json"): [],
    ("s3-bucket-name-unique", "not-applicable.template.json"): [],
    ("aurora-cluster-has-instance", "bad.template.json"): [(E, "Aurora cluster has no DB instance")],
    ("aurora-cluster-has-instance", "bad.cdk.tf.json"): [(E, "Aurora cluster has no DB instance")],
    ("aurora-cluster-has-instance", "fixed.template.json"): [],
    ("aurora-cluster-has-instance", "fixed.cdk.tf.json"): [],
    ("aurora-cluster-has-instance", "not-applicable.template.json"): [],
    ("no-hard-coded-account", "bad.template.json"): [(E, "ID 123456789012 in AssumeRolePolicyDocument")],
    ("no-hard-coded-account", "bad.cdk.tf.json"): [
        (E, "hard-coded account ID 123456789012 in policy"),
        (E, "hard-coded account ID 123456789012 in role"),
    ],
    ("no-hard-coded-account", "fixed.template.json"): [],
    ("no-hard-coded-account", "fixed.cdk.tf.json"): [],
    ("no-hard-coded-account", "warning-elb-log-delivery.template.json"): [
        (W, "names 127311923021, Elastic Load Balancing's log-delivery account for us-east-1")
    ],
    ("no-hard-coded-account", "fixed-elb-log-delivery.template.json"): [],
    ("no-hard-coded-account", "warning-pinned-cross-account.cdk.tf.json"): [
        (W, "account ID 444455556666 in arn, besides the account 111122223333 the stack is pinned to")
    ],
    ("no-hard-coded-account", "not-applicable-inline-code.template.json"): [],
    ("db-secret-not-literal", "bad.template.json"): [(E, "MasterUserPassword is built from literal text")],
    ("db-secret-not-literal", "bad.cdk.tf.json"): [(E, "master_password is a literal")],
    ("db-secret-not-literal", "fixed.template.json"): [],
    ("db-secret-not-literal", "fixed.cdk.tf.json"): [],
    ("db-secret-not-literal", "not-applicable.template.json"): [],
    ("mfa-delete-teardown", "bad.cdk.tf.json"): [(E, "MFA delete is on")],
    ("mfa-delete-teardown", "warning-no-profile.cdk.tf.json"): [(W, "MFA delete is on")],
    ("mfa-delete-teardown", "fixed.cdk.tf.json"): [],
    ("stack-has-outputs", "bad.template.json"): [(W, "the stack has no outputs")],
    ("stack-has-outputs", "bad.cdk.tf.json"): [(W, "the stack has no outputs")],
    ("stack-has-outputs", "not-applicable.nested.template.json"): [],
    ("stack-has-outputs", "helper-app/Helper.template.json"): [],
    ("stack-has-outputs", "helper-app/Main.template.json"): [],
    ("stack-has-outputs", "fixed.template.json"): [],
    ("stack-has-outputs", "fixed.cdk.tf.json"): [],
    ("data-store-has-output", "bad.template.json"): [(W, "no output names this queue")],
    ("data-store-has-output", "bad.cdk.tf.json"): [(W, "no output names this queue")],
    ("data-store-has-output", "fixed.template.json"): [],
    ("data-store-has-output", "fixed.cdk.tf.json"): [],
    ("lambda-log-retention-deprecated", "bad.template.json"): [(W, "deprecated log_retention")],
    ("lambda-log-retention-deprecated", "fixed.template.json"): [],
    ("profile-dev-destroyable", "bad.template.json"): [
        (E, "it is retained"),
        (E, "deletion protection (or prevent_destroy) refuses the delete"),
    ],
    ("profile-dev-destroyable", "bad.cdk.tf.json"): [
        (E, "Object Lock keeps objects"),
        (E, "skip_final_snapshot is false without final_snapshot_identifier"),
    ],
    ("profile-dev-destroyable", "fixed.template.json"): [],
    ("profile-dev-destroyable", "fixed.cdk.tf.json"): [],
    ("profile-dev-destroyable", "not-applicable.template.json"): [],
    ("profile-prod-keeps-data", "bad.template.json"): [
        (E, "deletes the data with no snapshot (DeletionPolicy=Delete)"),
        (E, "deletes every object"),
    ],
    ("profile-prod-keeps-data", "bad.cdk.tf.json"): [
        (E, "deletes the data with no snapshot (skip_final_snapshot=true)"),
        (E, "deletes every object (force_destroy=true)"),
    ],
    ("profile-prod-keeps-data", "fixed.template.json"): [],
    ("profile-prod-keeps-data", "fixed.cdk.tf.json"): [],
    ("tf-block-shape", "bad.cdk.tf.json"): [
        (W, "lifecycle_rule[0].expiration: a single block written as a list"),
        (E, "rule[0].enabled: no such argument"),
        (E, "rule[0].status: required, but missing or null"),
        (E, "rule[0].expiration: 2 blocks where the provider allows 1"),
        (E, "versioning_configuration.mfa_delete: True is not one of"),
        (E, "rule[0]: the block is empty"),
        (E, "ingress[0].from_port: required"),
        (E, "ingress[0].to_port: required"),
        (E, "rule_group.rules_source: the block is empty"),
    ],
    ("tf-block-shape", "fixed.cdk.tf.json"): [],
    ("data-store-not-public", "bad.template.json"): [
        (E, "publicly accessible"),
        (E, "admits 0.0.0.0/0 on port 5432"),
    ],
    ("data-store-not-public", "bad.cdk.tf.json"): [(E, "admits 0.0.0.0/0 on port 6379")],
    ("data-store-not-public", "fixed.template.json"): [],
    ("data-store-not-public", "fixed.cdk.tf.json"): [],
    ("data-store-not-public", "not-applicable.template.json"): [],
    ("redis-transit-auth", "bad.template.json"): [(E, "transit encryption is off"), (E, "no AUTH token")],
    ("redis-transit-auth", "bad.cdk.tf.json"): [(E, "transit encryption is off"), (E, "no AUTH token")],
    ("redis-transit-auth", "fixed.template.json"): [],
    ("redis-transit-auth", "fixed.cdk.tf.json"): [],
    ("redis-transit-auth", "not-applicable.template.json"): [],
    ("access-log-target-sse-s3", "bad.template.json"): [(E, "aws:kms: S3 delivers no server access logs")],
    ("access-log-target-sse-s3", "bad.cdk.tf.json"): [(E, "aws:kms: S3 delivers no server access logs")],
    ("access-log-target-sse-s3", "fixed.template.json"): [],
    ("access-log-target-sse-s3", "fixed.cdk.tf.json"): [],
    ("access-log-target-sse-s3", "not-applicable.template.json"): [],
    ("iam-managed-policy", "bad.template.json"): [(E, "service-role/AWSConfigRole is deprecated")],
    ("iam-managed-policy", "bad.cdk.tf.json"): [
        (E, "service-role/ConfigRole does not exist"),
        (W, "managed_policy_arns is deprecated and exclusive"),
    ],
    ("iam-managed-policy", "fixed.template.json"): [],
    ("iam-managed-policy", "fixed.cdk.tf.json"): [],
    ("s3-config-not-split", "bad.cdk.tf.json"): [(E, "inline lifecycle_rule and aws_s3_bucket_lifecycle")],
    ("s3-config-not-split", "warning-inline.cdk.tf.json"): [(W, "inline lifecycle_rule is deprecated")],
    ("s3-config-not-split", "fixed.cdk.tf.json"): [],
    ("tf-backend-portable", "bad.cdk.tf.json"): [(W, "local state at the absolute path")],
    ("tf-backend-portable", "bad-s3.cdk.tf.json"): [(W, "not encrypted"), (W, "has no lock")],
    ("tf-backend-portable", "fixed.cdk.tf.json"): [],
    ("tf-backend-portable", "fixed-s3.cdk.tf.json"): [],
    ("name-length", "bad.template.json"): [
        (E, "'video-metadata-session-cache-pr-1234-euw2' is 41 characters"),
        (E, "has characters S3 rejects"),
    ],
    ("name-length", "bad.cdk.tf.json"): [
        (E, "is 66 characters with a 12-digit account and the stack's region eu-west-2")
    ],
    ("name-length", "fixed.template.json"): [],
    ("name-length", "fixed.cdk.tf.json"): [],
    ("name-length", "bad-known-region.cdk.tf.json"): [
        (E, "is 82 characters with a 12-digit account and the stack's region us-east-1")
    ],
    ("name-length", "fixed-known-region.cdk.tf.json"): [],
    ("name-length", "not-applicable-unknown-region.cdk.tf.json"): [],
    ("log-retention-valid", "bad.template.json"): [(E, "retention of 10 days is not a value CloudWatch accepts")],
    ("log-retention-valid", "bad.cdk.tf.json"): [(E, "retention of 10 days is not a value CloudWatch accepts")],
    ("log-retention-valid", "fixed.template.json"): [],
    ("log-retention-valid", "fixed.cdk.tf.json"): [],
}

FindingsOf = Callable[[str, str], list[Finding]]


@pytest.mark.parametrize(("rule_id", "fixture"), list(EXPECTED), ids=[f"{r}/{f}" for r, f in EXPECTED])
def test_fixture_yields_exactly_the_expected_findings(fixture_findings: FindingsOf, rule_id: str, fixture: str) -> None:
    findings = fixture_findings(rule_id, fixture)
    expected = EXPECTED[(rule_id, fixture)]
    assert len(findings) == len(expected), [f.message for f in findings]
    for severity, words in expected:
        assert any(f.severity == severity and words in f.message for f in findings), (words, findings)
    assert all(f.rule_id == rule_id and f.fix for f in findings)


def test_every_rule_has_a_bad_fixture_and_a_fixed_twin(fixtures_dir: Path) -> None:
    for rule in PACK:
        names = [p.name for p in (fixtures_dir / rule.rule_id).glob("*.json")]
        assert any(n.startswith("bad") for n in names), rule.rule_id
        assert any(n.startswith("fixed") for n in names), rule.rule_id


def test_rules_for_both_formats_have_fixtures_in_both(fixtures_dir: Path) -> None:
    for rule in PACK:
        names = [p.name for p in (fixtures_dir / rule.rule_id).glob("bad*.json")]
        if len(rule.formats) == 2:
            assert any(n.endswith(".template.json") for n in names), rule.rule_id
            assert any(n.endswith(".cdk.tf.json") for n in names), rule.rule_id


def test_every_fixture_file_is_checked_here(fixtures_dir: Path) -> None:
    on_disk = {
        (rule.rule_id, p.relative_to(fixtures_dir / rule.rule_id).as_posix())
        for rule in PACK
        for p in (fixtures_dir / rule.rule_id).rglob("*.json")
        if p.name != "manifest.json"
    }
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize(
    ("example", "rule_ids"),
    [
        ("seed-001-healthcare.template.json", {"engine-version-offered", "kms-key-allows-logs", "stack-has-outputs"}),
        (
            "seed-003-streamflix.cdk.tf.json",
            {"aurora-cluster-has-instance", "db-secret-not-literal", "stack-has-outputs", "tf-backend-portable"},
        ),
    ],
)
def test_a_seed_example_is_caught_by_exactly_the_rules_for_its_mistakes(
    fixtures_dir: Path, example: str, rule_ids: set[str]
) -> None:
    (stack,) = load_stacks([fixtures_dir / "examples" / example])
    assert {f.rule_id for f in run_rules([stack], PACK)} == rule_ids
