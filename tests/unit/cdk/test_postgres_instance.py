"""PostgresInstance: the controls an RDS PostgreSQL instance gets with no arguments, in both profiles."""

from __future__ import annotations

import functools
import json
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.postgres_instance import PostgresInstance
from constructs_lib.policy import ConfigurationError, alarms, compute, engines, retention, services

ENGINE = engines.engine("postgres")
#: A region the policy offers the engine in: the prod stack is built there so the region check runs on it.
OFFERED_REGION = sorted(ENGINE.regions)[0]


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    resources: dict[str, Any]
    db: PostgresInstance
    required_multi_az: PostgresInstance
    relaxed: PostgresInstance
    client: ec2.SecurityGroup
    reader_role: iam.Role
    topic: sns.Topic

    def props(self, resource: cdk.CfnResource) -> dict[str, Any]:
        return self.resources[self.stack.get_logical_id(resource)]["Properties"]

    def entry(self, resource: cdk.CfnResource) -> dict[str, Any]:
        return self.resources[self.stack.get_logical_id(resource)]

    def ref(self, construct: Any) -> dict[str, Any]:
        return self.stack.resolve(construct)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    env = cdk.Environment(region=OFFERED_REGION) if profile == "prod" else None
    stack = cdk.Stack(app, "Postgres", env=env)
    db = PostgresInstance(stack, "Orders")
    topic = sns.Topic(stack, "Alarms")
    required = PostgresInstance(
        stack, "Patients", vpc=db.vpc, encryption_key=db.encryption_key, multi_az=True, alarm_topic=topic
    )
    relaxed = PostgresInstance(
        stack,
        "Scratch",
        vpc=db.vpc,
        encryption_key=db.encryption_key,
        multi_az=False,
        parameters={"log_min_duration_statement": "5000"},
        backup_retention_period=7,
    )
    client = ec2.SecurityGroup(stack, "Client", vpc=db.vpc)
    db.allow_from(client)
    reader_role = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    db.grant_connect_secret(reader_role)
    template = Template.from_stack(stack)
    return Built(stack, template, template.to_json()["Resources"], db, required, relaxed, client, reader_role, topic)


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request: pytest.FixtureRequest) -> Built:
    return build(request.param)


@pytest.fixture(scope="module")
def dev() -> Built:
    return build("dev")


@pytest.fixture(scope="module")
def prod() -> Built:
    return build("prod")


def property_names(value: Any) -> set[str]:
    """Every key at any depth of a template fragment."""
    if isinstance(value, dict):
        return set(value) | {name for child in value.values() for name in property_names(child)}
    if isinstance(value, list):
        return {name for child in value for name in property_names(child)}
    return set()


def key_arn(b: Built) -> dict[str, Any]:
    return b.ref(b.db.encryption_key.key_arn)


def test_engine_version_and_parameter_family_are_the_policys(built: Built) -> None:
    props = built.props(built.db.instance)
    assert (props["Engine"], props["EngineVersion"]) == ("postgres", ENGINE.version)
    built.template.has_resource_properties("AWS::RDS::DBParameterGroup", {"Family": ENGINE.family})


def test_storage_is_gp3_and_encrypted_with_the_stacks_key(built: Built) -> None:
    props = built.props(built.db.instance)
    assert props["StorageEncrypted"] is True
    assert props["KmsKeyId"] == key_arn(built)
    assert props["StorageType"] == compute.POSTGRES_STORAGE_TYPE
    assert props["AllocatedStorage"] == str(services.POSTGRES_ALLOCATED_STORAGE_GB)
    assert props["MaxAllocatedStorage"] == services.POSTGRES_MAX_ALLOCATED_STORAGE_GB


def test_master_password_is_managed_by_rds_under_the_key_and_no_password_is_in_the_template(built: Built) -> None:
    props = built.props(built.db.instance)
    assert props["ManageMasterUserPassword"] is True
    assert props["MasterUserSecret"] == {"KmsKeyId": key_arn(built)}
    assert props["MasterUsername"] == services.DATABASE_MASTER_USERNAME
    assert "MasterUserPassword" not in property_names(built.resources)


