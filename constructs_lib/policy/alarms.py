"""Every alarm a construct raises, as rendering-neutral data: metric, statistic, comparator, threshold, periods.

Both renderings build their alarms only from these specs (``constructs_lib.cdk.alarms.alarm`` and
``constructs_lib.cdktf.alarms.metric_alarm``), so a CloudFormation alarm and its Terraform twin cannot disagree.
Comparators are CloudWatch's own strings. The rule they follow: a count of bad events pages on the first one
(``>=`` 1, "any"); a gauge with a limit pages once it is over the limit (``>``); a floor pages below it (``<``).
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.policy import services
from constructs_lib.policy.errors import ConfigurationError

#: Five minutes: the shortest standard-resolution period that every metric here publishes into without gaps.
PERIOD_SECONDS = 300
#: One breaching period is enough: every storage/stream alarm signals data at risk, not noise.
EVALUATION_PERIODS = 1
#: A period with no data (an idle stream) is not a failure; only a measured breach pages someone.
TREAT_MISSING_DATA = "notBreaching"
#: The comparison operators CloudWatch accepts for a static threshold.
COMPARISON_OPERATORS: tuple[str, ...] = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)

_GIB = 1024**3


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: which metric of which resource, how it is aggregated and compared, and why it pages."""

    #: Appended to the construct's base name: ``<base>-<name_suffix>-<environment suffix>``.
    name_suffix: str
    namespace: str
    metric_name: str
    #: The dimension naming the watched resource (its value is the resource's name, given by the construct).
    dimension: str
    statistic: str
    comparison_operator: str
    threshold: float
    #: Why it pages; also the alarm's description, so whoever is woken reads it.
    description: str
    period_seconds: int = PERIOD_SECONDS
    evaluation_periods: int = EVALUATION_PERIODS
    treat_missing_data: str = TREAT_MISSING_DATA

    def __post_init__(self) -> None:
        if self.comparison_operator not in COMPARISON_OPERATORS:
            raise ConfigurationError("comparison_operator", self.comparison_operator, COMPARISON_OPERATORS)


# --- Kinesis ---------------------------------------------------------------------------------------------------
STREAM_ITERATOR_AGE = AlarmSpec(
    name_suffix="iterator-age",
    namespace="AWS/Kinesis",
    metric_name="GetRecords.IteratorAgeMilliseconds",
    dimension="StreamName",
    statistic="Maximum",
    # A gauge with a limit: a minute of lag is allowed, more than that pages (">", as "older than a minute" reads).
    comparison_operator="GreaterThanThreshold",
    threshold=60_000,
    description="Consumers are falling behind: the oldest unread record is more than a minute old (ms); records "
    "expire unread at the stream's retention limit.",
)
STREAM_WRITE_THROTTLED = AlarmSpec(
    name_suffix="write-throttled",
    namespace="AWS/Kinesis",
    metric_name="WriteProvisionedThroughputExceeded",
    dimension="StreamName",
    statistic="Sum",
    comparison_operator="GreaterThanOrEqualToThreshold",
    threshold=1,
    description="Producers are throttled: writes exceed the provisioned shards and are retried or lost; add shards.",
)

# --- SQS -------------------------------------------------------------------------------------------------------
QUEUE_HAS_MESSAGES = AlarmSpec(
    name_suffix="messages-visible",
    namespace="AWS/SQS",
    metric_name="ApproximateNumberOfMessagesVisible",
    dimension="QueueName",
    statistic="Maximum",
    comparison_operator="GreaterThanOrEqualToThreshold",
    threshold=1,
    description="Messages are waiting in a dead-letter queue: processing failed and needs a look.",
)

