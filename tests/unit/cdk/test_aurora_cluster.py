"""AuroraServerlessCluster: a writer always exists, scaling per profile, and the same controls as PostgresInstance."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.aurora_cluster import AuroraServerlessCluster
from constructs_lib.policy import ConfigurationError, compute, engines, profile_named, retention, services

ENGINE = engines.engine("aurora-postgresql")
OFFERED_REGION = sorted(ENGINE.regions)[0]


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    resources: dict[str, Any]
    db: AuroraServerlessCluster
    more_readers: AuroraServerlessCluster
    fewer_readers: AuroraServerlessCluster
    client: ec2.SecurityGroup
    reader_role: iam.Role

    def entry(self, resource: cdk.CfnResource) -> dict[str, Any]:
        return self.resources[self.stack.get_logical_id(resource)]

    def props(self, resource: cdk.CfnResource) -> dict[str, Any]:
        return self.entry(resource)["Properties"]

    def ref(self, construct: Any) -> Any:
        return self.stack.resolve(construct)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    env = cdk.Environment(region=OFFERED_REGION) if profile == "prod" else None
    stack = cdk.Stack(app, "Aurora", env=env)
    db = AuroraServerlessCluster(stack, "Telemetry")
    shared: dict[str, Any] = {"vpc": db.vpc, "encryption_key": db.encryption_key}
    more = AuroraServerlessCluster(stack, "Reporting", readers=2, **shared)
    fewer = AuroraServerlessCluster(stack, "Scratch", readers=0, max_capacity=4, **shared)
    client = ec2.SecurityGroup(stack, "Client", vpc=db.vpc)
    db.allow_from(client)
    reader_role = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    db.grant_connect_secret(reader_role)
    template = Template.from_stack(stack)
    return Built(stack, template, template.to_json()["Resources"], db, more, fewer, client, reader_role)


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request: pytest.FixtureRequest) -> Built:
    return build(request.param)


@pytest.fixture(scope="module")
def dev() -> Built:
    return build("dev")


@pytest.fixture(scope="module")
def prod() -> Built:
    return build("prod")


def key_arn(b: Built) -> Any:
    return b.ref(b.db.encryption_key.key_arn)


def members(b: Built, cluster: AuroraServerlessCluster) -> list[dict[str, Any]]:
    """Every DB instance whose DBClusterIdentifier is a Ref to ``cluster``."""
    cluster_ref = {"Ref": b.stack.get_logical_id(cluster.cluster)}
    return [
        r
        for r in b.resources.values()
        if r["Type"] == "AWS::RDS::DBInstance" and r["Properties"].get("DBClusterIdentifier") == cluster_ref
    ]


def test_engine_version_and_parameter_family_are_the_policys(built: Built) -> None:
    props = built.props(built.db.cluster)
    assert (props["Engine"], props["EngineVersion"]) == ("aurora-postgresql", ENGINE.version)
    group = built.resources[props["DBClusterParameterGroupName"]["Ref"]]["Properties"]
    assert group["Family"] == ENGINE.family


def test_cluster_always_has_a_serverless_writer_referencing_it(built: Built) -> None:
    writer = built.props(built.db.writer)
    assert writer["DBClusterIdentifier"] == {"Ref": built.stack.get_logical_id(built.db.cluster)}
    assert writer["DBInstanceClass"] == compute.AURORA_INSTANCE_CLASS
    assert writer["PromotionTier"] == compute.AURORA_WRITER_PROMOTION_TIER
    assert writer["PubliclyAccessible"] is False
    for cluster in (built.db, built.more_readers, built.fewer_readers):
        assert any(
            m["Properties"]["PromotionTier"] == compute.AURORA_WRITER_PROMOTION_TIER for m in members(built, cluster)
        )


def test_readers_follow_the_profile_and_are_created_after_the_writer(built: Built) -> None:
    profile = profile_named(built.stack.node.try_get_context("profile"))
    readers = [
        m for m in members(built, built.db) if m["Properties"]["PromotionTier"] == compute.AURORA_READER_PROMOTION_TIER
    ]
    assert len(readers) == profile.aurora_readers
    writer_id = built.stack.get_logical_id(built.db.writer)
    assert all(writer_id in reader["DependsOn"] for reader in readers)


def test_dev_scales_to_zero_and_pauses_after_the_profiles_idle_time(dev: Built) -> None:
    scaling = dev.props(dev.db.cluster)["ServerlessV2ScalingConfiguration"]
    assert scaling == {
        "MinCapacity": 0,
        "MaxCapacity": profile_named("dev").aurora_max_capacity,
        "SecondsUntilAutoPause": profile_named("dev").aurora_auto_pause_seconds,
    }


def test_prod_keeps_a_warm_floor_and_never_pauses(prod: Built) -> None:
    scaling = prod.props(prod.db.cluster)["ServerlessV2ScalingConfiguration"]
    assert scaling == {"MinCapacity": 0.5, "MaxCapacity": profile_named("prod").aurora_max_capacity}


def test_master_password_is_managed_by_rds_under_the_key_and_storage_is_encrypted_with_it(built: Built) -> None:
    props = built.props(built.db.cluster)
    assert props["ManageMasterUserPassword"] is True
    assert props["MasterUserSecret"] == {"KmsKeyId": key_arn(built)}
    assert (props["StorageEncrypted"], props["KmsKeyId"]) == (True, key_arn(built))
    assert not [r for r in built.resources.values() if "MasterUserPassword" in r.get("Properties", {})]


def test_cluster_parameter_group_forces_tls_and_logs_connections(built: Built) -> None:
    group = built.resources[built.props(built.db.cluster)["DBClusterParameterGroupName"]["Ref"]]["Properties"]
    assert group["Parameters"] == {**compute.DATABASE_TLS_PARAMETERS, **compute.DATABASE_LOGGING_PARAMETERS}


def test_postgresql_log_is_exported_to_an_encrypted_audit_log_group_created_first(built: Built) -> None:
    entry = built.entry(built.db.cluster)
    assert entry["Properties"]["EnableCloudwatchLogsExports"] == ["postgresql"]
    (log_group,) = built.db.log_groups
    props = built.props(log_group.node.default_child)
    assert props["LogGroupName"] == f"/aws/rds/cluster/{entry['Properties']['DBClusterIdentifier']}/postgresql"
    assert props["KmsKeyId"] == key_arn(built)
    assert props["RetentionInDays"] == retention.log_retention_days(compute.DATABASE_LOG_PURPOSE)
    assert built.stack.get_logical_id(log_group.node.default_child) in entry["DependsOn"]


def test_backups_iam_auth_and_tags_to_snapshots_are_on(built: Built) -> None:
    props = built.props(built.db.cluster)
    assert props["BackupRetentionPeriod"] == retention.DATABASE_BACKUP_RETENTION_DAYS
    assert props["EnableIAMDatabaseAuthentication"] is True
    assert props["CopyTagsToSnapshot"] is True


def test_every_instance_has_performance_insights_under_the_key_and_enhanced_monitoring(built: Built) -> None:
    for member in members(built, built.db):
        props = member["Properties"]
        assert (props["EnablePerformanceInsights"], props["PerformanceInsightsKMSKeyId"]) == (True, key_arn(built))
        assert props["MonitoringInterval"] == services.DATABASE_MONITORING_INTERVAL_SECONDS
        assert "MonitoringRoleArn" in props


def test_cluster_is_in_isolated_subnets_behind_a_group_opened_only_by_allow_from(built: Built) -> None:
    props = built.props(built.db.cluster)
    subnet_group = built.resources[props["DBSubnetGroupName"]["Ref"]]["Properties"]
    assert subnet_group["SubnetIds"] == built.ref(built.db.vpc.select_subnets(subnet_group_name="isolated").subnet_ids)
    group_id = built.stack.get_logical_id(built.db.security_group.node.default_child)
    assert "SecurityGroupIngress" not in built.resources[group_id]["Properties"]
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": {"Fn::GetAtt": [group_id, "GroupId"]},
            "SourceSecurityGroupId": built.ref(built.client.security_group_id),
            "FromPort": services.DATABASE_PORT,
            "ToPort": services.DATABASE_PORT,
        },
    )


def test_dev_cluster_is_unprotected_and_deleted(dev: Built) -> None:
    entry = dev.entry(dev.db.cluster)
    assert entry["Properties"]["DeletionProtection"] is False
    assert entry["DeletionPolicy"] == "Delete"


def test_prod_cluster_is_protected_and_leaves_a_final_snapshot_while_instances_are_deleted(prod: Built) -> None:
    entry = prod.entry(prod.db.cluster)
    assert entry["Properties"]["DeletionProtection"] is True
    assert (entry["DeletionPolicy"], entry["UpdateReplacePolicy"]) == ("Snapshot", "Snapshot")
    assert all(m.get("DeletionPolicy", "Delete") == "Delete" for m in members(prod, prod.db))


def test_more_readers_than_the_profile_is_a_requirement_not_a_warning(dev: Built) -> None:
    assert len(members(dev, dev.more_readers)) == 3
    assert Annotations.from_stack(dev.stack).find_warning(f"/{dev.more_readers.node.path}", Match.any_value()) == []


def test_fewer_readers_and_other_overrides_are_applied_and_reported(prod: Built) -> None:
    assert len(members(prod, prod.fewer_readers)) == 1
    assert prod.props(prod.fewer_readers.cluster)["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 4
    annotations = Annotations.from_stack(prod.stack)
    for prop in ("readers", "max_capacity"):
        annotations.has_warning(f"/{prod.fewer_readers.node.path}", Match.string_like_regexp(f"'{prop}' overrides"))


def test_grant_connect_secret_reads_the_cluster_secret_and_decrypts_only_through_secrets_manager(dev: Built) -> None:
    dev.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [dev.ref(dev.reader_role.role_name)],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": list(compute.DATABASE_SECRET_READ_ACTIONS),
                        "Effect": "Allow",
                        "Resource": dev.ref(dev.db.secret_arn),
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


def test_exposed_attributes_point_at_the_cluster(dev: Built) -> None:
    logical_id = dev.stack.get_logical_id(dev.db.cluster)
    assert dev.ref(dev.db.endpoint_address) == {"Fn::GetAtt": [logical_id, "Endpoint.Address"]}
    assert dev.ref(dev.db.reader_endpoint_address) == {"Fn::GetAtt": [logical_id, "ReadEndpoint.Address"]}
    assert dev.ref(dev.db.secret_arn) == {"Fn::GetAtt": [logical_id, "MasterUserSecret.SecretArn"]}
    assert dev.ref(dev.db.cluster_identifier) == {"Ref": logical_id}
    assert dev.ref(dev.db.port) == {"Fn::GetAtt": [logical_id, "Endpoint.Port"]}
    assert dev.db.database_name == services.DATABASE_NAME
    assert dev.db.connections.security_groups[0] is dev.db.security_group
    assert dev.db.connections.default_port.to_string() == str(services.DATABASE_PORT)


def test_prod_stack_in_an_offered_region_passes_the_region_check(prod: Built) -> None:
    assert prod.stack.region == OFFERED_REGION
    assert prod.props(prod.db.cluster)["EngineVersion"] == ENGINE.version


def test_region_where_the_engine_is_not_offered_fails_at_synth_naming_the_region() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "Elsewhere", env=cdk.Environment(region="mx-central-1"))
    with pytest.raises(ConfigurationError, match="mx-central-1") as raised:
        AuroraServerlessCluster(stack, "Db")
    assert raised.value.field == "region"


@pytest.mark.parametrize(
    ("profile", "overrides", "field"),
    [
        ("prod", {"min_capacity": 0}, "seconds_until_auto_pause"),
        ("dev", {"seconds_until_auto_pause": 60}, "seconds_until_auto_pause"),
        ("dev", {"min_capacity": 4, "max_capacity": 2}, "max_capacity"),
        ("dev", {"readers": -1}, "readers"),
        ("dev", {"master_user_password": cdk.Fn.ref("SomeParameter")}, "master_user_password"),
    ],
)
def test_settings_aurora_would_refuse_on_deploy_fail_at_synth(
    profile: str, overrides: dict[str, Any], field: str
) -> None:
    stack = cdk.Stack(cdk.App(context={"profile": profile}), "Refused")
    with pytest.raises(ConfigurationError) as raised:
        AuroraServerlessCluster(stack, "Db", **overrides)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"serverless_v2_scaling_configuration": {"min_capacity": 1}}, "serverless_v2_scaling_configuration"),
        ({"instance_props": {"promotion_tier": 3}}, "instance_props.promotion_tier"),
        ({"instance_props": {"db_instance_identifier": "mine"}}, "instance_props.db_instance_identifier"),
    ],
)
def test_what_the_cluster_sets_from_its_own_arguments_is_refused(overrides: dict[str, Any], field: str) -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "Refused")
    with pytest.raises(ConfigurationError) as raised:
        AuroraServerlessCluster(stack, "Db", **overrides)
    assert raised.value.field == field


def test_prod_instance_props_reach_the_writer_and_the_reader_and_are_reported() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "prod", "environmentSuffix": "t1"}), "Members")
    db = AuroraServerlessCluster(stack, "Db", instance_props={"performance_insights_retention_period": 31})
    instances = Template.from_stack(stack).find_resources("AWS::RDS::DBInstance").values()
    assert [i["Properties"]["PerformanceInsightsRetentionPeriod"] for i in instances] == [31, 31]
    Annotations.from_stack(stack).has_warning(
        f"/{db.node.path}",
        Match.string_like_regexp(
            f"'instance_props.performance_insights_retention_period' overrides the hardened default "
            f"{services.PERFORMANCE_INSIGHTS_RETENTION_DAYS} with 31"
        ),
    )