def test_instance_is_not_public_and_lives_in_the_isolated_subnets(built: Built) -> None:
    props = built.props(built.db.instance)
    assert props["PubliclyAccessible"] is False
    isolated = built.ref(built.db.vpc.select_subnets(subnet_group_name="isolated").subnet_ids)
    subnet_group = built.resources[props["DBSubnetGroupName"]["Ref"]]["Properties"]
    assert subnet_group["SubnetIds"] == isolated


def test_security_group_has_no_ingress_until_allow_from_opens_the_port_to_that_peer(built: Built) -> None:
    databases = (built.db, built.required_multi_az, built.relaxed)
    group_ids = {built.stack.get_logical_id(d.security_group.node.default_child) for d in databases}
    for logical_id in group_ids:
        assert "SecurityGroupIngress" not in built.resources[logical_id]["Properties"]
    ingress = [
        r["Properties"]
        for r in built.resources.values()
        if r["Type"] == "AWS::EC2::SecurityGroupIngress" and r["Properties"]["GroupId"]["Fn::GetAtt"][0] in group_ids
    ]
    assert len(ingress) == 1
    rule = ingress[0]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == (
        "tcp",
        services.DATABASE_PORT,
        services.DATABASE_PORT,
    )
    assert rule["GroupId"] == built.ref(built.db.security_group.security_group_id)
    assert rule["SourceSecurityGroupId"] == built.ref(built.client.security_group_id)


def test_parameter_group_forces_tls_and_logs_connections_and_slow_statements(built: Built) -> None:
    group = built.resources[built.props(built.db.instance)["DBParameterGroupName"]["Ref"]]["Properties"]
    assert group["Parameters"] == {**compute.DATABASE_TLS_PARAMETERS, **compute.DATABASE_LOGGING_PARAMETERS}
    assert group["Parameters"]["rds.force_ssl"] == "1"


def test_logs_are_exported_to_encrypted_audit_log_groups_that_exist_first(built: Built) -> None:
    instance = built.entry(built.db.instance)
    assert instance["Properties"]["EnableCloudwatchLogsExports"] == list(compute.POSTGRES_INSTANCE_EXPORTED_LOGS)
    identifier = instance["Properties"]["DBInstanceIdentifier"]
    for log_group in built.db.log_groups:
        props = built.props(log_group.node.default_child)
        assert props["LogGroupName"].startswith(f"/aws/rds/instance/{identifier}/")
        assert props["KmsKeyId"] == key_arn(built)
        assert props["RetentionInDays"] == retention.log_retention_days(compute.DATABASE_LOG_PURPOSE)
        assert built.stack.get_logical_id(log_group.node.default_child) in instance["DependsOn"]


def test_backups_monitoring_insights_iam_auth_and_minor_upgrades_are_on(built: Built) -> None:
    props = built.props(built.db.instance)
    assert props["BackupRetentionPeriod"] == retention.DATABASE_BACKUP_RETENTION_DAYS
    assert props["CopyTagsToSnapshot"] is True
    assert props["MonitoringInterval"] == services.DATABASE_MONITORING_INTERVAL_SECONDS
    assert props["EnablePerformanceInsights"] is True
    assert props["PerformanceInsightsKMSKeyId"] == key_arn(built)
    assert props["EnableIAMDatabaseAuthentication"] is True
    assert props["AutoMinorVersionUpgrade"] is True
    assert props["CACertificateIdentifier"] == compute.DATABASE_CA_CERTIFICATE
    role = built.resources[props["MonitoringRoleArn"]["Fn::GetAtt"][0]]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": compute.DATABASE_MONITORING_PRINCIPAL
    }
    assert compute.DATABASE_MONITORING_MANAGED_POLICY in json.dumps(role["ManagedPolicyArns"])


