"""RDS PostgreSQL as deployed by the two stacks that have one (healthcare pipeline, stream processor): Multi-AZ,
encrypted with the stack key, private, TLS-only, monitored, with an RDS-managed secret."""

from __future__ import annotations

import json
from typing import Any

import pytest
from deployed_stacks import DeployedStack

from constructs_lib.policy import compute, engines, retention, services

pytestmark = pytest.mark.parametrize("stack", ["HealthcarePipeline", "StreamProcessor"], indirect=True, scope="module")


def instance(stack: DeployedStack) -> dict[str, Any]:
    identifier = stack.output("DatabaseIdentifier")
    return stack.client("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def test_database_runs_the_policy_engine_version(stack: DeployedStack) -> None:
    expected = engines.engine("postgres")
    found = instance(stack)
    assert (found["Engine"], found["EngineVersion"]) == (expected.engine, expected.version)


def test_database_endpoint_matches_the_outputs(stack: DeployedStack) -> None:
    endpoint = instance(stack)["Endpoint"]
    assert endpoint["Address"] == stack.output("DatabaseEndpoint")
    assert str(endpoint["Port"]) == stack.output("DatabasePort") == str(services.DATABASE_PORT)


def test_database_is_multi_az_with_a_standby_in_another_zone(stack: DeployedStack) -> None:
    found = instance(stack)
    assert found["MultiAZ"] is True
    assert found.get("SecondaryAvailabilityZone") not in (None, found["AvailabilityZone"])


def test_database_storage_is_gp3_encrypted_with_the_stack_key(stack: DeployedStack) -> None:
    found = instance(stack)
    assert found["StorageEncrypted"] is True
    assert found["KmsKeyId"] == stack.output("KmsKeyArn")
    assert found["StorageType"] == compute.POSTGRES_STORAGE_TYPE
    assert found["AllocatedStorage"] == services.POSTGRES_ALLOCATED_STORAGE_GB
    assert found["MaxAllocatedStorage"] == services.POSTGRES_MAX_ALLOCATED_STORAGE_GB


def test_database_is_private_with_iam_auth_and_the_current_ca(stack: DeployedStack) -> None:
    found = instance(stack)
    assert found["PubliclyAccessible"] is False
    assert found["IAMDatabaseAuthenticationEnabled"] is True
    assert found["CACertificateIdentifier"] == compute.DATABASE_CA_CERTIFICATE
    assert found["DBInstanceClass"] == services.POSTGRES_INSTANCE_CLASS


def test_database_is_monitored_and_encrypts_performance_insights(stack: DeployedStack) -> None:
    found = instance(stack)
    assert found["MonitoringInterval"] == services.DATABASE_MONITORING_INTERVAL_SECONDS
    assert found["MonitoringRoleArn"]
    assert found["PerformanceInsightsEnabled"] is True
    assert found["PerformanceInsightsKMSKeyId"] == stack.output("KmsKeyArn")
    assert found["PerformanceInsightsRetentionPeriod"] == services.PERFORMANCE_INSIGHTS_RETENTION_DAYS


def test_database_keeps_30_days_of_backups_and_exports_its_logs(stack: DeployedStack) -> None:
    found = instance(stack)
    assert found["BackupRetentionPeriod"] == retention.DATABASE_BACKUP_RETENTION_DAYS
    assert found["CopyTagsToSnapshot"] is True
    assert sorted(found["EnabledCloudwatchLogsExports"]) == sorted(compute.POSTGRES_INSTANCE_EXPORTED_LOGS)


def test_database_log_groups_exist_encrypted_with_audit_retention(stack: DeployedStack) -> None:
    logs = stack.client("logs")
    for log in compute.POSTGRES_INSTANCE_EXPORTED_LOGS:
        name = compute.RDS_INSTANCE_LOG_GROUP.format(identifier=stack.output("DatabaseIdentifier"), log=log)
        group = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
        assert group["logGroupName"] == name
        assert group["kmsKeyId"] == stack.output("KmsKeyArn")
        assert group["retentionInDays"] == retention.log_retention_days(compute.DATABASE_LOG_PURPOSE)


def test_database_deletion_protection_follows_the_profile(stack: DeployedStack) -> None:
    assert instance(stack)["DeletionProtection"] is stack.profile.deletion_protection


def test_database_parameter_group_forces_tls_and_logs_connections(stack: DeployedStack) -> None:
    group = instance(stack)["DBParameterGroups"][0]["DBParameterGroupName"]
    parameters = stack.client("rds").describe_db_parameters(DBParameterGroupName=group)["Parameters"]
    values = {parameter["ParameterName"]: parameter.get("ParameterValue") for parameter in parameters}
    expected = {**compute.DATABASE_TLS_PARAMETERS, **compute.DATABASE_LOGGING_PARAMETERS}
    assert {name: values.get(name) for name in expected} == expected


def test_database_lives_in_isolated_subnets(stack: DeployedStack) -> None:
    subnet_ids = [subnet["SubnetIdentifier"] for subnet in instance(stack)["DBSubnetGroup"]["Subnets"]]
    subnets = stack.client("ec2").describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    tiers = {tag["Value"] for subnet in subnets for tag in subnet["Tags"] if tag["Key"] == "aws-cdk:subnet-name"}
    assert tiers == {"isolated"}
    assert len({subnet["AvailabilityZone"] for subnet in subnets}) == services.NETWORK_AZ_COUNT


def test_database_security_group_allows_no_outbound_traffic(stack: DeployedStack) -> None:
    group_ids = [group["VpcSecurityGroupId"] for group in instance(stack)["VpcSecurityGroups"]]
    group = stack.client("ec2").describe_security_groups(GroupIds=group_ids)["SecurityGroups"][0]
    open_egress = [
        rule
        for rule in group["IpPermissionsEgress"]
        if any(ip_range.get("CidrIp") == "0.0.0.0/0" for ip_range in rule.get("IpRanges", []))
    ]
    assert open_egress == []


def test_database_master_secret_is_managed_by_rds_under_the_stack_key(stack: DeployedStack) -> None:
    found = instance(stack)
    secret_arn = stack.output("DatabaseSecretArn")
    assert found["MasterUserSecret"]["SecretArn"] == secret_arn
    assert found["MasterUserSecret"]["KmsKeyId"] == stack.output("KmsKeyArn")
    secrets = stack.client("secretsmanager")
    assert secrets.describe_secret(SecretId=secret_arn)["KmsKeyId"] == stack.output("KmsKeyArn")
    value = json.loads(secrets.get_secret_value(SecretId=secret_arn)["SecretString"])
    assert {"username", "password"} <= set(value)
    assert value["username"] == found["MasterUsername"] == services.DATABASE_MASTER_USERNAME
