"""SecureBucket and AccessLogBucket: encryption, privacy, TLS, logging, lifecycle and teardown, per profile."""

from __future__ import annotations

from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, PCIDSS321Checks
from constructs import IConstruct

from constructs_lib.cdk.compliance import acknowledgements
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.secure_bucket import AccessLogBucket, SecureBucket
from constructs_lib.policy import ConfigurationError, retention


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    resources: dict[str, Any]

    def logical_id(self, construct: IConstruct) -> str:
        return self.stack.resolve(construct.node.default_child.logical_id)

    def resource(self, construct: IConstruct) -> dict[str, Any]:
        return self.resources[self.logical_id(construct)]


def app(profile: str) -> cdk.App:
    return cdk.App(context={"profile": profile, "environmentSuffix": profile})


def synth(stack: cdk.Stack) -> Built:
    template = Template.from_stack(stack)
    return Built(stack, template, template.to_json()["Resources"])


def build_default(profile: str) -> tuple[Built, SecureBucket]:
    stack = cdk.Stack(app(profile), "Bucket")
    bucket = SecureBucket(stack, "Telemetry", name_prefix="iot-telemetry")
    return synth(stack), bucket


@pytest.fixture(scope="module")
def dev() -> tuple[Built, SecureBucket]:
    return build_default("dev")


@pytest.fixture(scope="module")
def prod() -> tuple[Built, SecureBucket]:
    return build_default("prod")


@pytest.fixture(params=["dev", "prod"])
def each(request: pytest.FixtureRequest) -> tuple[Built, SecureBucket]:
    return request.getfixturevalue(request.param)


class Overrides(NamedTuple):
    built: Built
    key: EncryptionKey
    shared_logs: AccessLogBucket
    unversioned: SecureBucket
    kept: SecureBucket
    to_imported: SecureBucket


@pytest.fixture(scope="module")
def overrides() -> Overrides:
    """One dev stack: a shared log bucket and key, and buckets that override hardened defaults."""
    stack = cdk.Stack(app("dev"), "Overrides")
    key = EncryptionKey(stack, "SharedKey")
    partial = s3.BlockPublicAccess(
        block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=False
    )
    shared_logs = AccessLogBucket(stack, "SharedLogs", name_prefix="shared-logs", block_public_access=partial)
    unversioned = SecureBucket(
        stack,
        "Unversioned",
        encryption_key=key,
        access_log_bucket=shared_logs,
        versioned=False,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
    )
    kept = SecureBucket(
        stack,
        "Kept",
        access_log_bucket=shared_logs,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        encryption=s3.BucketEncryption.S3_MANAGED,
    )
    imported_logs = s3.Bucket.from_bucket_name(stack, "ExternalLogs", "external-access-logs")
    to_imported = SecureBucket(stack, "ToImportedLogs", encryption_key=key, access_log_bucket=imported_logs)
    return Overrides(synth(stack), key, shared_logs, unversioned, kept, to_imported)


def nag_findings(stack: cdk.Stack) -> set[tuple[str, str, str]]:
    """(rule, severity, construct path) for every finding of the three packs the stacks run."""
    return {
        (violation.rule_name, violation.severity, resource.construct_path)
        for pack in (AwsSolutionsChecks(), HIPAASecurityChecks(), PCIDSS321Checks())
        for violation in pack.validate_scope(stack).violations
        for resource in violation.violating_resources
    }


def public_access_blocked() -> dict[str, bool]:
    return {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}


def policy_statements(built: Built, bucket: s3.Bucket) -> list[dict[str, Any]]:
    ref = {"Ref": built.logical_id(bucket)}
    policies = built.template.find_resources("AWS::S3::BucketPolicy", {"Properties": {"Bucket": ref}})
    assert len(policies) == 1
    return next(iter(policies.values()))["Properties"]["PolicyDocument"]["Statement"]


# --- encryption --------------------------------------------------------------------------------------------------


def test_bucket_is_encrypted_with_its_own_customer_managed_key_and_bucket_key(each) -> None:
    built, bucket = each
    key_id = built.stack.resolve(bucket.encryption_key.node.default_child.logical_id)
    assert built.resources[key_id]["Type"] == "AWS::KMS::Key"
    assert built.resource(bucket)["Properties"]["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {
                "BucketKeyEnabled": True,
                "ServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
                },
            }
        ]
    }