def test_dev_is_single_az_unprotected_and_deleted_with_its_backups(dev: Built) -> None:
    entry = dev.entry(dev.db.instance)
    assert (entry["Properties"]["MultiAZ"], entry["Properties"]["DeletionProtection"]) == (False, False)
    assert (entry["DeletionPolicy"], entry["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert entry["Properties"]["DeleteAutomatedBackups"] is True


def test_prod_is_multi_az_protected_and_leaves_a_final_snapshot(prod: Built) -> None:
    entry = prod.entry(prod.db.instance)
    assert (entry["Properties"]["MultiAZ"], entry["Properties"]["DeletionProtection"]) == (True, True)
    assert (entry["DeletionPolicy"], entry["UpdateReplacePolicy"]) == ("Snapshot", "Snapshot")
    assert entry["Properties"]["DeleteAutomatedBackups"] is False


def test_a_system_requiring_multi_az_gets_it_in_dev_without_an_override_warning(dev: Built) -> None:
    assert dev.props(dev.required_multi_az.instance)["MultiAZ"] is True
    warnings = Annotations.from_stack(dev.stack).find_warning(
        f"/{dev.required_multi_az.node.path}", Match.string_like_regexp("multi_az")
    )
    assert warnings == []


def test_overrides_are_applied_and_each_is_reported_at_synth(prod: Built) -> None:
    props = prod.props(prod.relaxed.instance)
    assert (props["MultiAZ"], props["BackupRetentionPeriod"]) == (False, 7)
    group = prod.resources[props["DBParameterGroupName"]["Ref"]]["Properties"]
    assert group["Parameters"]["log_min_duration_statement"] == "5000"
    annotations = Annotations.from_stack(prod.stack)
    for prop in ("multi_az", "backup_retention_period", "log_min_duration_statement"):
        annotations.has_warning(f"/{prod.relaxed.node.path}", Match.string_like_regexp(f"'{prop}' overrides"))


def test_grant_connect_secret_reads_only_the_secret_and_decrypts_only_through_secrets_manager(dev: Built) -> None:
    dev.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [dev.ref(dev.reader_role.role_name)],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": list(compute.DATABASE_SECRET_READ_ACTIONS),
                        "Effect": "Allow",
                        "Resource": {
                            "Fn::GetAtt": [dev.stack.get_logical_id(dev.db.instance), "MasterUserSecret.SecretArn"]
                        },
                    },
                    {
                        "Action": "kms:Decrypt",
                        "Effect": "Allow",
                        "Resource": key_arn(dev),
                        "Condition": {"StringEquals": {"kms:ViaService": Match.any_value()}},
                    },
                ]
            },
        },
    )


def test_exposed_attributes_point_at_the_instance(dev: Built) -> None:
    logical_id = dev.stack.get_logical_id(dev.db.instance)
    assert dev.ref(dev.db.endpoint_address) == {"Fn::GetAtt": [logical_id, "Endpoint.Address"]}
    assert dev.ref(dev.db.secret_arn) == {"Fn::GetAtt": [logical_id, "MasterUserSecret.SecretArn"]}
    assert dev.ref(dev.db.instance_identifier) == {"Ref": logical_id}
    assert dev.ref(dev.db.port) == {"Fn::GetAtt": [logical_id, "Endpoint.Port"]}
    assert dev.db.database_name == services.DATABASE_NAME
    assert dev.db.connections.security_groups[0] is dev.db.security_group


def test_prod_stack_in_an_offered_region_passes_the_region_check(prod: Built) -> None:
    assert prod.stack.region == OFFERED_REGION
    assert prod.props(prod.db.instance)["EngineVersion"] == ENGINE.version


def test_region_where_the_engine_is_not_offered_fails_at_synth_naming_the_region() -> None:
    app = cdk.App(context={"profile": "dev"})
    stack = cdk.Stack(app, "Elsewhere", env=cdk.Environment(region="mx-central-1"))
    with pytest.raises(ConfigurationError, match="mx-central-1") as raised:
        PostgresInstance(stack, "Db")
    assert raised.value.field == "region"


