"""Naming rules: what an environment suffix may contain, and how long each kind of AWS name may be.

Names carry the environment suffix so two environments can live in one account (every seed). S3 names also carry the
account and region because the S3 namespace is global (seed 004 failed on ``BucketAlreadyExists``). A suffix that
makes any name too long fails at synth with the name it would have produced, not on deploy.
"""

from __future__ import annotations

import re

from constructs_lib.policy.engines import LONGEST_REGION_NAME
from constructs_lib.policy.errors import ConfigurationError

#: Lower-case letters, digits and inner hyphens: the intersection of what S3, RDS, ElastiCache and IAM accept.
SUFFIX_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
SUFFIX_RULE = "lower-case letters, digits and inner hyphens (e.g. 'dev', 'pr-142')"

#: AWS name length limits, by the kind of name (the tightest are ElastiCache, IAM role and Lambda).
NAME_LIMITS: dict[str, int] = {
    "s3_bucket": 63,
    "elasticache_replication_group": 40,
    "elasticache_subnet_group": 255,
    "rds_instance": 63,
    "rds_cluster": 63,
    "db_subnet_group": 255,
    "kinesis_stream": 128,
    "lambda_function": 64,
    "iam_role": 64,
    "sqs_queue": 80,
    "sns_topic": 256,
    "ecs_cluster": 255,
    "ecs_service": 255,
    "ecr_repository": 256,
    "log_group": 512,
    "kms_alias": 256,
    "secret": 512,
    "security_group": 255,
    "cloudwatch_alarm": 255,
    "network_firewall": 128,
    "config_rule": 128,
}

ACCOUNT_ID_LENGTH = 12


def check_suffix(suffix: str, field: str = "environment_suffix") -> str:
    """Return ``suffix`` if every AWS name can carry it, else fail naming the rule."""
    if not isinstance(suffix, str) or not SUFFIX_PATTERN.fullmatch(suffix) or "--" in suffix:
        raise ConfigurationError(field, suffix, SUFFIX_RULE)
    return suffix


def _check_length(kind: str, name_for_length: str, shown_name: str, suffix: str) -> None:
    try:
        limit = NAME_LIMITS[kind]
    except KeyError:
        raise ConfigurationError("name_kind", kind, NAME_LIMITS) from None
    if len(name_for_length) > limit:
        raise ConfigurationError(
            "environment_suffix",
            suffix,
            f"a shorter suffix: the {kind} name '{shown_name}' would be {len(name_for_length)} characters "
            f"and AWS allows {limit}",
        )


def resource_name(kind: str, base: str, suffix: str) -> str:
    """``<base>-<suffix>``, checked against the limit for ``kind`` (e.g. 'elasticache_replication_group')."""
    check_suffix(base, field="name_prefix")
    check_suffix(suffix)
    name = f"{base}-{suffix}"
    _check_length(kind, name, name, suffix)
    return name


def unique_bucket_name(base: str, suffix: str, account: str, region: str) -> str:
    """``<base>-<suffix>-<account>-<region>``: unique across all of S3 and checked against its 63 characters.

    ``account`` and ``region`` may be deploy-time tokens; the length check then assumes a 12-digit account and the
    longest region name, so a name that passes here fits everywhere.
    """
    check_suffix(base, field="name_prefix")
    check_suffix(suffix)
    sized = f"{base}-{suffix}-{'0' * ACCOUNT_ID_LENGTH}-{'x' * LONGEST_REGION_NAME}"
    _check_length("s3_bucket", sized, f"{base}-{suffix}-<account>-<region>", suffix)
    return f"{base}-{suffix}-{account}-{region}"
