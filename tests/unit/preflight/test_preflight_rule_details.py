"""Rule behaviour beyond the fixture files: each edge case a small in-memory stack, named for what it proves."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from constructs_lib.model import Stack
from constructs_lib.policy import engine_catalog
from constructs_lib.policy.engines import ENGINES
from constructs_lib.preflight import Finding
from constructs_lib.preflight.rules import engines as engine_rules
from constructs_lib.preflight.rules.terraform import shape_problems
from constructs_lib.preflight.rules.terraform_schema import Block

Build = Callable[..., Stack]
Run = Callable[[str, Stack], list[Finding]]


def messages(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(str(f.severity), f.message) for f in findings]


def tagged(profile: str, **properties: Any) -> dict[str, Any]:
    return {**properties, "Tags": [{"Key": "Profile", "Value": profile}]}


# --- engine-version-offered / aurora-serverless-capacity ---------------------------------------------------------
@pytest.mark.parametrize(
    ("engine", "version", "status"),
    [
        ("postgres", "15.3", "retired"),
        ("postgres", "17.9", "offered"),
        ("postgres", "17", "offered"),
        ("postgres", "17.99", "unknown"),
        ("postgres", "19.1", "unknown"),
        ("postgres", "10.5", "retired"),
        ("aurora-postgresql", "15.3", "retired"),
        ("aurora-postgresql", "16.4-limitless", "offered"),
        ("aurora-mysql", "8.0.mysql_aurora.3.02.0", "retired"),
        ("mysql", "5.7.44", "retired"),
        ("redis", "6.x", "offered"),
        ("valkey", "8.0", "offered"),
    ],
)
def test_engine_versions_are_classified_against_the_catalog(engine: str, version: str, status: str) -> None:
    assert engine_rules.offering(engine, version) == status


def test_every_engine_version_the_policy_chooses_is_offered_in_the_catalog() -> None:
    for chosen in ENGINES.values():
        assert engine_rules.offering(chosen.engine, chosen.version) == "offered", chosen


def test_the_retired_aurora_mysql_1_engine_is_an_error(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack({"Old": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora"}}})
    assert "can no longer be created" in run_rule("engine-version-offered", stack)[0].message


def test_a_version_newer_than_the_catalog_is_only_a_warning(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack({"aws_db_instance": {"db": {"engine": "postgres", "engine_version": "17.99"}}})
    assert messages(run_rule("engine-version-offered", stack)) == [
        (
            "warning",
            "postgres 17.99 is newer than the catalog of "
            + engine_catalog.CATALOG_DATE
            + ": check it is offered before deploying",
        )
    ]


def test_a_regional_gap_in_the_catalog_is_an_error_in_that_region_only(
    run_rule: Run, tf_stack: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_catalog, "REGIONAL_GAPS", {("postgres", "17.9"): frozenset({"eu-west-2"})})
    resources = {"aws_db_instance": {"db": {"engine": "postgres", "engine_version": "17.9"}}}
    assert "not offered in eu-west-2" in run_rule("engine-version-offered", tf_stack(resources))[0].message
    assert run_rule("engine-version-offered", tf_stack(resources, region="eu-west-1")) == []


def test_a_version_given_by_a_token_or_an_unknown_engine_is_not_judged(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack(
        {
            "Token": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {"Engine": "postgres", "EngineVersion": {"Ref": "V"}},
            },
            "Oracle": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "oracle-ee", "EngineVersion": "19"}},
            "NoVersion": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres"}},
        }
    )
    assert run_rule("engine-version-offered", stack) == []


def test_the_fix_for_an_engine_the_policy_does_not_choose_is_the_newest_minor_of_its_line(
    run_rule: Run, tf_stack: Build
) -> None:
    stack = tf_stack({"aws_db_instance": {"db": {"engine": "mysql", "engine_version": "8.0.30"}}})
    assert run_rule("engine-version-offered", stack)[0].fix.endswith("8.0.46-rds.20260908")


@pytest.mark.parametrize(
    ("engine", "version", "flagged"),
    [
        ("aurora-postgresql", "16.2", True),
        ("aurora-postgresql", "16.3", False),
        ("aurora-postgresql", "12.22", True),
        ("aurora-postgresql", "17.9", False),
        ("aurora-postgresql", "16", False),
        ("aurora-mysql", "8.0.mysql_aurora.3.04.0", True),
        ("aurora-mysql", "8.0.mysql_aurora.3.08.0", False),
        ("aurora-mysql", "5.7.mysql_aurora.2.12.0", True),
    ],
)
def test_scale_to_zero_needs_an_engine_version_with_auto_pause(
    run_rule: Run, tf_stack: Build, engine: str, version: str, flagged: bool
) -> None:
    stack = tf_stack(
        {
            "aws_rds_cluster": {
                "c": {
                    "engine": engine,
                    "engine_version": version,
                    "serverlessv2_scaling_configuration": [{"min_capacity": 0, "max_capacity": 2}],
                }
            }
        }
    )
    assert bool(run_rule("aurora-serverless-capacity", stack)) is flagged


# --- kms-key-allows-logs --------------------------------------------------------------------------------------------
def _key_and_group(policy: Any) -> dict[str, Any]:
    return {
        "aws_kms_key": {"k": {"policy": policy} if policy is not None else {}},
        "aws_cloudwatch_log_group": {"g": {"kms_key_id": "${aws_kms_key.k.arn}"}},
    }


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        (None, "no statement allowing logs"),
        ("${jsonencode({Statement = []})}", "no statement for logs.<region>"),
        (
            json.dumps(
                {"Statement": {"Effect": "Allow", "Action": "kms:*", "Principal": {"Service": "logs.amazonaws.com"}}}
            ),
            "CloudWatch Logs uses the regional",
        ),
        (
            json.dumps(
                {
                    "Statement": [
                        {"Effect": "Deny", "Action": "kms:*", "Principal": {"Service": "logs.eu-west-2.amazonaws.com"}}
                    ]
                }
            ),
            "no statement allowing logs",
        ),
        (
            json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Principal": {"Service": ["logs.eu-west-2.amazonaws.com"]},
                        }
                    ]
                }
            ),
            "no statement allowing logs",
        ),
    ],
)
def test_a_key_policy_that_cloudwatch_logs_cannot_use_is_flagged(
    run_rule: Run, tf_stack: Build, policy: Any, problem: str
) -> None:
    (finding,) = run_rule("kms-key-allows-logs", tf_stack(_key_and_group(policy)))
    assert problem in finding.message


def test_a_key_policy_expression_that_names_the_logs_principal_is_accepted(run_rule: Run, tf_stack: Build) -> None:
    policy = '${jsonencode({Statement = [{Principal = {Service = "logs.eu-west-2.amazonaws.com"}}]})}'
    assert run_rule("kms-key-allows-logs", tf_stack(_key_and_group(policy))) == []


def test_a_separate_aws_kms_key_policy_replaces_the_keys_own_policy(run_rule: Run, tf_stack: Build) -> None:
    statement = {"Effect": "Allow", "Action": "kms:*", "Principal": {"Service": "logs.eu-west-2.amazonaws.com"}}
    resources = {
        **_key_and_group(None),
        "aws_kms_key_policy": {
            "k": {"key_id": "${aws_kms_key.k.id}", "policy": json.dumps({"Statement": [statement]})}
        },
    }
    assert run_rule("kms-key-allows-logs", tf_stack(resources)) == []


# --- names and accounts -----------------------------------------------------------------------------------------------
def test_a_bucket_name_with_a_random_part_or_from_elsewhere_is_unique_enough(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack(
        {
            "aws_s3_bucket": {
                "random": {"bucket": "logs-${random_id.suffix.hex}"},
                "input": {"bucket": "${var.bucket_name}"},
            }
        }
    )
    assert run_rule("s3-bucket-name-unique", stack) == []


def test_a_concrete_cdk_environment_may_name_its_own_account(run_rule: Run, cfn_stack: Build) -> None:
    account = "210987654321"
    resources = {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"data-{account}-eu-west-2"}}}
    assert run_rule("s3-bucket-name-unique", cfn_stack(resources, region="eu-west-2", account=account)) == []
    assert run_rule("no-hard-coded-account", cfn_stack(resources, region="eu-west-2", account=account)) == []
    assert run_rule("no-hard-coded-account", cfn_stack(resources))[0].message.startswith("hard-coded account ID")


def test_account_ids_in_conditions_are_found_but_not_hex_ids_or_prose(run_rule: Run, tf_stack: Build) -> None:
    condition = json.dumps({"Statement": [{"Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]})
    stack = tf_stack(
        {
            "aws_sns_topic_policy": {"p": {"policy": condition}},
            "aws_security_group_rule": {"r": {"security_group_id": "sg-012345678901abcdef"}},
            "aws_iam_role": {"r": {"name": "role", "assume_role_policy": "{}", "description": "see 123456789012 docs"}},
        }
    )
    findings = run_rule("no-hard-coded-account", stack)
    assert [f.address for f in findings] == ["aws_sns_topic_policy.p"]


def test_name_length_counts_unknown_parts_as_a_lower_bound(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack({"aws_sqs_queue": {"q": {"name": "q" * 81 + "${var.suffix}"}}})
    assert "at least 81 characters" in run_rule("name-length", stack)[0].message


def test_name_length_ignores_resources_without_a_literal_name(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack({"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": ["not", "text"]}}})
    assert run_rule("name-length", stack) == []


# --- passwords ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "variables", "expected"),
    [
        ("${random_password.db.result}", {}, []),
        ("${data.aws_secretsmanager_secret_version.db.secret_string}", {}, []),
        ("${var.db_password}", {"db_password": {"sensitive": True}}, []),
        ("${var.db_password}", {"db_password": {}}, [("warning", "not marked sensitive")]),
        ("${local.password}", {}, [("error", "a value written in the code")]),
        ("${aws_s3_bucket.b.id}", {}, [("warning", "not a secret store")]),
        ("db-${var.suffix}-password", {}, [("error", "built from literal text")]),
    ],
)
def test_terraform_password_sources(
    run_rule: Run, tf_stack: Build, password: str, variables: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    stack = tf_stack({"aws_db_instance": {"db": {"engine": "postgres", "password": password}}}, variable=variables)
    found = messages(run_rule("db-secret-not-literal", stack))
    assert len(found) == len(expected)
    assert all(severity == s and words in m for (severity, words), (s, m) in zip(expected, found, strict=True))


def test_cfn_password_from_a_noecho_parameter_without_default_is_accepted(run_rule: Run, cfn_stack: Build) -> None:
    resources = {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"MasterUserPassword": {"Ref": "Pw"}}}}
    good = cfn_stack(resources, Parameters={"Pw": {"Type": "String", "NoEcho": True}})
    bad = cfn_stack(resources, Parameters={"Pw": {"Type": "String", "Default": "changeme"}})
    assert run_rule("db-secret-not-literal", good) == []
    assert "without NoEcho or with a default" in run_rule("db-secret-not-literal", bad)[0].message


def test_a_managed_password_next_to_a_written_one_conflicts(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack({"aws_rds_cluster": {"c": {"manage_master_user_password": True, "master_password": "x" * 16}}})
    assert "conflict" in run_rule("db-secret-not-literal", stack)[0].message


def test_a_database_with_no_password_at_all_fails_to_create(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack({"aws_db_instance": {"db": {"engine": "postgres"}}})
    assert "no master password" in run_rule("db-secret-not-literal", stack)[0].message


def test_a_literal_cache_auth_token_is_flagged_with_a_secret_store_fix(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack({"C": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"AuthToken": "a" * 32}}})
    (finding,) = run_rule("db-secret-not-literal", stack)
    assert "AuthToken is a literal" in finding.message and "Secrets Manager" in finding.fix


# --- exposure and Redis ---------------------------------------------------------------------------------------------
def test_open_ingress_on_all_protocols_or_unknown_ports_exposes_the_database(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack(
        {
            "aws_security_group": {
                "all": {"ingress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "ipv6_cidr_blocks": ["::/0"]}]},
                "tok": {},
            },
            "aws_security_group_rule": {
                "open": {
                    "type": "ingress",
                    "security_group_id": "${aws_security_group.tok.id}",
                    "cidr_blocks": ["0.0.0.0/0"],
                    "from_port": "${var.port}",
                    "to_port": "${var.port}",
                    "protocol": "tcp",
                },
                "egress": {
                    "type": "egress",
                    "security_group_id": "${aws_security_group.tok.id}",
                    "cidr_blocks": ["0.0.0.0/0"],
                    "from_port": 0,
                    "to_port": 0,
                    "protocol": "-1",
                },
            },
            "aws_db_instance": {
                "a": {"engine": "postgres", "vpc_security_group_ids": ["${aws_security_group.all.id}"]},
                "b": {
                    "engine": "mysql",
                    "port": "${var.port}",
                    "vpc_security_group_ids": ["${aws_security_group.tok.id}"],
                },
            },
        }
    )
    findings = run_rule("data-store-not-public", stack)
    assert [(f.address, "port any" in f.message) for f in findings] == [
        ("aws_db_instance.a", False),
        ("aws_db_instance.b", True),
    ]


def test_an_explicit_port_is_the_one_checked(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack(
        {
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {}},
            "Open": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]},
                    "IpProtocol": "tcp",
                    "FromPort": 6000,
                    "ToPort": 6000,
                    "CidrIp": "0.0.0.0/0",
                },
            },
            "Db": {
                "Type": "AWS::RDS::DBCluster",
                "Properties": {"Engine": "aurora-postgresql", "Port": "6000", "VpcSecurityGroupIds": [{"Ref": "Sg"}]},
            },
        }
    )
    assert "port 6000" in run_rule("data-store-not-public", stack)[0].message


def test_a_standalone_redis_cluster_is_warned_and_a_member_is_left_alone(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack(
        {
            "aws_elasticache_cluster": {
                "alone": {"engine": "redis"},
                "member": {"replication_group_id": "${aws_elasticache_replication_group.r.id}"},
            }
        }
    )
    assert messages(run_rule("redis-transit-auth", stack)) == [
        ("warning", "a standalone Redis cache cluster cannot use AUTH")
    ]


def test_redis_with_rbac_user_groups_needs_no_auth_token(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack(
        {
            "C": {
                "Type": "AWS::ElastiCache::ReplicationGroup",
                "Properties": {"TransitEncryptionEnabled": "true", "UserGroupIds": ["app-users"]},
            }
        }
    )
    assert run_rule("redis-transit-auth", stack) == []


# --- teardown and profiles ------------------------------------------------------------------------------------------
def test_a_dev_database_that_keeps_a_final_snapshot_is_a_warning(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack({"Db": {"Type": "AWS::RDS::DBInstance", "Properties": tagged("dev", Engine="postgres")}})
    assert messages(run_rule("profile-dev-destroyable", stack)) == [
        ("warning", "dev stack keeps a final snapshot on delete: teardown leaves a snapshot that keeps costing")
    ]


def test_prod_warnings_for_unprotected_databases_caches_keys_logs_and_secrets(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack(
        {
            "Db": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "Properties": tagged("prod")},
            "Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": tagged("prod")},
            "Key": {
                "Type": "AWS::KMS::Key",
                "DeletionPolicy": "Delete",
                "Properties": tagged("prod", PendingWindowInDays=7),
            },
            "Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete", "Properties": tagged("prod")},
            "Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Delete", "Properties": tagged("prod")},
        }
    )
    found = {f.address: (str(f.severity), f.message) for f in run_rule("profile-prod-keeps-data", stack)}
    assert found["Db"] == ("warning", "prod stack: no deletion protection on a prod database")
    assert "cache is deleted without a final snapshot" in found["Cache"][1]
    assert "less than 30 days to undo it" in found["Key"][1]
    assert "audit trail" in found["Logs"][1]
    assert "stack deletion fails on it" in found["Bucket"][1]
    assert {severity for severity, _ in found.values()} == {"warning"}


def test_a_prod_secret_deleted_without_recovery_window_is_a_warning(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack(
        {"aws_secretsmanager_secret": {"s": {"recovery_window_in_days": 0}}},
        provider={"aws": [{"region": "eu-west-2", "default_tags": {"tags": {"Profile": "prod"}}}]},
    )
    assert "no recovery window" in run_rule("profile-prod-keeps-data", stack)[0].message


def test_a_prod_key_with_the_full_pending_window_is_accepted(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack({"Key": {"Type": "AWS::KMS::Key", "Properties": tagged("prod", PendingWindowInDays=30)}})
    assert run_rule("profile-prod-keeps-data", stack) == []


def test_inline_versioning_mfa_delete_is_seen_too(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack({"aws_s3_bucket": {"b": {"versioning": {"enabled": True, "mfa_delete": True}}}})
    assert run_rule("mfa-delete-teardown", stack)[0].severity == "warning"


# --- outputs, logs ----------------------------------------------------------------------------------------------
def test_data_store_outputs_are_not_asked_for_twice_when_the_stack_has_none(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack({"Q": {"Type": "AWS::SQS::Queue"}})
    assert run_rule("data-store-has-output", stack) == []
    assert len(run_rule("stack-has-outputs", stack)) == 1


def test_retention_given_as_text_or_a_token(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack(
        {
            "Text": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": "13"}},
            "Token": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": {"Ref": "Days"}}},
            "Never": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 0}},
        }
    )
    assert [f.address for f in run_rule("log-retention-valid", stack)] == ["Never", "Text"]


# --- access logs ------------------------------------------------------------------------------------------------
def test_a_bucket_logging_into_itself_is_a_warning(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack({"aws_s3_bucket": {"b": {"logging": {"target_bucket": "${aws_s3_bucket.b.id}"}}}})
    assert messages(run_rule("access-log-target-sse-s3", stack)) == [
        ("warning", "aws_s3_bucket.b writes its access logs into itself: every delivery is logged again, without end")
    ]


# --- Terraform shapes and backend -------------------------------------------------------------------------------
def test_shape_checks_types_and_one_of(run_rule: Run) -> None:
    block = Block(numbers=("days",), booleans=("enabled",), one_of=("filter", "prefix"), required=("id",))
    problems = list(shape_problems([{"days": "90", "enabled": "yes", "id": "${var.id}"}, "text"], block, "rule"))
    assert [severity for _, severity in problems] == ["error", "error", "warning", "error"]
    assert "a number is required" in problems[0][0] and "must be an object" in problems[3][0]
    assert list(shape_problems({"days": "${var.days}", "id": "x", "prefix": ""}, block, "rule")) == []


def test_an_unknown_resource_type_has_no_shape_to_check(run_rule: Run, tf_stack: Build) -> None:
    stack = tf_stack({"aws_s3_bucket": {"b": {"bucket_prefix": "x"}}, "aws_sqs_queue": {"q": {}}})
    assert run_rule("tf-block-shape", stack) == []


def test_no_backend_is_fine(run_rule: Run, tf_stack: Build) -> None:
    assert run_rule("tf-backend-portable", tf_stack({})) == []


def test_terraform_only_rules_skip_cloudformation(run_rule: Run, cfn_stack: Build) -> None:
    stack = cfn_stack({"B": {"Type": "AWS::S3::Bucket", "Properties": {"LifecycleConfiguration": {"Rules": []}}}})
    for rule_id in ("tf-block-shape", "s3-config-not-split", "tf-backend-portable", "mfa-delete-teardown"):
        assert run_rule(rule_id, stack) == []


def test_findings_serialise_to_plain_json(run_rule: Run, cfn_stack: Build) -> None:
    finding = run_rule("stack-has-outputs", cfn_stack({}))[0]
    assert json.loads(json.dumps(finding.to_dict()))["severity"] == "warning"
    assert finding.resource == "(stack)" and finding.address == ""