def test_a_master_password_input_is_refused_while_rds_manages_it() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "Refused")
    with pytest.raises(ConfigurationError, match="master_user_password"):
        PostgresInstance(stack, "Db", master_user_password=cdk.Fn.ref("SomeParameter"))


def test_a_name_prefix_rds_cannot_use_is_refused() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "BadName")
    with pytest.raises(ConfigurationError, match="name_prefix"):
        PostgresInstance(stack, "Db", name_prefix="Orders_DB")


# --- alarms --------------------------------------------------------------------------------------------------------


def alarm_props(b: Built, construct: Any) -> dict[str, Any]:
    return b.props(construct.node.default_child)


DATABASE_ALARMS = [
    ("cpu_alarm", alarms.DATABASE_CPU),
    ("free_storage_alarm", alarms.DATABASE_FREE_STORAGE),
    ("connections_alarm", alarms.DATABASE_CONNECTIONS),
]


@pytest.mark.parametrize(("attribute", "spec"), DATABASE_ALARMS, ids=[a for a, _ in DATABASE_ALARMS])
def test_with_a_topic_the_instance_alarms_as_the_spec_says_on_breach_and_recovery(
    built: Built, attribute: str, spec: alarms.AlarmSpec
) -> None:
    props = alarm_props(built, getattr(built.required_multi_az, attribute))
    topic = [built.ref(built.topic.topic_arn)]
    assert props["AlarmActions"] == props["OKActions"] == topic
    assert props["Dimensions"] == [
        {"Name": "DBInstanceIdentifier", "Value": built.ref(built.required_multi_az.instance.ref)}
    ]
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AWS/RDS",
        spec.metric_name,
        spec.statistic,
    )
    assert (props["ComparisonOperator"], props["Threshold"]) == (spec.comparison_operator, spec.threshold)
    assert (props["Period"], props["EvaluationPeriods"]) == (spec.period_seconds, spec.evaluation_periods)
    suffix = built.stack.node.try_get_context("environmentSuffix")
    assert props["AlarmName"] == f"patients-{spec.name_suffix}-{suffix}"


def test_cpu_alarm_fires_on_an_average_over_80_percent_for_15_minutes(built: Built) -> None:
    props = alarm_props(built, built.required_multi_az.cpu_alarm)
    assert (props["Statistic"], props["ComparisonOperator"], props["Threshold"]) == (
        "Average",
        "GreaterThanThreshold",
        80,
    )
    assert props["Period"] * props["EvaluationPeriods"] == 15 * 60


def test_free_storage_alarm_fires_below_a_tenth_of_the_allocated_storage(built: Built) -> None:
    props = alarm_props(built, built.required_multi_az.free_storage_alarm)
    assert (props["Statistic"], props["ComparisonOperator"]) == ("Minimum", "LessThanThreshold")
    assert props["Threshold"] == services.POSTGRES_ALLOCATED_STORAGE_GB * 1024**3 / 10 == 2 * 1024**3


def test_connections_alarm_fires_above_80_percent_of_what_the_instance_class_allows(built: Built) -> None:
    props = alarm_props(built, built.required_multi_az.connections_alarm)
    assert (props["Statistic"], props["ComparisonOperator"]) == ("Maximum", "GreaterThanThreshold")
    # db.t4g.micro: 1 GiB / 9531392 = 112 connections, 5 reserved for superusers, 80 % of the other 107.
    assert alarms.POSTGRES_MAX_CONNECTIONS == 112
    assert props["Threshold"] == 85


def test_without_a_topic_the_instance_raises_no_alarm(built: Built) -> None:
    for database in (built.db, built.relaxed):
        assert (database.cpu_alarm, database.free_storage_alarm, database.connections_alarm) == (None, None, None)
    alarmed = [
        r["Properties"]["Dimensions"][0]["Value"]
        for r in built.resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    assert len(alarmed) == 3
    assert all(value == built.ref(built.required_multi_az.instance.ref) for value in alarmed)
