"""The hardening policy: values a reviewer relies on, and bad input rejected with the field and what is allowed."""

from __future__ import annotations

import dataclasses

import pytest

from constructs_lib.policy import (
    ConfigurationError,
    alarms,
    compute,
    engines,
    naming,
    profiles,
    resolve_settings,
    retention,
    storage,
)
from constructs_lib.policy.encryption import cloudwatch_alarms_key_statement, cloudwatch_logs_key_statement


def no_context(_key: str) -> None:
    return None


def test_dev_profile_tears_down_cleanly() -> None:
    dev = profiles.PROFILES["dev"]
    assert dev.database_removal is profiles.RemovalBehaviour.DESTROY
    assert dev.storage_removal is profiles.RemovalBehaviour.DESTROY
    assert not dev.deletion_protection
    assert not dev.nat_gateways_per_az
    assert dev.aurora_min_capacity == 0 and dev.aurora_auto_pause_seconds > 0
    assert dev.secret_recovery_days == 0


def test_prod_profile_loses_no_data() -> None:
    prod = profiles.PROFILES["prod"]
    assert prod.database_removal is profiles.RemovalBehaviour.SNAPSHOT
    assert prod.storage_removal is profiles.RemovalBehaviour.RETAIN
    assert prod.deletion_protection and prod.multi_az and prod.nat_gateways_per_az
    assert prod.aurora_min_capacity >= 0.5 and prod.aurora_readers >= 1


def test_unconfigured_deployment_is_prod_named_after_it() -> None:
    settings = resolve_settings(no_context, {})
    assert settings.profile.name == "prod"
    assert settings.environment_suffix == "prod"


def test_context_wins_over_environment() -> None:
    context = {"profile": "dev", "environmentSuffix": "pr-7"}.get
    settings = resolve_settings(context, {"DEPLOY_PROFILE": "prod", "ENVIRONMENT_SUFFIX": "other"})
    assert (settings.profile.name, settings.environment_suffix) == ("dev", "pr-7")


def test_environment_used_when_context_is_silent() -> None:
    settings = resolve_settings(no_context, {"DEPLOY_PROFILE": "dev", "ENVIRONMENT_SUFFIX": "ci-42"})
    assert (settings.profile.name, settings.environment_suffix) == ("dev", "ci-42")


def test_unknown_profile_names_the_field_and_the_profiles() -> None:
    with pytest.raises(ConfigurationError, match=r"profile='staging' is not allowed: dev, prod"):
        resolve_settings({"profile": "staging"}.get, {})


@pytest.mark.parametrize("suffix", ["Dev", "my env", "-dev", "dev-", "dev--2", "dev_2", ""])
def test_suffix_outside_the_common_charset_is_rejected(suffix: str) -> None:
    with pytest.raises(ConfigurationError, match=r"environment_suffix=.*lower-case letters, digits and inner hyphens"):
        resolve_settings({"environmentSuffix": suffix, "profile": "dev"}.get, {})


def test_suffix_too_long_for_redis_names_the_name_and_limit() -> None:
    with pytest.raises(ConfigurationError, match=r"elasticache_replication_group name .* would be 47 .* AWS allows 40"):
        naming.resource_name("elasticache_replication_group", "iot-cache", "a" * 37)


def test_bucket_name_is_sized_for_a_12_digit_account_and_the_longest_region() -> None:
    assert naming.unique_bucket_name("logs", "dev", "ACCT", "REGION") == "logs-dev-ACCT-REGION"
    longest_ok = 63 - len("logs--") - 12 - 1 - naming.LONGEST_REGION_NAME
    naming.unique_bucket_name("logs", "a" * longest_ok, "ACCT", "REGION")
    with pytest.raises(ConfigurationError, match=r"s3_bucket name 'logs-a+-<account>-<region>' would be 64"):
        naming.unique_bucket_name("logs", "a" * (longest_ok + 1), "ACCT", "REGION")


def test_unknown_name_kind_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="name_kind='dynamo_table'"):
        naming.resource_name("dynamo_table", "x", "dev")


def test_engine_versions_are_not_the_ones_the_seeds_failed_with() -> None:
    assert engines.engine("postgres").version not in {"15.3", "15.8", "15.10"}
    assert engines.engine("postgres").major == "17"
    assert engines.engine("aurora-postgresql").family == "aurora-postgresql17"


def test_region_where_the_engine_is_not_offered_fails_with_the_offered_regions() -> None:
    with pytest.raises(
        ConfigurationError, match=r"region='mx-central-1' is not allowed: postgres 17.9 is offered in: .*eu-west-2"
    ):
        engines.engine("postgres").check_region("mx-central-1")
    engines.engine("postgres").check_region("eu-west-2")


def test_unknown_engine_kind_lists_the_kinds() -> None:
    with pytest.raises(ConfigurationError, match="engine='mysql' is not allowed: aurora-postgresql, postgres, redis"):
        engines.engine("mysql")


def test_log_retention_by_purpose_and_cloudwatch_accepted_values() -> None:
    assert retention.log_retention_days("application") == 14
    assert retention.log_retention_days("audit") >= 365
    with pytest.raises(ConfigurationError, match="log_purpose='debug'"):
        retention.log_retention_days("debug")
    with pytest.raises(ConfigurationError, match="retention_days=10 is not allowed: 1, 3, 5, 7, 14"):
        retention.check_log_retention(10)


