"""cdktf PostgresInstance and RedisReplicationGroup: the controls of their CDK twins, secure with no arguments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cdktf
import pytest
from tfjson import by_path, ref, resources

from constructs_lib.policy import ConfigurationError, compute, engines, retention, services


def _stack(tmp_path_factory: pytest.TempPathFactory, profile: str) -> cdktf.TerraformStack:
    from constructs_lib.cdktf.provider import aws_provider

    app = cdktf.App(
        outdir=str(tmp_path_factory.mktemp("stores")), context={"profile": profile, "environmentSuffix": "t1"}
    )
    stack = cdktf.TerraformStack(app, "stores")
    aws_provider(stack, "us-east-1", {"System": "stores"})
    return stack


def _synth(stack: cdktf.TerraformStack) -> dict[str, Any]:
    app = stack.node.root
    app.synth()
    return json.loads((Path(app.outdir) / "stacks" / stack.node.id / "cdk.tf.json").read_text())


def _warnings(construct: Any) -> list[str]:
    return [entry.data for entry in construct.node.metadata if entry.type == "@cdktf/warn"]


def _build(tmp_path_factory: pytest.TempPathFactory, profile: str) -> dict[str, Any]:
    """A bare instance and cache (own key and network), and a pair sharing a network, a key and an alarm topic."""
    from cdktf_cdktf_provider_aws.security_group import SecurityGroup

    from constructs_lib.cdktf.alarm_topic import AlarmTopic
    from constructs_lib.cdktf.encryption_key import EncryptionKey
    from constructs_lib.cdktf.network import Network
    from constructs_lib.cdktf.postgres_instance import PostgresInstance
    from constructs_lib.cdktf.redis_cluster import RedisReplicationGroup

    stack = _stack(tmp_path_factory, profile)
    PostgresInstance(stack, "bare-db")
    RedisReplicationGroup(stack, "bare-cache")
    key = EncryptionKey(stack, "key")
    network = Network(stack, "net", encryption_key=key)
    topic = AlarmTopic(stack, "topic", encryption_key=key)
    clients = SecurityGroup(stack, "clients", vpc_id=network.vpc.id)
    db = PostgresInstance(stack, "db", network=network, encryption_key=key, alarm_topic=topic)
    db.allow_from(clients, "the clients")
    cache = RedisReplicationGroup(stack, "cache", network=network, encryption_key=key)
    cache.allow_from(clients, "the clients")
    return _synth(stack)


@pytest.fixture(scope="module")
def synthesized(tf_app, tmp_path_factory) -> dict[str, dict[str, Any]]:
    return {profile: _build(tmp_path_factory, profile) for profile in ("dev", "prod")}


@pytest.fixture(scope="module")
def dev(synthesized) -> dict[str, Any]:
    return synthesized["dev"]


@pytest.fixture(scope="module")
def prod(synthesized) -> dict[str, Any]:
    return synthesized["prod"]


KEY = ("aws_kms_key", "stores/key/key", "arn")


# --- PostgresInstance ----------------------------------------------------------------------------------------------


def test_postgres_engine_version_and_parameter_family_come_from_policy(dev):
    engine = engines.engine("postgres")
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    assert (instance["engine"], instance["engine_version"]) == (engine.engine, engine.version)
    assert by_path(dev, "aws_db_parameter_group", "stores/db/parameters")["family"] == engine.family


def test_postgres_storage_insights_and_master_secret_are_encrypted_with_the_given_key(dev):
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    key = ref(dev, *KEY)
    assert instance["storage_encrypted"] is True and instance["kms_key_id"] == key
    assert instance["performance_insights_kms_key_id"] == key
    assert instance["master_user_secret_kms_key_id"] == key


def test_postgres_without_a_key_or_network_gets_its_own(dev):
    instance = by_path(dev, "aws_db_instance", "stores/bare-db/instance")
    assert instance["kms_key_id"] == ref(dev, "aws_kms_key", "stores/bare-db/key/key", "arn")
    subnets = by_path(dev, "aws_db_subnet_group", "stores/bare-db/subnets")["subnet_ids"]
    assert subnets == [ref(dev, "aws_subnet", f"stores/bare-db/network/isolated-{i}", "id") for i in range(2)]


def test_postgres_master_password_is_managed_by_rds(dev):
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    assert instance["manage_master_user_password"] is True
    assert "password" not in instance
    assert instance["username"] == services.DATABASE_MASTER_USERNAME


def test_postgres_uses_iam_database_authentication(dev):
    assert by_path(dev, "aws_db_instance", "stores/db/instance")["iam_database_authentication_enabled"] is True


def test_postgres_is_private_in_the_networks_isolated_subnets(dev):
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    assert instance["publicly_accessible"] is False
    assert instance["db_subnet_group_name"] == ref(dev, "aws_db_subnet_group", "stores/db/subnets", "name")
    subnets = by_path(dev, "aws_db_subnet_group", "stores/db/subnets")["subnet_ids"]
    assert subnets == [ref(dev, "aws_subnet", f"stores/net/isolated-{i}", "id") for i in range(2)]


def test_postgres_security_group_admits_only_allowed_groups_on_its_port(dev):
    group = by_path(dev, "aws_security_group", "stores/db/security-group")
    assert "ingress" not in group and "egress" not in group
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    assert instance["vpc_security_group_ids"] == [ref(dev, "aws_security_group", "stores/db/security-group", "id")]
    rule = by_path(dev, "aws_vpc_security_group_ingress_rule", "stores/db/ingress-0")
    assert rule["referenced_security_group_id"] == ref(dev, "aws_security_group", "stores/clients", "id")
    assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (5432, 5432, "tcp")


def test_postgres_parameter_group_forces_tls_and_logs_connections(dev):
    parameters = by_path(dev, "aws_db_parameter_group", "stores/db/parameters")["parameter"]
    values = {p["name"]: p["value"] for p in parameters}
    assert values == {**compute.DATABASE_TLS_PARAMETERS, **compute.DATABASE_LOGGING_PARAMETERS}
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    assert instance["parameter_group_name"] == ref(dev, "aws_db_parameter_group", "stores/db/parameters", "name")
    assert instance["ca_cert_identifier"] == compute.DATABASE_CA_CERTIFICATE


def test_postgres_backups_are_kept_and_copy_tags(dev):
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    assert instance["backup_retention_period"] == retention.DATABASE_BACKUP_RETENTION_DAYS
    assert instance["copy_tags_to_snapshot"] is True and instance["auto_minor_version_upgrade"] is True


def test_postgres_enhanced_monitoring_and_performance_insights_are_on(dev):
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    assert instance["monitoring_interval"] == services.DATABASE_MONITORING_INTERVAL_SECONDS
    assert instance["monitoring_role_arn"] == ref(dev, "aws_iam_role", "stores/db/monitoring-role/role", "arn")
    assert instance["performance_insights_enabled"] is True
    assert instance["performance_insights_retention_period"] == services.PERFORMANCE_INSIGHTS_RETENTION_DAYS


def test_postgres_logs_go_to_encrypted_audit_log_groups_created_before_the_instance(dev):
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    assert instance["enabled_cloudwatch_logs_exports"] == list(compute.POSTGRES_INSTANCE_EXPORTED_LOGS)
    for log in compute.POSTGRES_INSTANCE_EXPORTED_LOGS:
        group = by_path(dev, "aws_cloudwatch_log_group", f"stores/db/{log}-logs/group")
        assert group["name"] == f"/aws/rds/instance/db-t1/{log}"
        assert group["kms_key_id"] == ref(dev, *KEY)
        assert group["retention_in_days"] == retention.log_retention_days("audit")
        address = ref(dev, "aws_cloudwatch_log_group", f"stores/db/{log}-logs/group", "id")[2:-4]
        assert address in instance["depends_on"]


def test_dev_postgres_is_single_az_unprotected_and_skips_the_final_snapshot(dev):
    instance = by_path(dev, "aws_db_instance", "stores/db/instance")
    assert instance["multi_az"] is False and instance["deletion_protection"] is False
    assert instance["skip_final_snapshot"] is True and "final_snapshot_identifier" not in instance
    assert instance["delete_automated_backups"] is True


def test_prod_postgres_is_multi_az_protected_and_takes_a_final_snapshot(prod):
    instance = by_path(prod, "aws_db_instance", "stores/db/instance")
    assert instance["multi_az"] is True and instance["deletion_protection"] is True
    assert instance["skip_final_snapshot"] is False and instance["final_snapshot_identifier"] == "db-t1-final"
    assert instance["delete_automated_backups"] is False


def test_postgres_alarms_notify_the_topic_only_when_given_one(dev):
    topic = ref(dev, "aws_sns_topic", "stores/topic/topic", "arn")
    for name in ("cpu-alarm", "free-storage-alarm", "connections-alarm"):
        alarm = by_path(dev, "aws_cloudwatch_metric_alarm", f"stores/db/{name}")
        assert alarm["alarm_actions"] == [topic] and alarm["ok_actions"] == [topic]
    bare = [
        a for a in resources(dev, "aws_cloudwatch_metric_alarm").values() if "/bare-db/" in a["//"]["metadata"]["path"]
    ]
    assert bare == []


def test_postgres_refuses_a_master_password(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.postgres_instance import PostgresInstance

    with pytest.raises(ConfigurationError, match="password"):
        PostgresInstance(_stack(tmp_path_factory, "dev"), "db", password="hunter2hunter2")


def test_postgres_override_is_applied_and_warned(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.postgres_instance import PostgresInstance

    stack = _stack(tmp_path_factory, "dev")
    db = PostgresInstance(stack, "db", instance_class="db.t4g.small", parameters={"log_statement": "all"})
    instance = by_path(_synth(stack), "aws_db_instance", "stores/db/instance")
    assert instance["instance_class"] == "db.t4g.small"
    warnings = _warnings(db)
    assert any("[hardened:override:instance_class]" in w for w in warnings)
    assert any("[hardened:override:log_statement]" in w for w in warnings)


def test_postgres_depends_on_adds_to_the_log_groups_and_role_it_waits_for(tf_app, tmp_path_factory):
    from cdktf_cdktf_provider_aws.security_group import SecurityGroup

    from constructs_lib.cdktf.postgres_instance import PostgresInstance

    stack = _stack(tmp_path_factory, "dev")
    PostgresInstance(stack, "db", depends_on=[SecurityGroup(stack, "first")])
    depends_on = by_path(_synth(stack), "aws_db_instance", "stores/db/instance")["depends_on"]
    assert "aws_security_group.first" in depends_on
    assert len([d for d in depends_on if d.startswith("aws_cloudwatch_log_group.")]) == 2


# --- RedisReplicationGroup -----------------------------------------------------------------------------------------


def test_redis_engine_and_version_come_from_policy(dev):
    engine = engines.engine("redis")
    group = by_path(dev, "aws_elasticache_replication_group", "stores/cache/replication-group")
    assert (group["engine"], group["engine_version"]) == (engine.engine, engine.version)


def test_redis_requires_tls_and_encrypts_at_rest_with_the_given_key(dev):
    group = by_path(dev, "aws_elasticache_replication_group", "stores/cache/replication-group")
    assert group["transit_encryption_enabled"] is True
    assert group["transit_encryption_mode"] == compute.CACHE_TRANSIT_ENCRYPTION_MODE == "required"
    assert group["at_rest_encryption_enabled"] == "true" and group["kms_key_id"] == ref(dev, *KEY)


def test_redis_auth_token_is_generated_into_a_secret_under_the_key(dev):
    group = by_path(dev, "aws_elasticache_replication_group", "stores/cache/replication-group")
    version = by_path(dev, "aws_secretsmanager_secret_version", "stores/cache/auth-token-version")
    assert group["auth_token"] == ref(
        dev, "aws_secretsmanager_secret_version", "stores/cache/auth-token-version", "secret_string"
    )
    assert version["secret_id"] == ref(dev, "aws_secretsmanager_secret", "stores/cache/auth-token", "id")
    assert version["lifecycle"] == {"ignore_changes": ["secret_string"]}
    (generator,) = [
        body
        for body in dev["data"]["aws_secretsmanager_random_password"].values()
        if body["//"]["metadata"]["path"].endswith("stores/cache/auth-token-value")
    ]
    assert generator["password_length"] == services.CACHE_AUTH_TOKEN_LENGTH
    assert generator["exclude_characters"] == services.CACHE_AUTH_TOKEN_EXCLUDED_CHARACTERS
    secret = by_path(dev, "aws_secretsmanager_secret", "stores/cache/auth-token")
    assert secret["kms_key_id"] == ref(dev, *KEY) and secret["recovery_window_in_days"] == 0


def test_dev_redis_is_one_node_without_failover_or_final_snapshot(dev):
    group = by_path(dev, "aws_elasticache_replication_group", "stores/cache/replication-group")
    assert group["num_cache_clusters"] == 1
    assert group["automatic_failover_enabled"] is False and group["multi_az_enabled"] is False
    assert "final_snapshot_identifier" not in group


def test_prod_redis_has_a_replica_with_failover_multi_az_and_a_final_snapshot(prod):
    group = by_path(prod, "aws_elasticache_replication_group", "stores/cache/replication-group")
    assert group["num_cache_clusters"] == 2
    assert group["automatic_failover_enabled"] is True and group["multi_az_enabled"] is True
    assert group["final_snapshot_identifier"] == "cache-t1-final"
    assert by_path(prod, "aws_secretsmanager_secret", "stores/cache/auth-token")["recovery_window_in_days"] == 30


def test_redis_keeps_daily_snapshots(dev):
    group = by_path(dev, "aws_elasticache_replication_group", "stores/cache/replication-group")
    assert group["snapshot_retention_limit"] == services.CACHE_SNAPSHOT_RETENTION_DAYS


def test_redis_lives_in_isolated_subnets_behind_its_own_security_group(dev):
    group = by_path(dev, "aws_elasticache_replication_group", "stores/cache/replication-group")
    subnets = by_path(dev, "aws_elasticache_subnet_group", "stores/cache/subnets")
    assert group["subnet_group_name"] == ref(dev, "aws_elasticache_subnet_group", "stores/cache/subnets", "name")
    assert subnets["subnet_ids"] == [ref(dev, "aws_subnet", f"stores/net/isolated-{i}", "id") for i in range(2)]
    assert group["security_group_ids"] == [ref(dev, "aws_security_group", "stores/cache/security-group", "id")]
    rule = by_path(dev, "aws_vpc_security_group_ingress_rule", "stores/cache/ingress-0")
    assert (rule["from_port"], rule["to_port"]) == (services.CACHE_PORT, services.CACHE_PORT)


def test_redis_logs_are_delivered_as_json_to_encrypted_log_groups(dev):
    group = by_path(dev, "aws_elasticache_replication_group", "stores/cache/replication-group")
    deliveries = {d["log_type"]: d for d in group["log_delivery_configuration"]}
    assert set(deliveries) == set(compute.CACHE_LOG_TYPES)
    for log_type, delivery in deliveries.items():
        log_group = ref(dev, "aws_cloudwatch_log_group", f"stores/cache/{log_type}/group", "name")
        assert delivery["destination"] == log_group
        assert (delivery["destination_type"], delivery["log_format"]) == ("cloudwatch-logs", "json")
        encrypted = by_path(dev, "aws_cloudwatch_log_group", f"stores/cache/{log_type}/group")
        assert encrypted["kms_key_id"] == ref(dev, *KEY)


def test_redis_refuses_an_auth_token(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.redis_cluster import RedisReplicationGroup

    with pytest.raises(ConfigurationError, match="auth_token"):
        RedisReplicationGroup(_stack(tmp_path_factory, "dev"), "cache", auth_token="x" * 32)


def test_redis_failover_without_a_replica_fails_at_synth(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.redis_cluster import RedisReplicationGroup

    with pytest.raises(ConfigurationError, match="automatic_failover_enabled"):
        RedisReplicationGroup(_stack(tmp_path_factory, "dev"), "cache", automatic_failover_enabled=True)


def test_prod_redis_with_fewer_replicas_than_the_profile_is_reported(tf_app, tmp_path_factory):
    from constructs_lib.cdktf.redis_cluster import RedisReplicationGroup

    cache = RedisReplicationGroup(_stack(tmp_path_factory, "prod"), "cache", replicas=0)
    assert any("[hardened:override:replicas]" in w for w in _warnings(cache))
