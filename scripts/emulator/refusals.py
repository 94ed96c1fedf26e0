"""Calls AWS refuses and moto accepts, refused here at the same call with AWS's error code and message, so a local
deploy fails where a real one would, for CloudFormation and Terraform alike.

Each refusal is one addition of kind ``refusal``: a check run before moto's own backend method. The values a check
judges by (engine versions, retired runtimes, retention days, what CloudWatch Logs needs of a key) are read from
``constructs_lib.policy``, the data the preflight rules read too.
"""

from __future__ import annotations

import fnmatch
import functools
import inspect
import json
import re
from collections.abc import Callable
from typing import Any

from constructs_lib.policy import engine_catalog
from constructs_lib.policy.encryption import CLOUDWATCH_LOGS_KEY_ACTIONS
from constructs_lib.policy.retention import CLOUDWATCH_RETENTION_VALUES
from constructs_lib.policy.services import RETIRED_LAMBDA_RUNTIMES
from constructs_lib.preflight.rules.engines import offering, version_key
from scripts.emulator.registry import addition

#: Longest names AWS accepts where moto accepts any length.
ROLE_NAME_MAX = 64
LOAD_BALANCER_NAME_MAX = 32


def refuse_before(owner: type, name: str, check: Callable[[Any, dict[str, Any]], None]) -> None:
    """Run ``check(self, arguments)`` before ``owner.<name>``, with the call's arguments by parameter name."""
    original = getattr(owner, name)
    signature = inspect.signature(original)

    @functools.wraps(original)
    def refusing(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        extra = [
            value for key, value in bound.items() if signature.parameters[key].kind is inspect.Parameter.VAR_KEYWORD
        ]
        check(self, {**bound, **(extra[0] if extra else {})})
        return original(self, *args, **kwargs)

    setattr(owner, name, refusing)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


# --- CloudWatch Logs: the key of a log group -----------------------------------------------------------------------


def logs_may_use_key(policy: Any, region: str, log_group_arn: str) -> bool:
    """Whether a key policy lets CloudWatch Logs of ``region`` use the key for the log group: its Allow statements
    for ``logs.<region>.amazonaws.com`` (or ``*``), whose ``kms:EncryptionContext:aws:logs:arn`` condition (if any)
    admits the log group, grant every action CloudWatch Logs needs."""
    document = json.loads(policy) if isinstance(policy, str) else policy
    granted = [
        action.lower()
        for statement in _as_list(document.get("Statement"))
        if statement.get("Effect") == "Allow"
        and _names_logs(statement.get("Principal"), region)
        and _context_admits(statement.get("Condition") or {}, log_group_arn)
        for action in _as_list(statement.get("Action"))
    ]
    return all(
        any(fnmatch.fnmatchcase(needed, action) or fnmatch.fnmatchcase(action, needed) for action in granted)
        for needed in (action.lower() for action in CLOUDWATCH_LOGS_KEY_ACTIONS)
    )


def _names_logs(principal: Any, region: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return f"logs.{region}.amazonaws.com" in _as_list(principal.get("Service")) or "*" in _as_list(principal.get("AWS"))


def _context_admits(condition: dict[str, Any], log_group_arn: str) -> bool:
    for operator, tests in condition.items():
        for key, values in tests.items():
            if key.lower() != "kms:encryptioncontext:aws:logs:arn":
                continue
            like = operator.lower().endswith("like")
            if not any(fnmatch.fnmatchcase(log_group_arn, v) if like else log_group_arn == v for v in _as_list(values)):
                return False
    return True


def _key(account_id: str, region_name: str, key_id: str) -> Any:
    from moto.kms.models import kms_backends

    if key_id.startswith("arn:"):
        region_name, account_id = key_id.split(":")[3:5]
    try:
        return kms_backends[account_id][region_name].describe_key(key_id)
    except Exception:
        return None


def _check_log_group_key(backend: Any, log_group_name: str, kms_key_id: str | None) -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.utilities.utils import get_partition

    if not kms_key_id:
        return
    region, account = backend.region_name, backend.account_id
    arn = f"arn:{get_partition(region)}:logs:{region}:{account}:log-group:{log_group_name}"
    key = _key(account, region, kms_key_id)
    if key is None or not logs_may_use_key(key.policy, region, arn):
        raise JsonRESTError(
            "AccessDeniedException",
            f"The specified KMS key does not exist or is not allowed to be used with Arn '{arn}'",
        )


@addition(
    "log group keys CloudWatch Logs may not use",
    "refusal",
    "AWS refuses CreateLogGroup and AssociateKmsKey (AccessDeniedException) when the key policy does not let "
    "logs.<region>.amazonaws.com use the key for that log group; moto accepted any key and has no AssociateKmsKey",
)
def _refuse_log_group_keys() -> None:
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.models import LogsBackend
    from moto.logs.responses import LogsResponse

    refuse_before(
        LogsBackend,
        "create_log_group",
        lambda self, call: _check_log_group_key(self, call["log_group_name"], call.get("kmsKeyId")),
    )

    def associate_kms_key(self: Any, log_group_name: str, kms_key_id: str) -> None:
        if log_group_name not in self.groups:
            raise ResourceNotFoundException()
        _check_log_group_key(self, log_group_name, kms_key_id)
        self.groups[log_group_name].kms_key_id = kms_key_id

    def associate_kms_key_response(self: Any) -> str:
        self.logs_backend.associate_kms_key(self._get_param("logGroupName"), self._get_param("kmsKeyId"))
        return ""

    LogsBackend.associate_kms_key = associate_kms_key
    LogsResponse.associate_kms_key = associate_kms_key_response


# --- CloudWatch Logs: retention ------------------------------------------------------------------------------------


def _check_retention(days: Any) -> None:
    from moto.logs.exceptions import InvalidParameterException

    if days is not None and int(days) not in CLOUDWATCH_RETENTION_VALUES:
        allowed = ", ".join(str(value) for value in sorted(CLOUDWATCH_RETENTION_VALUES))
        raise InvalidParameterException(
            constraint=f"Member must satisfy enum value set: [{allowed}]", parameter="retentionInDays", value=days
        )


@addition(
    "log retention CloudWatch does not offer",
    "refusal",
    "AWS refuses PutRetentionPolicy (and a log group template's RetentionInDays) outside its fixed set of day "
    "counts with InvalidParameterException; moto stored any number",
)
def _refuse_retention_values() -> None:
    from moto.logs.models import LogsBackend

    refuse_before(LogsBackend, "create_log_group", lambda self, call: _check_retention(call.get("RetentionInDays")))
    refuse_before(LogsBackend, "put_retention_policy", lambda self, call: _check_retention(call["retention_in_days"]))


# --- RDS, Aurora, ElastiCache: engine versions ---------------------------------------------------------------------


def engine_version_refusal(engine: str | None, version: Any, region: str) -> str | None:
    """AWS's message when it would not create ``engine`` at ``version`` in ``region`` (by the engine catalog), or
    ``None``. A version newer than the catalog is accepted: a stale catalog must not block a new release."""
    if not engine or version is None or engine.lower() not in engine_catalog.OFFERED_VERSIONS:
        return None
    engine, version = engine.lower(), str(version)
    gap = region in engine_catalog.REGIONAL_GAPS.get((engine, version), frozenset())
    return f"Cannot find version {version} for {engine}" if gap or offering(engine, version) == "retired" else None


def _check_database_engine(backend: Any, call: dict[str, Any]) -> None:
    from moto.rds.exceptions import InvalidParameterCombination

    kwargs = call.get("db_kwargs") or call.get("kwargs") or {}
    message = engine_version_refusal(kwargs.get("engine"), kwargs.get("engine_version"), backend.region_name)
    if message:
        raise InvalidParameterCombination(message)


def _check_cache_engine(backend: Any, call: dict[str, Any]) -> None:
    from moto.elasticache.exceptions import InvalidParameterCombinationException, InvalidParameterValueException

    engine, version = (call.get("engine") or "redis").lower(), call.get("engine_version")
    numbers = version_key(str(version)) if version else ()
    if len(numbers) > 2 and (engine == "valkey" or (engine == "redis" and numbers[0] >= 6)):
        raise InvalidParameterValueException(
            f"Specific version selection is not allowed for '{version}', please use '{numbers[0]}.{numbers[1]}'"
        )
    message = engine_version_refusal(engine, version, backend.region_name)
    if message:
        raise InvalidParameterCombinationException(message)


@addition(
    "engine versions the region does not offer",
    "refusal",
    "AWS refuses CreateDBInstance, CreateDBCluster, CreateReplicationGroup and CreateCacheCluster with a retired "
    "engine version (InvalidParameterCombination 'Cannot find version X for E'); moto created any version. The "
    "offered versions are constructs_lib/policy/engine_catalog.py, which preflight reads too",
)
def _refuse_retired_engine_versions() -> None:
    from moto.elasticache.models import ElastiCacheBackend
    from moto.rds.models import RDSBackend

    refuse_before(RDSBackend, "create_db_instance", _check_database_engine)
    refuse_before(RDSBackend, "create_db_cluster", _check_database_engine)
    refuse_before(ElastiCacheBackend, "create_replication_group", _check_cache_engine)
    refuse_before(ElastiCacheBackend, "create_cache_cluster", _check_cache_engine)


# --- Lambda: retired runtimes --------------------------------------------------------------------------------------


def _check_runtime(_backend: Any, call: dict[str, Any]) -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException

    runtime = call["spec"].get("Runtime")
    if runtime in RETIRED_LAMBDA_RUNTIMES:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            f"functions. We recommend you use the new runtime ({RETIRED_LAMBDA_RUNTIMES[runtime]}) while creating or "
            "updating functions."
        )


@addition(
    "Lambda runtimes AWS no longer creates",
    "refusal",
    "AWS refuses CreateFunction with a runtime past its block-create date (InvalidParameterValueException); moto "
    "created it. The list is RETIRED_LAMBDA_RUNTIMES in constructs_lib/policy/services.py",
)
def _refuse_retired_runtimes() -> None:
    from moto.awslambda.models import LambdaBackend

    refuse_before(LambdaBackend, "create_function", _check_runtime)


# --- S3: MFA delete ------------------------------------------------------------------------------------------------


def _check_mfa_delete(response: Any, call: dict[str, Any]) -> None:
    from moto.s3.exceptions import S3ClientError

    if "versioning" not in (call.get("querystring") or {}):
        return
    body = response.body.decode() if isinstance(response.body, bytes) else str(response.body or "")
    if re.search(r"<MfaDelete>\s*Enabled\s*</MfaDelete>", body) and not call["request"].headers.get("x-amz-mfa"):
        raise S3ClientError("AccessDenied", "Mfa Authentication must be used for this request")


@addition(
    "MFA delete without MFA",
    "refusal",
    "AWS enables MFA delete only for the root user presenting an MFA code (x-amz-mfa); PutBucketVersioning with "
    "MFADelete=Enabled and no code is refused (AccessDenied). moto ignored MFADelete and accepted the call",
)
def _refuse_mfa_delete() -> None:
    from moto.s3.responses import S3Response

    refuse_before(S3Response, "_bucket_response_put", _check_mfa_delete)


# --- Name limits ---------------------------------------------------------------------------------------------------


def _check_role_name(_backend: Any, call: dict[str, Any]) -> None:
    from moto.iam.exceptions import ValidationError

    name = call["role_name"]
    if len(name) > ROLE_NAME_MAX:
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: Member must "
            f"have length less than or equal to {ROLE_NAME_MAX}"
        )


