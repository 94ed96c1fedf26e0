"""SecureBucket and AccessLogBucket: S3 buckets that are encrypted, private, TLS-only, logged and tear down cleanly."""

from __future__ import annotations

from typing import Any, cast

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings, removal_policy
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.policy import accepted_findings, encryption, naming, retention, storage
from constructs_lib.policy.errors import ConfigurationError

_OBJECT_OWNERSHIP: dict[str, s3.ObjectOwnership] = {
    "BucketOwnerEnforced": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    "BucketOwnerPreferred": s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    "ObjectWriter": s3.ObjectOwnership.OBJECT_WRITER,
}
_ENCRYPTION: dict[str, s3.BucketEncryption] = {"SSE-S3": s3.BucketEncryption.S3_MANAGED}
_KMS_ENCRYPTIONS = (s3.BucketEncryption.KMS, s3.BucketEncryption.DSSE)


def _base_name(name_prefix: str | None, construct_id: str) -> str:
    """The caller's base name, else the construct id in kebab case; either way S3-safe or a ConfigurationError."""
    return naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")


def _reject_forbidden(overrides: dict[str, Any], logging_reason: str) -> None:
    """Object lock never (teardown must work); server access logging only through the construct's own wiring."""
    for prop, reason in storage.FORBIDDEN_BUCKET_PROPS.items():
        if overrides.get(prop):
            raise ConfigurationError(prop, overrides[prop], reason)
    for prop in ("server_access_logs_bucket", "server_access_logs_prefix"):
        if prop in overrides:
            raise ConfigurationError(prop, overrides[prop], logging_reason)


def _lifecycle_rule(expiration_days: int | None) -> s3.LifecycleRule:
    """The policy's lifecycle rule (``storage.bucket_lifecycle``) as a CDK rule."""
    lifecycle = storage.bucket_lifecycle(expiration_days)
    return s3.LifecycleRule(
        id=lifecycle.rule_id,
        transitions=[
            s3.Transition(
                storage_class=s3.StorageClass(lifecycle.transition_storage_class),
                transition_after=Duration.days(lifecycle.transition_days),
            )
        ],
        noncurrent_version_expiration=Duration.days(lifecycle.noncurrent_version_expiration_days),
        abort_incomplete_multipart_upload_after=Duration.days(lifecycle.abort_incomplete_upload_days),
        expiration=Duration.days(lifecycle.expiration_days) if lifecycle.expiration_days is not None else None,
    )


def _hardened_defaults(
    scope: Construct, base: str, overrides: dict[str, Any], expiration_days: int | None
) -> dict[str, Any]:
    """What every bucket gets: a globally unique name, versioning, no public access, TLS 1.2+, no ACLs, lifecycle,
    and the profile's removal (dev empties and deletes the bucket, prod keeps it)."""
    settings = deployment_settings(scope)
    stack = Stack.of(scope)
    removal = removal_policy(settings.profile.storage_removal)
    return {
        "bucket_name": naming.unique_bucket_name(base, settings.environment_suffix, stack.account, stack.region),
        "versioned": storage.BUCKET_VERSIONING,
        "block_public_access": s3.BlockPublicAccess(**storage.BUCKET_PUBLIC_ACCESS_BLOCK),
        "enforce_ssl": storage.ENFORCE_TLS,
        "minimum_tls_version": storage.MINIMUM_TLS_VERSION,
        "object_ownership": _OBJECT_OWNERSHIP[storage.OBJECT_OWNERSHIP],
        "lifecycle_rules": [_lifecycle_rule(expiration_days)],
        "removal_policy": removal,
        # A bucket CloudFormation deletes must be emptied first, or the delete fails and dev teardown stops.
        "auto_delete_objects": overrides.get("removal_policy", removal) == RemovalPolicy.DESTROY,
    }