def test_bucket_given_a_key_uses_it_and_creates_none(overrides: Overrides) -> None:
    encryption = overrides.built.resource(overrides.unversioned)["Properties"]["BucketEncryption"]
    default = encryption["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert default["KMSMasterKeyID"] == {"Fn::GetAtt": [overrides.built.logical_id(overrides.key), "Arn"]}
    assert overrides.built.stack.node.try_find_child("UnversionedKey") is None


def test_access_log_bucket_uses_sse_s3_because_s3_drops_logs_for_sse_kms(each) -> None:
    built, bucket = each
    assert built.resource(bucket.access_log_bucket)["Properties"]["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }


# --- versioning, privacy, TLS --------------------------------------------------------------------------------------


def test_both_buckets_are_versioned_private_and_have_acls_disabled(each) -> None:
    built, bucket = each
    for target in (bucket, bucket.access_log_bucket):
        properties = built.resource(target)["Properties"]
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert properties["PublicAccessBlockConfiguration"] == public_access_blocked()
        assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert "AccessControl" not in properties


def test_no_bucket_has_object_lock_so_teardown_always_works(each) -> None:
    built, bucket = each
    for target in (bucket, bucket.access_log_bucket):
        properties = built.resource(target)["Properties"]
        assert "ObjectLockEnabled" not in properties
        assert "ObjectLockConfiguration" not in properties


def test_both_bucket_policies_deny_requests_without_tls_or_below_tls_1_2(each) -> None:
    built, bucket = each
    for target in (bucket, bucket.access_log_bucket):
        statements = policy_statements(built, target)
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in [s["Condition"] for s in denies]
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in [s["Condition"] for s in denies]
        assert all(s["Principal"] == "*" and s["Action"] == "s3:*" for s in denies)


# --- access logging --------------------------------------------------------------------------------------------------


def test_bucket_logs_to_its_access_log_bucket_under_its_own_prefix(each) -> None:
    built, bucket = each
    assert built.resource(bucket)["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": built.logical_id(bucket.access_log_bucket)},
        "LogFilePrefix": "iot-telemetry/",
    }


def test_access_log_bucket_lets_s3_deliver_only_this_buckets_logs_from_this_account(each) -> None:
    built, bucket = each
    log_id = built.logical_id(bucket.access_log_bucket)
    [allow] = [s for s in policy_statements(built, bucket.access_log_bucket) if "logging" in str(s["Principal"])]
    assert allow == {
        "Sid": "AllowAccessLogsForIotTelemetry",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [log_id, "Arn"]}, "/iot-telemetry/*"]]},
        "Condition": {
            "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [built.logical_id(bucket), "Arn"]}},
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        },
    }


def test_access_log_bucket_does_not_log_itself(each) -> None:
    built, bucket = each
    assert "LoggingConfiguration" not in built.resource(bucket.access_log_bucket)["Properties"]


def test_buckets_sharing_a_log_bucket_each_get_a_prefix_and_a_statement(overrides: Overrides) -> None:
    statements = policy_statements(overrides.built, overrides.shared_logs)
    sids = {s["Sid"] for s in statements if s["Principal"] == {"Service": "logging.s3.amazonaws.com"}}
    assert sids == {"AllowAccessLogsForUnversioned", "AllowAccessLogsForKept"}
    for bucket, prefix in ((overrides.unversioned, "unversioned/"), (overrides.kept, "kept/")):
        logging = overrides.built.resource(bucket)["Properties"]["LoggingConfiguration"]
        assert logging == {
            "DestinationBucketName": {"Ref": overrides.built.logical_id(overrides.shared_logs)},
            "LogFilePrefix": prefix,
        }