def _check_load_balancer_name(_backend: Any, call: dict[str, Any]) -> None:
    from moto.elbv2.exceptions import ValidationError

    name = call["name"]
    if len(name) > LOAD_BALANCER_NAME_MAX:
        raise ValidationError(
            f"The load balancer name '{name}' cannot be longer than '{LOAD_BALANCER_NAME_MAX}' characters"
        )


def _fitting_role_names() -> None:
    """Role names CloudFormation makes up fit the limit, as AWS's do (moto's could exceed it)."""
    from moto.cloudformation import parsing

    original = parsing.generate_resource_name

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = original(resource_type, stack_name, logical_id)
        if resource_type != "AWS::IAM::Role" or len(name) <= ROLE_NAME_MAX:
            return name
        suffix = name.rsplit("-", 1)[-1]
        return f"{f'{stack_name}-{logical_id}'[: ROLE_NAME_MAX - len(suffix) - 1]}-{suffix}"

    parsing.generate_resource_name = generate_resource_name


@addition(
    "name limits AWS enforces",
    "refusal",
    "AWS refuses an IAM role name over 64 characters and a load balancer name over 32 (ValidationError); moto "
    "accepted both (it already refuses long target group names). Names CloudFormation makes up for roles fit",
)
def _refuse_long_names() -> None:
    from moto.elbv2.models import ELBv2Backend
    from moto.iam.models import IAMBackend

    refuse_before(IAMBackend, "create_role", _check_role_name)
    refuse_before(ELBv2Backend, "create_load_balancer", _check_load_balancer_name)
    _fitting_role_names()
