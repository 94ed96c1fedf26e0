"""Each refusal: the call AWS refuses is refused with AWS's code and message, and its accepted twin goes through."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from constructs_lib.policy.encryption import CLOUDWATCH_LOGS_KEY_ACTIONS
from scripts.emulator import refusals
from tests.unit.local_aws import Account

ROLE_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def refused(call: Any, **kwargs: Any) -> dict[str, str]:
    """The error of a call that must fail: its code and message."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]


def key_policy(aws: Account, *, logs: bool, condition: dict[str, Any] | None = None) -> str:
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{aws.account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if logs:
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{aws.region}.amazonaws.com"},
            "Action": list(CLOUDWATCH_LOGS_KEY_ACTIONS),
            "Resource": "*",
        }
        statements.append({**statement, "Condition": condition} if condition else statement)
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


# --- CloudWatch Logs: keys -------------------------------------------------------------------------------------------


def test_a_log_group_key_that_does_not_admit_regional_logs_is_refused(aws: Account) -> None:
    root_only = aws.client("kms").create_key(Policy=key_policy(aws, logs=False))["KeyMetadata"]["Arn"]
    error = refused(aws.client("logs").create_log_group, logGroupName="/app", kmsKeyId=root_only)
    arn = f"arn:aws:logs:{aws.region}:{aws.account_id}:log-group:/app"
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == f"The specified KMS key does not exist or is not allowed to be used with Arn '{arn}'"
    assert aws.client("logs").describe_log_groups()["logGroups"] == []


def test_a_log_group_key_that_admits_regional_logs_encrypts_the_group(aws: Account) -> None:
    logs_key = aws.client("kms").create_key(Policy=key_policy(aws, logs=True))["KeyMetadata"]["Arn"]
    aws.client("logs").create_log_group(logGroupName="/app", kmsKeyId=logs_key)
    assert aws.client("logs").describe_log_groups()["logGroups"][0]["kmsKeyId"] == logs_key


