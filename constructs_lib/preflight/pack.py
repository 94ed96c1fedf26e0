"""The preflight pack: every rule, in the order the report lists them. Add a rule here once it has its fixtures."""

from __future__ import annotations

from constructs_lib.preflight.registry import Rule
from constructs_lib.preflight.rules.databases import (
    AURORA_CLUSTER_HAS_INSTANCE,
    DATA_STORE_NOT_PUBLIC,
    DB_SECRET_NOT_LITERAL,
    REDIS_TRANSIT_AND_AUTH,
)
from constructs_lib.preflight.rules.encryption import ACCESS_LOG_TARGET_SSE_S3, KMS_KEY_ALLOWS_LOGS
from constructs_lib.preflight.rules.engines import AURORA_SERVERLESS_CAPACITY, ENGINE_VERSION_OFFERED
from constructs_lib.preflight.rules.iam import IAM_MANAGED_POLICY
from constructs_lib.preflight.rules.log_groups import LAMBDA_LOG_RETENTION_DEPRECATED, LOG_RETENTION_VALID
from constructs_lib.preflight.rules.naming import NAME_LENGTH, NO_HARD_CODED_ACCOUNT, S3_BUCKET_NAME_UNIQUE
from constructs_lib.preflight.rules.outputs import DATA_STORE_HAS_OUTPUT, STACK_HAS_OUTPUTS
from constructs_lib.preflight.rules.teardown import (
    MFA_DELETE_TEARDOWN,
    PROFILE_DEV_DESTROYABLE,
    PROFILE_PROD_KEEPS_DATA,
)
from constructs_lib.preflight.rules.terraform import S3_CONFIG_NOT_SPLIT, TF_BACKEND_PORTABLE, TF_BLOCK_SHAPE

PACK: tuple[Rule, ...] = (
    ENGINE_VERSION_OFFERED,
    AURORA_SERVERLESS_CAPACITY,
    KMS_KEY_ALLOWS_LOGS,
    S3_BUCKET_NAME_UNIQUE,
    AURORA_CLUSTER_HAS_INSTANCE,
    NO_HARD_CODED_ACCOUNT,
    DB_SECRET_NOT_LITERAL,
    MFA_DELETE_TEARDOWN,
    STACK_HAS_OUTPUTS,
    DATA_STORE_HAS_OUTPUT,
    LAMBDA_LOG_RETENTION_DEPRECATED,
    PROFILE_DEV_DESTROYABLE,
    PROFILE_PROD_KEEPS_DATA,
    TF_BLOCK_SHAPE,
    DATA_STORE_NOT_PUBLIC,
    REDIS_TRANSIT_AND_AUTH,
    ACCESS_LOG_TARGET_SSE_S3,
    IAM_MANAGED_POLICY,
    S3_CONFIG_NOT_SPLIT,
    TF_BACKEND_PORTABLE,
    NAME_LENGTH,
    LOG_RETENTION_VALID,
)

RULES_BY_ID: dict[str, Rule] = {rule.rule_id: rule for rule in PACK}
