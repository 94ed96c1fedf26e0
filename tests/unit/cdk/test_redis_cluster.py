"""RedisReplicationGroup: TLS required, AUTH only by reference, encrypted logs, and replicas per profile."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.redis_cluster import RedisReplicationGroup
from constructs_lib.policy import ConfigurationError, compute, engines, naming, profile_named, retention, services

ENGINE = engines.engine("redis")
OFFERED_REGION = sorted(ENGINE.regions)[0]


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    resources: dict[str, Any]
    cache: RedisReplicationGroup
    replicated: RedisReplicationGroup
    relaxed: RedisReplicationGroup
    client: ec2.SecurityGroup
    reader_role: iam.Role

    def entry(self, resource: Any) -> dict[str, Any]:
        return self.resources[self.stack.get_logical_id(resource)]

    def props(self, resource: Any) -> dict[str, Any]:
        return self.entry(resource)["Properties"]

    def ref(self, value: Any) -> Any:
        return self.stack.resolve(value)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    env = cdk.Environment(region=OFFERED_REGION) if profile == "prod" else None
    stack = cdk.Stack(app, "Redis", env=env)
    cache = RedisReplicationGroup(stack, "SessionCache")
    shared: dict[str, Any] = {"vpc": cache.vpc, "encryption_key": cache.encryption_key}
    replicated = RedisReplicationGroup(stack, "Replicated", replicas=1, **shared)
    relaxed = RedisReplicationGroup(stack, "Relaxed", replicas=0, snapshot_retention_limit=1, **shared)
    client = ec2.SecurityGroup(stack, "Client", vpc=cache.vpc)
    cache.allow_from(client)
    reader_role = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    cache.grant_read_auth_token(reader_role)
    template = Template.from_stack(stack)
    return Built(stack, template, template.to_json()["Resources"], cache, replicated, relaxed, client, reader_role)


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
    return b.ref(b.cache.encryption_key.key_arn)


def test_engine_version_node_type_and_name_are_the_policys(built: Built) -> None:
    props = built.props(built.cache.replication_group)
    assert (props["Engine"], props["EngineVersion"]) == ("redis", ENGINE.version)
    assert props["CacheNodeType"] == services.CACHE_NODE_TYPE
    suffix = built.stack.node.try_get_context("environmentSuffix")
    assert props["ReplicationGroupId"] == naming.resource_name("elasticache_replication_group", "session-cache", suffix)


def test_clients_must_use_tls_and_data_at_rest_is_encrypted_with_the_stacks_key(built: Built) -> None:
    props = built.props(built.cache.replication_group)
    assert props["TransitEncryptionEnabled"] is True
    assert props["TransitEncryptionMode"] == "required"
    assert (props["AtRestEncryptionEnabled"], props["KmsKeyId"]) == (True, key_arn(built))


def test_auth_token_is_a_dynamic_reference_to_the_generated_secret_never_a_literal(built: Built) -> None:
    token = built.props(built.cache.replication_group)["AuthToken"]
    secret_id = built.stack.get_logical_id(built.cache.auth_secret.node.default_child)
    assert token == {"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString:::}}"]]}


def test_auth_secret_is_generated_under_the_key_without_characters_redis_rejects(built: Built) -> None:
    secret = built.props(built.cache.auth_secret.node.default_child)
    assert secret["KmsKeyId"] == key_arn(built)
    assert secret["GenerateSecretString"] == {
        "PasswordLength": services.CACHE_AUTH_TOKEN_LENGTH,
        "ExcludeCharacters": services.CACHE_AUTH_TOKEN_EXCLUDED_CHARACTERS,
    }
    assert "SecretString" not in secret


def test_dev_has_one_node_so_no_failover_prod_a_replica_with_failover_across_azs(dev: Built, prod: Built) -> None:
    for b in (dev, prod):
        replicas = profile_named(b.stack.node.try_get_context("profile")).cache_replicas
        props = b.props(b.cache.replication_group)
        assert props["NumCacheClusters"] == 1 + replicas
        assert props["AutomaticFailoverEnabled"] is (replicas > 0)
        assert props["MultiAZEnabled"] is (replicas > 0)
    assert dev.props(dev.cache.replication_group)["AutomaticFailoverEnabled"] is False
    assert prod.props(prod.cache.replication_group)["AutomaticFailoverEnabled"] is True


def test_snapshots_are_kept_for_the_policy_days(built: Built) -> None:
    assert (
        built.props(built.cache.replication_group)["SnapshotRetentionLimit"] == services.CACHE_SNAPSHOT_RETENTION_DAYS
    )


def test_cache_is_in_isolated_subnets_behind_a_group_opened_only_by_allow_from(built: Built) -> None:
    props = built.props(built.cache.replication_group)
    subnet_group = built.resources[props["CacheSubnetGroupName"]["Ref"]]["Properties"]
    assert subnet_group["SubnetIds"] == built.ref(
        built.cache.vpc.select_subnets(subnet_group_name="isolated").subnet_ids
    )
    group_id = built.stack.get_logical_id(built.cache.security_group.node.default_child)
    assert props["SecurityGroupIds"] == [{"Fn::GetAtt": [group_id, "GroupId"]}]
    assert "SecurityGroupIngress" not in built.resources[group_id]["Properties"]
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": {"Fn::GetAtt": [group_id, "GroupId"]},
            "SourceSecurityGroupId": built.ref(built.client.security_group_id),
            "FromPort": services.CACHE_PORT,
            "ToPort": services.CACHE_PORT,
        },
    )


def test_slow_and_engine_logs_go_as_json_to_two_encrypted_log_groups(built: Built) -> None:
    deliveries = built.props(built.cache.replication_group)["LogDeliveryConfigurations"]
    assert sorted(d["LogType"] for d in deliveries) == sorted(compute.CACHE_LOG_TYPES)
    for delivery in deliveries:
        assert (delivery["DestinationType"], delivery["LogFormat"]) == ("cloudwatch-logs", "json")
        log_group = built.cache.log_groups[delivery["LogType"]]
        assert delivery["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"] == built.ref(
            log_group.log_group_name
        )
        props = built.props(log_group.node.default_child)
        assert props["KmsKeyId"] == key_arn(built)
        assert props["RetentionInDays"] == retention.log_retention_days(compute.CACHE_LOG_PURPOSE)


def test_dev_deletes_cache_and_secret_prod_snapshots_the_cache_and_retains_the_secret(dev: Built, prod: Built) -> None:
    assert dev.entry(dev.cache.replication_group)["DeletionPolicy"] == "Delete"
    assert dev.entry(dev.cache.auth_secret.node.default_child)["DeletionPolicy"] == "Delete"
    assert prod.entry(prod.cache.replication_group)["DeletionPolicy"] == "Snapshot"
    assert prod.entry(prod.cache.auth_secret.node.default_child)["DeletionPolicy"] == "Retain"


def test_a_replica_required_by_the_system_turns_on_failover_in_dev_without_a_warning(dev: Built) -> None:
    props = dev.props(dev.replicated.replication_group)
    assert (props["NumCacheClusters"], props["AutomaticFailoverEnabled"], props["MultiAZEnabled"]) == (2, True, True)
    assert Annotations.from_stack(dev.stack).find_warning(f"/{dev.replicated.node.path}", Match.any_value()) == []


def test_fewer_replicas_and_shorter_snapshots_are_applied_and_reported(prod: Built) -> None:
    props = prod.props(prod.relaxed.replication_group)
    assert (props["NumCacheClusters"], props["AutomaticFailoverEnabled"], props["SnapshotRetentionLimit"]) == (
        1,
        False,
        1,
    )
    annotations = Annotations.from_stack(prod.stack)
    for prop in ("replicas", "snapshot_retention_limit"):
        annotations.has_warning(f"/{prod.relaxed.node.path}", Match.string_like_regexp(f"'{prop}' overrides"))


def test_grant_read_auth_token_reads_only_the_secret_and_decrypts_only_through_secrets_manager(dev: Built) -> None:
    dev.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [dev.ref(dev.reader_role.role_name)],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": list(compute.DATABASE_SECRET_READ_ACTIONS),
                        "Effect": "Allow",
                        "Resource": dev.ref(dev.cache.auth_secret.secret_arn),
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


def test_exposed_attributes_point_at_the_primary_endpoint(dev: Built) -> None:
    logical_id = dev.stack.get_logical_id(dev.cache.replication_group)
    assert dev.ref(dev.cache.primary_endpoint_address) == {"Fn::GetAtt": [logical_id, "PrimaryEndPoint.Address"]}
    assert dev.ref(dev.cache.primary_endpoint_port) == {"Fn::GetAtt": [logical_id, "PrimaryEndPoint.Port"]}
    assert dev.ref(dev.cache.port) == {"Fn::GetAtt": [logical_id, "PrimaryEndPoint.Port"]}
    assert dev.ref(dev.cache.replication_group_id) == {"Ref": logical_id}
    assert dev.cache.connections.security_groups[0] is dev.cache.security_group
    assert dev.cache.connections.default_port.to_string() == str(services.CACHE_PORT)


def test_prod_stack_in_an_offered_region_passes_the_region_check(prod: Built) -> None:
    assert prod.stack.region == OFFERED_REGION
    assert prod.props(prod.cache.replication_group)["EngineVersion"] == ENGINE.version


def test_region_where_the_engine_is_not_offered_fails_at_synth_naming_the_region() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "Elsewhere", env=cdk.Environment(region="mx-central-1"))
    with pytest.raises(ConfigurationError, match="mx-central-1") as raised:
        RedisReplicationGroup(stack, "Cache")
    assert raised.value.field == "region"


def test_a_suffix_too_long_for_the_40_character_name_fails_at_synth() -> None:
    suffix = "pr-" + "7" * 40
    stack = cdk.Stack(cdk.App(context={"profile": "dev", "environmentSuffix": suffix}), "LongName")
    with pytest.raises(ConfigurationError, match="40") as raised:
        RedisReplicationGroup(stack, "Cache")
    assert (raised.value.field, raised.value.value) == ("environment_suffix", suffix)


@pytest.mark.parametrize(
    ("profile", "overrides", "field"),
    [
        ("dev", {"automatic_failover_enabled": True}, "automatic_failover_enabled"),
        ("prod", {"automatic_failover_enabled": False}, "multi_az_enabled"),
        ("dev", {"auth_token": cdk.Fn.ref("SomeParameter")}, "auth_token"),
    ],
)
def test_settings_elasticache_would_refuse_on_deploy_fail_at_synth(
    profile: str, overrides: dict[str, Any], field: str
) -> None:
    stack = cdk.Stack(cdk.App(context={"profile": profile}), "Refused")
    with pytest.raises(ConfigurationError) as raised:
        RedisReplicationGroup(stack, "Cache", **overrides)
    assert raised.value.field == field
