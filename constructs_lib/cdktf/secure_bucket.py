"""SecureBucket and AccessLogBucket: S3 buckets named uniquely, versioned, encrypted, private, TLS-only, logged."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import account_context, deployment_settings, force_destroy
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.policy import encryption, naming, retention, storage
from constructs_lib.policy.errors import ConfigurationError

#: The provider's ``sse_algorithm`` for each policy encryption kind.
SSE_ALGORITHMS: dict[str, str] = {"SSE-S3": "AES256", "SSE-KMS": "aws:kms"}


class _HardenedBucket(Construct):
    """What every bucket gets: unique name, versioning (never MFA delete, never object lock), ACLs disabled, public
    access blocked, TLS 1.2+ only, lifecycle, and ``force_destroy`` from the profile.

    ``overrides`` are ``S3Bucket`` arguments (``bucket``, ``force_destroy``, ``tags``...); replacing a hardened one is
    reported as a synth warning."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None,
        expiration_days: int | None,
        overrides: dict[str, Any],
    ) -> None:
        super().__init__(scope, construct_id)
        for prop, reason in storage.FORBIDDEN_BUCKET_PROPS.items():
            if overrides.get(prop):
                raise ConfigurationError(prop, overrides[prop], reason)
        lifecycle = storage.bucket_lifecycle(expiration_days)
        settings = deployment_settings(self)
        self.account = account_context(self)
        self.base = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        defaults: dict[str, Any] = {
            "bucket": naming.unique_bucket_name(
                self.base, settings.environment_suffix, self.account.account_id, self.account.region
            ),
            "force_destroy": force_destroy(settings.profile),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.bucket = S3Bucket(self, "bucket", **props)
        warn_overrides(self, changed)
        self.versioning = S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled" if storage.BUCKET_VERSIONING else "Suspended"},
        )
        self.ownership = S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership=storage.OBJECT_OWNERSHIP),
        )
        self.public_access_block = S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=self.bucket.id,
            **storage.BUCKET_PUBLIC_ACCESS_BLOCK,
        )
        self._statements: list[dict[str, Any]] = storage.bucket_tls_statements(self.arn)
        self.policy = S3BucketPolicy(
            self, "policy", bucket=self.bucket.id, policy=self._policy_document(), depends_on=[self.public_access_block]
        )
        # In provider 5.x every nested block of this resource is a list of one (seed 004 passed a bare dict).
        rule = S3BucketLifecycleConfigurationRule(
            id=lifecycle.rule_id,
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
            abort_incomplete_multipart_upload=[
                S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                    days_after_initiation=lifecycle.abort_incomplete_upload_days
                )
            ],
            noncurrent_version_expiration=[
                S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                    noncurrent_days=lifecycle.noncurrent_version_expiration_days
                )
            ],
            transition=[
                S3BucketLifecycleConfigurationRuleTransition(
                    days=lifecycle.transition_days, storage_class=lifecycle.transition_storage_class
                )
            ],
            expiration=(
                [S3BucketLifecycleConfigurationRuleExpiration(days=lifecycle.expiration_days)]
                if lifecycle.expiration_days is not None
                else None
            ),
        )
        self.lifecycle = S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=self.bucket.id, rule=[rule], depends_on=[self.versioning]
        )

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def statements(self) -> list[dict[str, Any]]:
        """The bucket policy's statements, in order (a copy)."""
        return list(self._statements)

    def add_policy_statement(self, statement: dict[str, Any]) -> None:
        """Append a bucket-policy statement; S3 keeps one policy per bucket, so the document is rebuilt."""
        self._statements.append(statement)
        self.policy.policy = self._policy_document()

    def _policy_document(self) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": self._statements})

    def _encrypt(self, kind: str, key: EncryptionKey | None) -> S3BucketServerSideEncryptionConfigurationA:
        by_default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm=SSE_ALGORITHMS[kind], kms_master_key_id=key.arn if key is not None else None
        )
        return S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=by_default,
                    bucket_key_enabled=storage.BUCKET_KEY_ENABLED if key is not None else None,
                )
            ],
        )


class AccessLogBucket(_HardenedBucket):
    """Target of S3 server access logs, secure with no arguments.

    Encrypted with SSE-S3: S3 delivers server access logs only to SSE-S3 buckets and drops them for SSE-KMS
    (``encryption.ACCESS_LOG_BUCKET_ENCRYPTION``). Otherwise hardened like :class:`SecureBucket`. Its own access is
    not logged (a log bucket logging into itself would log every log). Each :class:`SecureBucket` that logs here adds
    the bucket-policy statement letting S3 deliver its logs, under its own prefix. Logs are audit evidence: they
    expire after ``retention.ACCESS_LOG_EXPIRATION_DAYS`` (the audit retention) unless ``expiration_days`` says
    otherwise.

    Example::

        logs = AccessLogBucket(self, "access-logs", name_prefix="pci-access-logs")
        data = SecureBucket(self, "data", name_prefix="pci-data", access_log_bucket=logs, encryption_key=key)
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
        super().__init__(
            scope, construct_id, name_prefix=name_prefix, expiration_days=expiration_days, overrides=overrides
        )
        self.encryption = self._encrypt(encryption.ACCESS_LOG_BUCKET_ENCRYPTION, None)


class SecureBucket(_HardenedBucket):
    """S3 bucket for regulated data, secure with no arguments (the cdktf twin of the CDK ``SecureBucket``).

    - Name ``<name_prefix>-<suffix>-<account>-<region>`` with account and region from data sources: unique across
      S3 (seed 004 hit ``BucketAlreadyExists``), length-checked at synth.
    - Versioning on, never MFA delete nor object lock (automation could never tear it down, seed 004); SSE-KMS with
      a bucket key, using ``encryption_key`` or a key of its own; ACLs disabled; all public access blocked; a policy
      denying requests without TLS or with TLS older than 1.2.
    - Server access logs to ``access_log_bucket`` (or one of its own) under ``<name_prefix>/``, allowed by a
      statement on the log bucket scoped to this bucket and account.
    - Lifecycle: Infrequent Access after 30 days, non-current versions expire after 90, incomplete uploads abort
      after 7; ``expiration_days`` also expires current objects (log buckets).
    - ``force_destroy`` from the profile: dev empties and deletes it, prod refuses.

    Example::

        data = SecureBucket(self, "data", name_prefix="pci-data", encryption_key=key, access_log_bucket=logs)
        data.add_policy_statement({...})  # e.g. a service's delivery permission
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        access_log_bucket: AccessLogBucket | None = None,
        expiration_days: int | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(
            scope, construct_id, name_prefix=name_prefix, expiration_days=expiration_days, overrides=overrides
        )
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"bucket {self.node.path}")
        if access_log_bucket is None:
            access_log_bucket = AccessLogBucket(
                self, "access-logs", name_prefix=f"{self.base}-{storage.ACCESS_LOG_BUCKET_BASE_SUFFIX}"
            )
        self.encryption_key = encryption_key
        self.access_log_bucket = access_log_bucket
        self.access_log_prefix = f"{self.base}/"
        self.encryption = self._encrypt("SSE-KMS", encryption_key)
        self.logging = S3BucketLoggingA(
            self,
            "logging",
            bucket=self.bucket.id,
            target_bucket=access_log_bucket.bucket.id,
            target_prefix=self.access_log_prefix,
        )
        access_log_bucket.add_policy_statement(
            storage.access_log_delivery_statement(
                access_log_bucket.arn, self.access_log_prefix, self.arn, self.account.account_id
            )
        )