def test_a_key_whose_encryption_context_names_other_log_groups_is_refused(aws: Account) -> None:
    other = {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{aws.region}:*:log-group:/other/*"}}
    mine = {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{aws.region}:*:log-group:/app*"}}
    kms, logs = aws.client("kms"), aws.client("logs")
    elsewhere = kms.create_key(Policy=key_policy(aws, logs=True, condition=other))["KeyMetadata"]["Arn"]
    assert refused(logs.create_log_group, logGroupName="/app", kmsKeyId=elsewhere)["Code"] == "AccessDeniedException"
    here = kms.create_key(Policy=key_policy(aws, logs=True, condition=mine))["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="/app", kmsKeyId=here)


def test_associate_kms_key_is_judged_like_create(aws: Account) -> None:
    kms, logs = aws.client("kms"), aws.client("logs")
    logs.create_log_group(logGroupName="/app")
    root_only = kms.create_key(Policy=key_policy(aws, logs=False))["KeyMetadata"]["Arn"]
    assert refused(logs.associate_kms_key, logGroupName="/app", kmsKeyId=root_only)["Code"] == "AccessDeniedException"
    missing = f"arn:aws:kms:{aws.region}:{aws.account_id}:key/00000000-0000-0000-0000-000000000000"
    assert refused(logs.associate_kms_key, logGroupName="/app", kmsKeyId=missing)["Code"] == "AccessDeniedException"
    logs_key = kms.create_key(Policy=key_policy(aws, logs=True))["KeyMetadata"]["Arn"]
    logs.associate_kms_key(logGroupName="/app", kmsKeyId=logs_key)
    assert logs.describe_log_groups()["logGroups"][0]["kmsKeyId"] == logs_key


def test_key_policy_evaluation_needs_every_action_logs_uses() -> None:
    arn = "arn:aws:logs:eu-west-2:1:log-group:/g"

    def policy(principal: Any, actions: list[str]) -> dict[str, Any]:
        return {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*"}]}

    regional = {"Service": "logs.eu-west-2.amazonaws.com"}
    assert refusals.logs_may_use_key(policy(regional, ["kms:*"]), "eu-west-2", arn)
    assert refusals.logs_may_use_key(policy("*", list(CLOUDWATCH_LOGS_KEY_ACTIONS)), "eu-west-2", arn)
    assert not refusals.logs_may_use_key(policy(regional, ["kms:Decrypt"]), "eu-west-2", arn)
    assert not refusals.logs_may_use_key(policy({"Service": "logs.amazonaws.com"}, ["kms:*"]), "eu-west-2", arn)
    assert not refusals.logs_may_use_key(policy(regional, ["kms:*"]), "eu-west-1", arn)


# --- CloudWatch Logs: retention --------------------------------------------------------------------------------------


def test_a_retention_cloudwatch_does_not_offer_is_refused_and_an_offered_one_kept(aws: Account) -> None:
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="/app")
    error = refused(logs.put_retention_policy, logGroupName="/app", retentionInDays=10)
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"].startswith(
        "1 validation error detected: Value '10' at 'retentionInDays' failed to satisfy constraint: Member must "
        "satisfy enum value set: [1, 3, 5, 7, 14,"
    )
    logs.put_retention_policy(logGroupName="/app", retentionInDays=14)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 14


# --- Engine versions -------------------------------------------------------------------------------------------------


def test_a_retired_postgres_version_is_refused_and_an_offered_one_created(aws: Account) -> None:
    rds = aws.client("rds")
    instance = {"DBInstanceClass": "db.t4g.micro", "Engine": "postgres", "AllocatedStorage": 20}
    error = refused(rds.create_db_instance, DBInstanceIdentifier="old", EngineVersion="15.3", **instance)
    assert (error["Code"], error["Message"]) == ("InvalidParameterCombination", "Cannot find version 15.3 for postgres")
    rds.create_db_instance(DBInstanceIdentifier="current", EngineVersion="16.13", **instance)
    assert [db["DBInstanceIdentifier"] for db in rds.describe_db_instances()["DBInstances"]] == ["current"]


def test_a_retired_aurora_version_is_refused_and_an_offered_one_created(aws: Account) -> None:
    rds = aws.client("rds")
    cluster = {"Engine": "aurora-postgresql", "MasterUsername": "admin", "ManageMasterUserPassword": True}
    error = refused(rds.create_db_cluster, DBClusterIdentifier="old", EngineVersion="15.5", **cluster)
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterCombination",
        "Cannot find version 15.5 for aurora-postgresql",
    )
    rds.create_db_cluster(DBClusterIdentifier="current", EngineVersion="16.13", **cluster)


def test_a_version_newer_than_the_catalog_is_not_refused() -> None:
    assert refusals.engine_version_refusal("postgres", "99.1", "eu-west-2") is None
    assert refusals.engine_version_refusal("postgres", "17", "eu-west-2") is None
    assert refusals.engine_version_refusal("oracle-ee", "1.0", "eu-west-2") is None
    assert refusals.engine_version_refusal("postgres", "15.3", "eu-west-2") == "Cannot find version 15.3 for postgres"


def test_retired_and_patch_level_cache_versions_are_refused_and_a_minor_line_created(aws: Account) -> None:
    elasticache = aws.client("elasticache")
    group = {"ReplicationGroupDescription": "cache", "Engine": "redis", "CacheNodeType": "cache.t4g.micro"}
    error = refused(elasticache.create_replication_group, ReplicationGroupId="old", EngineVersion="3.2.6", **group)
    assert (error["Code"], error["Message"]) == ("InvalidParameterCombination", "Cannot find version 3.2.6 for redis")
    error = refused(elasticache.create_replication_group, ReplicationGroupId="patch", EngineVersion="6.2.6", **group)
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterValue",
        "Specific version selection is not allowed for '6.2.6', please use '6.2'",
    )
    error = refused(
        elasticache.create_cache_cluster,
        CacheClusterId="node",
        Engine="redis",
        EngineVersion="3.2.6",
        CacheNodeType="cache.t4g.micro",
        NumCacheNodes=1,
    )
    assert error["Code"] == "InvalidParameterCombination"
    elasticache.create_replication_group(ReplicationGroupId="current", EngineVersion="7.1", **group)


# --- Lambda ----------------------------------------------------------------------------------------------------------


def test_a_retired_runtime_is_refused_and_a_current_one_created(aws: Account) -> None:
    role = aws.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=ROLE_TRUST)["Role"]["Arn"]
    function = {"Role": role, "Handler": "index.handler", "Code": {"ZipFile": b"PK\x05\x06" + b"\x00" * 18}}
    lambda_ = aws.client("lambda")
    error = refused(lambda_.create_function, FunctionName="old", Runtime="python3.8", **function)
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"].startswith(
        "The runtime parameter of python3.8 is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use the new runtime ("
    )
    lambda_.create_function(FunctionName="current", Runtime="python3.13", **function)
    assert [f["FunctionName"] for f in lambda_.list_functions()["Functions"]] == ["current"]


# --- S3 --------------------------------------------------------------------------------------------------------------


def test_mfa_delete_without_an_mfa_code_is_refused_and_plain_versioning_accepted(aws: Account) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="records-bucket", CreateBucketConfiguration={"LocationConstraint": aws.region})
    error = refused(
        s3.put_bucket_versioning,
        Bucket="records-bucket",
        VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"},
    )
    assert (error["Code"], error["Message"]) == ("AccessDenied", "Mfa Authentication must be used for this request")
    assert "Status" not in s3.get_bucket_versioning(Bucket="records-bucket")
    s3.put_bucket_versioning(Bucket="records-bucket", VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket="records-bucket")["Status"] == "Enabled"


# --- Name limits -----------------------------------------------------------------------------------------------------


def test_a_role_name_over_64_characters_is_refused_and_one_of_64_created(aws: Account) -> None:
    iam = aws.client("iam")
    error = refused(iam.create_role, RoleName="r" * 65, AssumeRolePolicyDocument=ROLE_TRUST)
    assert (error["Code"], error["Message"]) == (
        "ValidationError",
        f"1 validation error detected: Value '{'r' * 65}' at 'roleName' failed to satisfy constraint: Member must "
        "have length less than or equal to 64",
    )
    iam.create_role(RoleName="r" * 64, AssumeRolePolicyDocument=ROLE_TRUST)


def test_role_names_cloudformation_makes_up_fit_the_limit(aws: Account) -> None:
    logical_id = "ProcessorFunctionServiceRoleWithAVeryLongLogicalId0123456789"
    stack = aws.create_stack(
        "healthcare-pipeline-with-a-long-stack-name",
        {logical_id: {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": json.loads(ROLE_TRUST)}}},
        {"Name": {"Ref": logical_id}},
    )
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert 50 < len(stack["out"]["Name"]) <= 64
    assert stack["out"]["Name"].startswith("healthcare-pipeline-with-a-long-stack-name-Process")


def test_a_load_balancer_name_over_32_characters_is_refused_and_one_of_32_created(aws: Account) -> None:
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"][:2]]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for index, zone in enumerate(zones)
    ]
    elbv2 = aws.client("elbv2")
    error = refused(elbv2.create_load_balancer, Name="l" * 33, Subnets=subnets)
    assert (error["Code"], error["Message"]) == (
        "ValidationError",
        f"The load balancer name '{'l' * 33}' cannot be longer than '32' characters",
    )
    elbv2.create_load_balancer(Name="l" * 32, Subnets=subnets)