def _deny_insecure_transport(bucket: s3.Bucket, props: dict[str, Any]) -> None:
    """The policy's TLS statements (``storage.bucket_tls_statements``) on ``bucket``, unless ``enforce_ssl`` was
    overridden to False (reported); ``minimum_tls_version`` sets the oldest TLS version accepted."""
    if props["enforce_ssl"]:
        for statement in storage.bucket_tls_statements(bucket.bucket_arn, props["minimum_tls_version"]):
            bucket.add_to_resource_policy(iam.PolicyStatement.from_json(statement))


def _without_transport(props: dict[str, Any]) -> dict[str, Any]:
    """``props`` without the TLS settings, which :func:`_deny_insecure_transport` writes from policy data."""
    return {k: v for k, v in props.items() if k not in ("enforce_ssl", "minimum_tls_version")}


def _without_equal_public_access(overrides: dict[str, Any], default: s3.BlockPublicAccess) -> dict[str, Any]:
    """Drop a ``block_public_access`` equal to the default: each BLOCK_ALL is a new object, so it would warn."""
    given = overrides.get("block_public_access")
    flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    if given is not None and all(getattr(given, f) == getattr(default, f) for f in flags):
        return {k: v for k, v in overrides.items() if k != "block_public_access"}
    return overrides


