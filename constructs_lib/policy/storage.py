"""Buckets, streams and alarm topics: the controls every one of them gets, each with the requirement behind it.

Plain data and plain functions only (no CDK import), so the CDK constructs and the cdktf twins render the same
decisions. Retention values live in ``retention``; sizes in ``services``; alarms in ``alarms``.
"""

from __future__ import annotations

import re
from typing import Any

# --- S3 --------------------------------------------------------------------------------------------------------
#: Reject requests made with TLS older than 1.2 (PCI DSS 4.2.1 strong cryptography; HIPAA 164.312(e)(1)).
MINIMUM_TLS_VERSION = 1.2
#: Deny every request not made over TLS (``aws:SecureTransport = false``); the bucket and topic policies carry it.
ENFORCE_TLS = True
#: Keep every version of every object: an overwrite or delete can be undone (HIPAA 164.312(c)(1) integrity).
BUCKET_VERSIONING = True
#: One KMS data key per bucket instead of one per object: cuts KMS requests (cost, throttling) up to 99%.
BUCKET_KEY_ENABLED = True
#: ACLs off; the bucket owner owns every object, so access is decided by policies alone (AWS's recommended setting).
OBJECT_OWNERSHIP = "BucketOwnerEnforced"

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

# --- Alarm topics (the alarms themselves are ``alarms``) --------------------------------------------------------
#: SNS signs HTTP(S)/email-json deliveries with SHA256 (version 2) instead of SHA1 (PCI DSS 4.2.1 strong crypto).
TOPIC_SIGNATURE_VERSION = "2"
#: What a CloudWatch alarm needs on a topic whose policy the construct writes (a custom topic policy replaces the
#: default one that let the account's services publish; without this the alarm fires and nobody is told).
CLOUDWATCH_ALARMS_TOPIC_ACTIONS: tuple[str, ...] = ("sns:Publish",)
#: An email subscription endpoint: something@domain.tld, no spaces.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
