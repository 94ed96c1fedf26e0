"""How long backups and logs are kept, each with the requirement behind it."""

from __future__ import annotations

from constructs_lib.policy.errors import ConfigurationError

#: Automated database backups. 30 days covers a monthly close; RDS allows at most 35.
DATABASE_BACKUP_RETENTION_DAYS = 30

#: CloudWatch log retention by purpose (days). Every value is one CloudWatch accepts.
LOG_RETENTION_DAYS: dict[str, int] = {
    # Application and service logs: two weeks is enough to debug an incident and cheap to keep.
    "application": 14,
    # Audit trails (PHI access, cardholder-data environment): PCI DSS 10.5.1 asks for 12 months.
    "audit": 365,
    # VPC flow logs: 90 days of network evidence for an investigation, at a fraction of a year's cost.
    "network": 90,
}

#: Retention values CloudWatch Logs accepts; anything else is rejected by the API at deploy time.
CLOUDWATCH_RETENTION_VALUES: frozenset[int] = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

#: Kinesis record retention (hours): a day lets a consumer outage be replayed; longer costs extra per shard-hour.
STREAM_RETENTION_HOURS = 24

#: S3 lifecycle (days): non-current object versions are kept this long, then expire.
NONCURRENT_VERSION_EXPIRATION_DAYS = 90
#: S3 lifecycle (days): current objects move to Infrequent Access after this long.
TRANSITION_TO_IA_DAYS = 30
#: S3 lifecycle (days): incomplete multipart uploads are aborted after this long.
ABORT_INCOMPLETE_UPLOAD_DAYS = 7

#: S3 server access logs are audit evidence (who read or changed regulated data): kept for the ``audit`` retention,
#: PCI DSS 10.5.1's 12 months, then expired, so both renderings keep exactly the same evidence for the same time.
ACCESS_LOG_EXPIRATION_DAYS = LOG_RETENTION_DAYS["audit"]

#: SQS dead-letter queue retention (seconds): the maximum, 14 days, so failures can be inspected.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600


def check_expiration_days(days: int | None, field: str = "expiration_days") -> int | None:
    """Return ``days`` (or ``None``: objects never expire) if current objects can expire then, else fail at synth:
    expiring before the Infrequent Access transition would pay the transition for nothing (S3 refuses it too)."""
    if days is not None and days <= TRANSITION_TO_IA_DAYS:
        raise ConfigurationError(
            field, days, f"more than {TRANSITION_TO_IA_DAYS} days (objects move to Infrequent Access first)"
        )
    return days


def log_retention_days(purpose: str) -> int:
    """Retention for a log ``purpose``, or a ConfigurationError listing the purposes there are."""
    try:
        return LOG_RETENTION_DAYS[purpose]
    except KeyError:
        raise ConfigurationError("log_purpose", purpose, LOG_RETENTION_DAYS) from None


def check_log_retention(days: int, field: str = "retention_days") -> int:
    """Return ``days`` if CloudWatch accepts it, else fail at synth naming the allowed values."""
    if days not in CLOUDWATCH_RETENTION_VALUES:
        raise ConfigurationError(field, days, ", ".join(str(v) for v in sorted(CLOUDWATCH_RETENTION_VALUES)))
    return days