# --- Lambda ----------------------------------------------------------------------------------------------------
FUNCTION_ERRORS = AlarmSpec(
    name_suffix="errors",
    namespace="AWS/Lambda",
    metric_name="Errors",
    dimension="FunctionName",
    statistic="Sum",
    comparison_operator="GreaterThanOrEqualToThreshold",
    threshold=1,
    description="The function failed: the invocation's records are retried, then dead-lettered.",
)
FUNCTION_THROTTLES = AlarmSpec(
    name_suffix="throttles",
    namespace="AWS/Lambda",
    metric_name="Throttles",
    dimension="FunctionName",
    statistic="Sum",
    comparison_operator="GreaterThanOrEqualToThreshold",
    threshold=1,
    description="Invocations were throttled at the function's reserved concurrency: work is waiting or lost.",
)

# --- RDS PostgreSQL --------------------------------------------------------------------------------------------
#: Memory of each instance class the policy may choose (GiB): what RDS sizes max_connections from.
DATABASE_CLASS_MEMORY_GIB: dict[str, float] = {"db.t4g.micro": 1}
#: RDS PostgreSQL's default max_connections is LEAST(DBInstanceClassMemory / 9531392, 5000): 112 for 1 GiB at most
#: (DBInstanceClassMemory is the class memory less what RDS keeps, so never more).
_POSTGRES_MEMORY_BYTES = int(DATABASE_CLASS_MEMORY_GIB[services.POSTGRES_INSTANCE_CLASS] * _GIB)
POSTGRES_MAX_CONNECTIONS = min(_POSTGRES_MEMORY_BYTES // 9_531_392, 5000)
#: PostgreSQL keeps 3 slots for superusers and RDS 2 for rds_superuser: the application gets the rest (107).
POSTGRES_RESERVED_CONNECTIONS = 5

DATABASE_CPU = AlarmSpec(
    name_suffix="cpu",
    namespace="AWS/RDS",
    metric_name="CPUUtilization",
    dimension="DBInstanceIdentifier",
    statistic="Average",
    comparison_operator="GreaterThanThreshold",
    threshold=80,
    # Three periods: a burstable instance may spike through a vacuum; fifteen minutes over 80 % spends CPU credits
    # far faster than it earns them, and queries slow down next.
    evaluation_periods=3,
    description="The database has averaged over 80 % CPU for 15 minutes: queries will slow down; tune or resize.",
)
DATABASE_FREE_STORAGE = AlarmSpec(
    name_suffix="free-storage",
    namespace="AWS/RDS",
    metric_name="FreeStorageSpace",
    dimension="DBInstanceIdentifier",
    statistic="Minimum",
    comparison_operator="LessThanThreshold",
    # 10 % of the allocated storage (2 GiB of 20), in bytes: where RDS storage autoscaling steps in. Someone learns
    # it grew, or that it could not (at the maximum allocated storage, or within its 6-hour cool-down).
    threshold=services.POSTGRES_ALLOCATED_STORAGE_GB * _GIB // 10,
    description="Less than 10 % of the database's initial storage is free: check that storage autoscaling grew it.",
)
DATABASE_CONNECTIONS = AlarmSpec(
    name_suffix="connections",
    namespace="AWS/RDS",
    metric_name="DatabaseConnections",
    dimension="DBInstanceIdentifier",
    statistic="Maximum",
    comparison_operator="GreaterThanThreshold",
    # 80 % of the 107 connections the application may open (85): room to find the leak before clients are refused.
    threshold=(POSTGRES_MAX_CONNECTIONS - POSTGRES_RESERVED_CONNECTIONS) * 8 // 10,
    description="Connections are above 80 % of what the instance class allows: new clients will soon be refused.",
)

#: Every spec, for tests that must cover them all.
ALL: tuple[AlarmSpec, ...] = (
    STREAM_ITERATOR_AGE,
    STREAM_WRITE_THROTTLED,
    QUEUE_HAS_MESSAGES,
    FUNCTION_ERRORS,
    FUNCTION_THROTTLES,
    DATABASE_CPU,
    DATABASE_FREE_STORAGE,
    DATABASE_CONNECTIONS,
)
