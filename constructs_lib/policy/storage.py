"""Buckets, streams and alarm topics: the controls every one of them gets, each with the requirement behind it.

Plain data and plain functions only (no CDK import), so the CDK constructs and the cdktf twins render the same
decisions. Retention values live in ``retention``; sizes in ``services``; alarms in ``alarms``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs_lib.policy import retention

# --- S3 --------------------------------------------------------------------------------------------------------
#: Reject requests made with TLS older than 1.2 (PCI DSS 4.2.1 strong cryptography; HIPAA 164.312(e)(1)).
MINIMUM_TLS_VERSION = 1.2
#: Deny every request not made over TLS (``aws:SecureTransport = false``); the bucket and topic policies carry it.
ENFORCE_TLS = True
#: Keep every version of every object: an overwrite or delete can be undone (HIPAA 164.312(c)(1) integrity).
BUCKET_VERSIONING = True
#: One KMS data key per bucket instead of one per object: cuts KMS requests (cost, throttling) up to 99%.
BUCKET_KEY_ENABLED = True
#: All four public-access blocks on: no ACL or bucket policy can make a bucket or object public (PCI DSS 1.4.4).
BUCKET_PUBLIC_ACCESS_BLOCK: dict[str, bool] = {
    "block_public_acls": True,
    "block_public_policy": True,
    "ignore_public_acls": True,
    "restrict_public_buckets": True,
}
#: ACLs off; the bucket owner owns every object, so access is decided by policies alone (AWS's recommended setting).
OBJECT_OWNERSHIP = "BucketOwnerEnforced"

#: Id of the one lifecycle rule every bucket gets (a caller's rules sit beside it under their own ids).
BUCKET_LIFECYCLE_RULE_ID = "hardened-retention"
#: Where current objects go after ``retention.TRANSITION_TO_IA_DAYS``: same durability, ~45% cheaper per GB for data
#: read rarely (audit evidence, raw history), with a 30-day minimum that the transition day already meets.
TRANSITION_STORAGE_CLASS = "STANDARD_IA"

#: Bucket properties refused whatever the caller asks: each makes automated teardown impossible (seed 004's MFA
#: delete did the same; CloudFormation cannot turn MFA delete on at all, object lock it can, so it is refused here).
FORBIDDEN_BUCKET_PROPS: dict[str, str] = {
    "object_lock_enabled": "never: locked object versions cannot be deleted, so the bucket can never be torn down",
    "object_lock_default_retention": "never: it turns on object lock, and locked versions block teardown",
}

#: Name part appended to a bucket's base name for the access-log bucket it creates (``<base>-logs-<suffix>-...``).
ACCESS_LOG_BUCKET_BASE_SUFFIX = "logs"
#: Name part appended to a construct's base name for the alarm topic it creates when none is passed.
ALARM_TOPIC_BASE_SUFFIX = "alarms"

# --- Kinesis ---------------------------------------------------------------------------------------------------
#: Provisioned shards sized by ``services.STREAM_SHARDS``: a fixed, predictable bill; on-demand suits unknown load.
STREAM_MODE = "PROVISIONED"
#: Server-side encryption with a KMS key, always the construct's customer-managed one (never ``aws/kinesis``): key
#: use is logged and can be revoked per stream.
STREAM_ENCRYPTION = "KMS"

# --- Alarm topics (the alarms themselves are ``alarms``) --------------------------------------------------------
#: SNS signs HTTP(S)/email-json deliveries with SHA256 (version 2) instead of SHA1 (PCI DSS 4.2.1 strong crypto).
TOPIC_SIGNATURE_VERSION = "2"
#: What a CloudWatch alarm needs on a topic whose policy the construct writes (a custom topic policy replaces the
#: default one that let the account's services publish; without this the alarm fires and nobody is told).
CLOUDWATCH_ALARMS_TOPIC_ACTIONS: tuple[str, ...] = ("sns:Publish",)
#: An email subscription endpoint: something@domain.tld, no spaces.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class BucketLifecycle:
    """The lifecycle rule of a hardened bucket, in days; each rendering writes it in its own syntax."""

    rule_id: str
    transition_days: int
    transition_storage_class: str
    noncurrent_version_expiration_days: int
    abort_incomplete_upload_days: int
    #: Current objects expire after this many days; ``None``: never (data buckets keep their data).
    expiration_days: int | None


def bucket_lifecycle(expiration_days: int | None = None) -> BucketLifecycle:
    """The hardened lifecycle rule, expiring current objects after ``expiration_days`` (checked) when given.

    Example::

        rule = bucket_lifecycle(retention.ACCESS_LOG_EXPIRATION_DAYS)
    """
    return BucketLifecycle(
        rule_id=BUCKET_LIFECYCLE_RULE_ID,
        transition_days=retention.TRANSITION_TO_IA_DAYS,
        transition_storage_class=TRANSITION_STORAGE_CLASS,
        noncurrent_version_expiration_days=retention.NONCURRENT_VERSION_EXPIRATION_DAYS,
        abort_incomplete_upload_days=retention.ABORT_INCOMPLETE_UPLOAD_DAYS,
        expiration_days=retention.check_expiration_days(expiration_days),
    )


def deny_without_tls(actions: str | Sequence[str], resources: str | Sequence[str], sid: str) -> dict[str, Any]:
    """Resource-policy statement denying every request to ``resources`` not made over TLS (``ENFORCE_TLS``).

    Buckets, queues and topics carry it in both renderings (HIPAA 164.312(e)(1), PCI DSS 4.2.1). ``Principal: *``
    with a Deny applies to everyone, the account's own roles included.
    """
    return _deny(actions, resources, sid, {"Bool": {"aws:SecureTransport": "false"}})


def deny_outdated_tls(
    resources: str | Sequence[str], minimum: float = MINIMUM_TLS_VERSION, sid: str = "DenyOutdatedTls"
) -> dict[str, Any]:
    """Bucket-policy statement denying S3 requests made with a TLS version below ``minimum``."""
    return _deny("s3:*", resources, sid, {"NumericLessThan": {"s3:TlsVersion": minimum}})


def bucket_tls_statements(bucket_arn: str, minimum: float = MINIMUM_TLS_VERSION) -> list[dict[str, Any]]:
    """The two statements every bucket policy starts with: no request without TLS, none below ``minimum``."""
    resources = [bucket_arn, f"{bucket_arn}/*"]
    return [deny_without_tls("s3:*", resources, "DenyRequestsWithoutTls"), deny_outdated_tls(resources, minimum)]


def _deny(
    actions: str | Sequence[str], resources: str | Sequence[str], sid: str, condition: dict[str, Any]
) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions if isinstance(actions, str) else list(actions),
        "Resource": resources if isinstance(resources, str) else list(resources),
        "Condition": condition,
    }


def base_name_for(construct_id: str) -> str:
    """A construct's default base name: its id in kebab case ('TelemetryStream' -> 'telemetry-stream').

    Two constructs under one parent never share an id, so their default names never collide in one stack.
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", construct_id)
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", spaced.lower())).strip("-")


def access_log_delivery_statement(
    log_bucket_arn: str, prefix: str, source_bucket_arn: str, account: str
) -> dict[str, Any]:
    """Bucket-policy statement that lets S3 deliver one source bucket's access logs under ``prefix``, and only that.

    The bucket-policy form (not the ``LogDeliveryWrite`` ACL) is what works with ACLs disabled
    (``BucketOwnerEnforced``); the conditions stop any other bucket or account writing logs into it. The Sid names
    the prefix, so several source buckets can share one log bucket without duplicate Sids.
    """
    return {
        "Sid": "AllowAccessLogsFor" + "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", prefix)),
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/{prefix}*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": source_bucket_arn},
            "StringEquals": {"aws:SourceAccount": account},
        },
    }


def cloudwatch_alarms_topic_statement(topic_arn: str, partition: str, region: str, account: str) -> dict[str, Any]:
    """Topic-policy statement that lets this account's CloudWatch alarms, and no one else's, publish to the topic."""
    return {
        "Sid": "AllowCloudWatchAlarmsInThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": list(CLOUDWATCH_ALARMS_TOPIC_ACTIONS),
        "Resource": topic_arn,
        "Condition": {
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"},
            "StringEquals": {"aws:SourceAccount": account},
        },
    }
