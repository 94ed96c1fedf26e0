"""Encryption decisions: customer-managed keys everywhere, and the key-policy statements services need.

Seeds 001 and 004 failed on deploy because the key had no statement letting CloudWatch Logs use it: an IAM grant
is not enough, the *key policy* must name ``logs.<region>.amazonaws.com``. The statements are plain dicts with the
partition, region and account passed in, so the CDK and Terraform renderings are the same text.
"""

from __future__ import annotations

from typing import Any

#: Yearly automatic rotation of every customer-managed key (HIPAA 164.312(a)(2)(iv), PCI DSS 3.7.4).
KEY_ROTATION_ENABLED = True

#: Days a deleted key waits before it is gone: dev short (cleans up quickly), prod the maximum (undo a mistake).
KEY_PENDING_WINDOW_DAYS: dict[str, int] = {"dev": 7, "prod": 30}

#: What CloudWatch Logs needs on a key to encrypt and read a log group.
CLOUDWATCH_LOGS_KEY_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)

#: What CloudWatch alarms need to publish to a topic encrypted with the key (else notifications silently fail).
CLOUDWATCH_ALARMS_KEY_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:GenerateDataKey*")

#: S3 server access logs can only be delivered to a bucket encrypted with SSE-S3; SSE-KMS there drops every log.
ACCESS_LOG_BUCKET_ENCRYPTION = "SSE-S3"


def cloudwatch_logs_key_statement(partition: str, region: str, account: str) -> dict[str, Any]:
    """Key-policy statement that lets CloudWatch Logs in this account and region use the key, and nothing else."""
    return {
        "Sid": "AllowCloudWatchLogsInThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": list(CLOUDWATCH_LOGS_KEY_ACTIONS),
        "Resource": "*",
        "Condition": {
            "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:*"}
        },
    }


def cloudwatch_alarms_key_statement(account: str) -> dict[str, Any]:
    """Key-policy statement that lets CloudWatch alarms of this account publish to topics encrypted with the key."""
    return {
        "Sid": "AllowCloudWatchAlarmsToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": list(CLOUDWATCH_ALARMS_KEY_ACTIONS),
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
    }