def test_imported_log_bucket_is_used_and_its_missing_policy_is_warned(overrides: Overrides) -> None:
    logging = overrides.built.resource(overrides.to_imported)["Properties"]["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == "external-access-logs"
    Annotations.from_stack(overrides.built.stack).has_warning(
        "/Overrides/ToImportedLogs", Match.string_like_regexp("access-log bucket is imported")
    )


# --- lifecycle and naming ----------------------------------------------------------------------------------------


def test_both_buckets_move_to_ia_expire_old_versions_and_abort_stalled_uploads(each) -> None:
    built, bucket = each
    for target, expiration in ((bucket, {}), (bucket.access_log_bucket, {"ExpirationInDays": 365})):
        assert built.resource(target)["Properties"]["LifecycleConfiguration"] == {
            "Rules": [
                {
                    "Id": "hardened-retention",
                    "Status": "Enabled",
                    "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}],
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                    **expiration,
                }
            ]
        }


def test_access_logs_expire_after_the_audit_retention_and_data_never_does(each) -> None:
    built, bucket = each
    (rule,) = built.resource(bucket.access_log_bucket)["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == retention.ACCESS_LOG_EXPIRATION_DAYS == retention.LOG_RETENTION_DAYS["audit"]
    (rule,) = built.resource(bucket)["Properties"]["LifecycleConfiguration"]["Rules"]
    assert "ExpirationInDays" not in rule


@pytest.mark.parametrize("days", [0, 30])
def test_expiration_must_come_after_the_infrequent_access_transition(days: int) -> None:
    with pytest.raises(ConfigurationError) as error:
        AccessLogBucket(fresh_stack(), "Logs", expiration_days=days)
    assert error.value.field == "expiration_days"


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_bucket_names_carry_suffix_account_and_region(profile: str, request: pytest.FixtureRequest) -> None:
    built, bucket = request.getfixturevalue(profile)
    for target, base in ((bucket, "iot-telemetry"), (bucket.access_log_bucket, "iot-telemetry-logs")):
        assert built.resource(target)["Properties"]["BucketName"] == {
            "Fn::Join": ["", [f"{base}-{profile}-", {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}]]
        }


def test_default_name_prefix_is_the_construct_id_in_kebab_case(overrides: Overrides) -> None:
    name = overrides.built.resource(overrides.to_imported)["Properties"]["BucketName"]
    assert name["Fn::Join"][1][0] == "to-imported-logs-dev-"


# --- removal per profile -----------------------------------------------------------------------------------------


def auto_deleted_buckets(built: Built) -> list[Any]:
    resources = built.template.find_resources("Custom::S3AutoDeleteObjects")
    return [resource["Properties"]["BucketName"] for resource in resources.values()]


def test_dev_buckets_are_deleted_and_emptied_first(dev) -> None:
    built, bucket = dev
    for target in (bucket, bucket.access_log_bucket):
        assert built.resource(target)["DeletionPolicy"] == "Delete"
    assert sorted(auto_deleted_buckets(built), key=str) == sorted(
        [{"Ref": built.logical_id(bucket)}, {"Ref": built.logical_id(bucket.access_log_bucket)}], key=str
    )


def test_prod_buckets_are_retained_and_never_emptied(prod) -> None:
    built, bucket = prod
    for target in (bucket, bucket.access_log_bucket):
        assert built.resource(target)["DeletionPolicy"] == "Retain"
        assert built.resource(target)["UpdateReplacePolicy"] == "Retain"
    assert auto_deleted_buckets(built) == []


# --- overrides -----------------------------------------------------------------------------------------------------


def test_default_buckets_report_no_override(each) -> None:
    built, _ = each
    Annotations.from_stack(built.stack).has_no_warning("*", Match.string_like_regexp("overrides the hardened default"))


def test_turning_versioning_off_is_warned_with_default_and_new_value(overrides: Overrides) -> None:
    assert "VersioningConfiguration" not in overrides.built.resource(overrides.unversioned)["Properties"]
    Annotations.from_stack(overrides.built.stack).has_warning(
        "/Overrides/Unversioned",
        Match.string_like_regexp("'versioned' overrides the hardened default True with False"),
    )


def test_passing_block_all_again_is_not_reported_as_an_override(overrides: Overrides) -> None:
    Annotations.from_stack(overrides.built.stack).has_no_warning(
        "/Overrides/Unversioned", Match.string_like_regexp("block_public_access")
    )


def test_weakened_public_access_block_is_warned(overrides: Overrides) -> None:
    properties = overrides.built.resource(overrides.shared_logs)["Properties"]
    assert properties["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is False
    Annotations.from_stack(overrides.built.stack).has_warning(
        "/Overrides/SharedLogs", Match.string_like_regexp("'block_public_access' overrides the hardened default")
    )


def test_dev_bucket_retained_by_override_is_not_emptied_and_is_warned(overrides: Overrides) -> None:
    built = overrides.built
    assert built.resource(overrides.kept)["DeletionPolicy"] == "Retain"
    assert {"Ref": built.logical_id(overrides.kept)} not in auto_deleted_buckets(built)
    Annotations.from_stack(built.stack).has_warning(
        "/Overrides/Kept", Match.string_like_regexp("'removal_policy' overrides the hardened default")
    )


def test_sse_s3_override_is_warned_and_creates_no_key(overrides: Overrides) -> None:
    encryption = overrides.built.resource(overrides.kept)["Properties"]["BucketEncryption"]
    assert encryption["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert overrides.built.stack.node.try_find_child("KeptKey") is None
    Annotations.from_stack(overrides.built.stack).has_warning(
        "/Overrides/Kept", Match.string_like_regexp("'encryption' overrides the hardened default")
    )


# --- bad input fails at synth ----------------------------------------------------------------------------------------


def fresh_stack(context: dict[str, str] | None = None) -> cdk.Stack:
    return cdk.Stack(cdk.App(context=context or {"profile": "dev", "environmentSuffix": "dev"}), "Bad")


def test_bad_suffix_fails_naming_environment_suffix() -> None:
    with pytest.raises(ConfigurationError, match="environment_suffix") as error:
        SecureBucket(fresh_stack({"profile": "dev", "environmentSuffix": "Bad_Suffix"}), "Data")
    assert error.value.field == "environment_suffix"


def test_name_too_long_for_s3_fails_with_the_name_it_would_have_made() -> None:
    with pytest.raises(ConfigurationError, match=r"s3_bucket name 'a{40}-dev-<account>-<region>'") as error:
        SecureBucket(fresh_stack(), "Data", name_prefix="a" * 40)
    assert error.value.field == "environment_suffix"


def test_name_prefix_s3_cannot_use_fails() -> None:
    with pytest.raises(ConfigurationError) as error:
        SecureBucket(fresh_stack(), "Data", name_prefix="Raw_Data")
    assert error.value.field == "name_prefix"


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("object_lock_enabled", True),
        ("object_lock_default_retention", s3.ObjectLockRetention.governance(cdk.Duration.days(1))),
    ],
)
@pytest.mark.parametrize("construct", [SecureBucket, AccessLogBucket])
def test_object_lock_is_refused_because_teardown_must_work(construct: type, prop: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=r"teardown|torn down") as error:
        construct(fresh_stack(), "Data", **{prop: value})
    assert error.value.field == prop


def test_secure_bucket_refuses_the_l2_access_log_props() -> None:
    stack = fresh_stack()
    with pytest.raises(ConfigurationError, match="pass access_log_bucket") as error:
        SecureBucket(stack, "Data", server_access_logs_bucket=AccessLogBucket(stack, "Logs"))
    assert error.value.field == "server_access_logs_bucket"


def test_access_log_bucket_refuses_to_log_itself() -> None:
    with pytest.raises(ConfigurationError, match="does not log itself") as error:
        AccessLogBucket(fresh_stack(), "Logs", server_access_logs_prefix="self/")
    assert error.value.field == "server_access_logs_prefix"


@pytest.mark.parametrize(
    "given", [{"encryption": s3.BucketEncryption.KMS}, {"encryption": s3.BucketEncryption.KMS_MANAGED}]
)
def test_access_log_bucket_refuses_kms_because_logs_would_be_dropped(given: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="SSE-S3 only") as error:
        AccessLogBucket(fresh_stack(), "Logs", **given)
    assert error.value.field == "encryption"


def test_access_log_bucket_refuses_a_key() -> None:
    stack = fresh_stack()
    with pytest.raises(ConfigurationError, match="SSE-S3 only"):
        AccessLogBucket(stack, "Logs", encryption_key=EncryptionKey(stack, "Key"))


def test_secure_bucket_refuses_a_kms_encrypted_log_target() -> None:
    stack = fresh_stack()
    with pytest.raises(ConfigurationError, match="SSE-S3 bucket") as error:
        SecureBucket(stack, "Data", access_log_bucket=SecureBucket(stack, "NotALogBucket"))
    assert error.value.field == "access_log_bucket"


# --- cdk-nag -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_nag_finds_nothing_left_after_the_policys_accepted_findings(
    profile: str, request: pytest.FixtureRequest
) -> None:
    built, _ = request.getfixturevalue(profile)
    assert nag_findings(built.stack) == set()
    data, logs = "Bucket/Telemetry", "Bucket/TelemetryAccessLogs"
    assert acknowledgements(built.stack) == {
        ("HIPAA.Security-S3BucketReplicationEnabled", data),
        ("HIPAA.Security-S3BucketReplicationEnabled", logs),
        ("PCI.DSS.321-S3BucketReplicationEnabled", data),
        ("PCI.DSS.321-S3BucketReplicationEnabled", logs),
        ("HIPAA.Security-S3DefaultEncryptionKMS", logs),
        ("PCI.DSS.321-S3DefaultEncryptionKMS", logs),
    }