def test_cloudwatch_logs_statement_names_the_regional_service_and_scopes_by_context() -> None:
    statement = cloudwatch_logs_key_statement("aws", "eu-west-2", "111122223333")
    assert statement["Principal"] == {"Service": "logs.eu-west-2.amazonaws.com"}
    assert "kms:GenerateDataKey*" in statement["Action"]
    condition = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert condition == "arn:aws:logs:eu-west-2:111122223333:log-group:*"


def test_alarm_statement_is_limited_to_this_account() -> None:
    statement = cloudwatch_alarms_key_statement("111122223333")
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}


def test_alarm_comparator_must_be_cloudwatchs_own_spelling() -> None:
    spec = alarms.STREAM_WRITE_THROTTLED
    with pytest.raises(ConfigurationError) as error:
        dataclasses.replace(spec, comparison_operator=">=")
    assert error.value.field == "comparison_operator"
    assert "GreaterThanOrEqualToThreshold" in error.value.allowed


def test_alarm_counts_page_on_the_first_event_gauges_over_their_limit_floors_below() -> None:
    counts = (
        alarms.STREAM_WRITE_THROTTLED,
        alarms.QUEUE_HAS_MESSAGES,
        alarms.FUNCTION_ERRORS,
        alarms.FUNCTION_THROTTLES,
    )
    assert {(s.comparison_operator, s.threshold) for s in counts} == {("GreaterThanOrEqualToThreshold", 1)}
    gauges = (alarms.STREAM_ITERATOR_AGE, alarms.DATABASE_CPU, alarms.DATABASE_CONNECTIONS)
    assert {s.comparison_operator for s in gauges} == {"GreaterThanThreshold"}
    assert alarms.DATABASE_FREE_STORAGE.comparison_operator == "LessThanThreshold"
    assert len(counts) + len(gauges) + 1 == len(alarms.ALL)


def test_alarm_names_are_unique_per_resource_kind() -> None:
    by_dimension: dict[str, list[str]] = {}
    for spec in alarms.ALL:
        by_dimension.setdefault(spec.dimension, []).append(spec.name_suffix)
    assert all(len(names) == len(set(names)) for names in by_dimension.values())
    assert len(by_dimension) == 4


# --- controls both renderings build from -------------------------------------------------------------------------


def test_access_logs_are_kept_for_the_audit_retention_then_expire() -> None:
    rule = storage.bucket_lifecycle(retention.ACCESS_LOG_EXPIRATION_DAYS)
    assert rule.expiration_days == retention.LOG_RETENTION_DAYS["audit"] == 365
    assert rule.transition_days < rule.expiration_days
    assert storage.bucket_lifecycle().expiration_days is None, "data buckets keep current objects"


@pytest.mark.parametrize("days", [0, retention.TRANSITION_TO_IA_DAYS])
def test_expiring_before_the_infrequent_access_transition_names_the_field(days: int) -> None:
    with pytest.raises(ConfigurationError) as error:
        storage.bucket_lifecycle(days)
    assert error.value.field == "expiration_days"


def test_tls_statements_deny_everyone_without_tls_and_below_the_minimum_version() -> None:
    without_tls, outdated = storage.bucket_tls_statements("arn:aws:s3:::b")
    assert without_tls["Effect"] == outdated["Effect"] == "Deny"
    assert without_tls["Principal"] == outdated["Principal"] == "*"
    assert without_tls["Resource"] == outdated["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    assert without_tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert outdated["Condition"] == {"NumericLessThan": {"s3:TlsVersion": storage.MINIMUM_TLS_VERSION}}
    queue = storage.deny_without_tls("sqs:*", "arn:aws:sqs:eu-west-1:1:q", "DenyRequestsWithoutTls")
    assert queue["Action"] == "sqs:*" and queue["Condition"] == without_tls["Condition"]


@pytest.mark.parametrize(
    ("capacity", "field"),
    [
        ((2, 1, None), "max_capacity"),
        ((0, 2, None), "seconds_until_auto_pause"),
        ((0, 2, 60), "seconds_until_auto_pause"),
    ],
)
def test_aurora_scaling_aurora_would_refuse_names_the_field(
    capacity: tuple[float, float, int | None], field: str
) -> None:
    with pytest.raises(ConfigurationError) as error:
        compute.check_aurora_scaling(*capacity)
    assert error.value.field == field
    compute.check_aurora_scaling(0, 2, 300)
    compute.check_aurora_scaling(0.5, 2, None)


def test_database_controls_are_the_hardened_ones() -> None:
    assert compute.DATABASE_STORAGE_ENCRYPTED and compute.DATABASE_IAM_AUTHENTICATION
    assert compute.DATABASE_MANAGED_MASTER_PASSWORD and compute.DATABASE_COPY_TAGS_TO_SNAPSHOT
    assert compute.DATABASE_PUBLICLY_ACCESSIBLE is False


@pytest.mark.parametrize(
    ("nodes", "failover", "multi_az", "field"),
    [(1, True, False, "automatic_failover_enabled"), (2, False, True, "multi_az_enabled")],
)
def test_cache_failover_elasticache_refuses_is_rejected_naming_the_field(
    nodes: int, failover: bool, multi_az: bool, field: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"^{field}="):
        compute.check_cache_failover(nodes, failover, multi_az)
    compute.check_cache_failover(2, True, True)
    compute.check_cache_failover(1, False, False)