class AccessLogBucket(s3.Bucket):
    """Target bucket for S3 server access logs, secure with no arguments.

    Encrypted with SSE-S3, not a customer-managed key: S3 delivers server access logs only to buckets whose default
    encryption is SSE-S3, and silently drops them for SSE-KMS (``encryption.ACCESS_LOG_BUCKET_ENCRYPTION``); asking
    for another encryption fails at synth. Otherwise hardened like :class:`SecureBucket` (unique name, versioning,
    no public access, TLS 1.2+, ACLs disabled, lifecycle, profile removal). It has no access logging of its own: a
    log bucket logging into itself would write a log for every log it receives. Each :class:`SecureBucket` that
    logs here adds the bucket-policy statement that lets S3 deliver its logs, under its own prefix. Logs are audit
    evidence: they expire after ``retention.ACCESS_LOG_EXPIRATION_DAYS`` (the audit retention) unless
    ``expiration_days`` says otherwise (``None``: never).

    Example::

        logs = AccessLogBucket(self, "AccessLogs", name_prefix="iot-access-logs")
        raw = SecureBucket(self, "Raw", name_prefix="iot-raw", access_log_bucket=logs)
        curated = SecureBucket(self, "Curated", name_prefix="iot-curated", access_log_bucket=logs)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        expiration_days: int | None = retention.ACCESS_LOG_EXPIRATION_DAYS,
        **overrides: Any,
    ) -> None:
        _reject_forbidden(overrides, "a log bucket does not log itself: every delivered log would produce another")
        required = _ENCRYPTION[encryption.ACCESS_LOG_BUCKET_ENCRYPTION]
        if overrides.get("encryption", required) != required or overrides.get("encryption_key") is not None:
            raise ConfigurationError(
                "encryption",
                overrides.get("encryption_key") or overrides.get("encryption"),
                f"{encryption.ACCESS_LOG_BUCKET_ENCRYPTION} only: S3 drops server access logs sent to SSE-KMS buckets",
            )
        base = _base_name(name_prefix, construct_id)
        defaults = {**_hardened_defaults(scope, base, overrides, expiration_days), "encryption": required}
        props, changed = merge_with_defaults(
            defaults, _without_equal_public_access(overrides, defaults["block_public_access"])
        )
        super().__init__(scope, construct_id, **_without_transport(props))
        _deny_insecure_transport(self, props)
        warn_overrides(self, changed)
        accept(self, accepted_findings.ACCESS_LOG_BUCKET_SSE_S3)
        accept(self, accepted_findings.BUCKET_REPLICATION)


class SecureBucket(s3.Bucket):
    """S3 bucket for regulated data (PHI, cardholder data), secure with no arguments.

    - Name ``<name_prefix>-<suffix>-<account>-<region>``: unique in all of S3 (seed 004 hit ``BucketAlreadyExists``).
    - SSE-KMS with a customer-managed key (``encryption_key``, else its own :class:`EncryptionKey`), S3 Bucket Key on.
    - Versioning; all public access blocked; ACLs disabled (bucket owner enforced).
    - Bucket policy denies non-TLS requests and TLS older than 1.2.
    - Server access logs to ``access_log_bucket`` (else its own :class:`AccessLogBucket`) under ``<name_prefix>/``,
      allowed by a bucket-policy statement scoped to this bucket and account (works with ACLs disabled).
    - Lifecycle: Infrequent Access after 30 days, non-current versions expire after 90, stalled uploads abort after 7;
      ``expiration_days`` also expires current objects (more than 30, checked at synth).
    - Removal from the profile: dev deletes the bucket and empties it first (teardown works with objects in it);
      prod retains it. Never MFA delete and never object lock: both make automated teardown impossible (seed 004).

    Example::

        telemetry = SecureBucket(self, "Telemetry", name_prefix="iot-telemetry", encryption_key=key)

    Any ``s3.Bucket`` prop may be passed; overriding a hardened default is reported as a synth warning. Object lock
    and the L2's own server-access-log props fail at synth with the reason.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        access_log_bucket: s3.IBucket | None = None,
        expiration_days: int | None = None,
        **overrides: Any,
    ) -> None:
        _reject_forbidden(overrides, "pass access_log_bucket: logs are delivered through a bucket policy, not ACLs")
        if isinstance(access_log_bucket, s3.Bucket) and access_log_bucket.encryption_key is not None:
            raise ConfigurationError(
                "access_log_bucket",
                access_log_bucket.node.path,
                "an SSE-S3 bucket such as AccessLogBucket: S3 drops access logs sent to an SSE-KMS bucket",
            )
        base = _base_name(name_prefix, construct_id)
        defaults = {
            **_hardened_defaults(scope, base, overrides, expiration_days),
            "encryption": s3.BucketEncryption.KMS,
            "bucket_key_enabled": storage.BUCKET_KEY_ENABLED,
        }
        props, changed = merge_with_defaults(
            defaults, _without_equal_public_access(overrides, defaults["block_public_access"])
        )
        if encryption_key is not None or props["encryption"] in _KMS_ENCRYPTIONS:
            props["encryption_key"] = encryption_key or EncryptionKey(
                scope, f"{construct_id}Key", description=f"bucket {construct_id}"
            )
        if access_log_bucket is None:
            access_log_bucket = AccessLogBucket(
                scope, f"{construct_id}AccessLogs", name_prefix=f"{base}-{storage.ACCESS_LOG_BUCKET_BASE_SUFFIX}"
            )
        super().__init__(scope, construct_id, **_without_transport(props))
        _deny_insecure_transport(self, props)
        warn_overrides(self, changed)
        accept(self, accepted_findings.BUCKET_REPLICATION)
        self.access_log_bucket = access_log_bucket
        self.access_log_prefix = f"{base}/"
        self._deliver_access_logs()

    def _deliver_access_logs(self) -> None:
        """Point S3 server access logging at the log bucket, and let S3 write there for this bucket only.

        Set on the L1 resource rather than through ``server_access_logs_bucket``: without the
        ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` feature flag the L2 grants the ``LogDeliveryWrite`` ACL,
        which a bucket with ACLs disabled rejects; this way the construct works the same in any app.
        """
        bucket = cast(s3.CfnBucket, self.node.default_child)
        bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=self.access_log_bucket.bucket_name, log_file_prefix=self.access_log_prefix
        )
        statement = storage.access_log_delivery_statement(
            self.access_log_bucket.bucket_arn, self.access_log_prefix, self.bucket_arn, Stack.of(self).account
        )
        if not self.access_log_bucket.add_to_resource_policy(iam.PolicyStatement.from_json(statement)).statement_added:
            Annotations.of(self).add_warning_v2(
                "hardened:access-log-policy",
                f"SecureBucket '{self.node.path}': the access-log bucket is imported, so its policy cannot be changed "
                f"here; add a statement letting logging.s3.amazonaws.com put objects under '{self.access_log_prefix}' "
                "or no access logs are delivered",
            )
