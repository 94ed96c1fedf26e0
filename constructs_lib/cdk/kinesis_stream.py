"""KinesisDataStream: a provisioned stream encrypted with a CMK, with the two alarms every stream needs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings, storage_removal_policy
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.policy import accepted_findings, naming, retention, services, storage

_TREAT_MISSING_DATA: dict[str, cloudwatch.TreatMissingData] = {
    "breaching": cloudwatch.TreatMissingData.BREACHING,
    "notBreaching": cloudwatch.TreatMissingData.NOT_BREACHING,
    "ignore": cloudwatch.TreatMissingData.IGNORE,
    "missing": cloudwatch.TreatMissingData.MISSING,
}


class KinesisDataStream(kinesis.Stream):
    """Kinesis data stream, secure with no arguments.

    - Name ``<name_prefix>-<suffix>`` (default prefix: the construct id in kebab case).
    - Server-side encryption with a customer-managed key (``encryption_key``, else its own :class:`EncryptionKey`),
      not the AWS-managed ``aws/kinesis`` key: key use is then logged and can be revoked per stream.
    - Provisioned mode, ``shard_count`` shards (default ``services.STREAM_SHARDS``; ignored if ``stream_mode`` is
      overridden to on-demand); records kept 24 hours.
    - Removal from the profile: dev deletes the stream, prod retains it.
    - Two alarms, both announcing breach and recovery on ``alarm_topic`` (else its own :class:`AlarmTopic`,
      encrypted with the stream's key): ``iterator_age_alarm`` (the oldest unread record is older than
      ``services.STREAM_ITERATOR_AGE_ALARM_MS``: consumers are falling behind and data ages out at the retention
      limit) and ``throttle_alarm`` (any throttled write: producers need more shards). An idle stream is not alarming.

    Example::

        stream = KinesisDataStream(self, "Telemetry", name_prefix="iot-telemetry", encryption_key=key,
                                   shard_count=2, alarm_topic=alarms)

    Any ``kinesis.Stream`` prop may be passed; overriding a hardened default is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        shard_count: int = services.STREAM_SHARDS,
        alarm_topic: sns.ITopic | None = None,
        **overrides: Any,
    ) -> None:
        settings = deployment_settings(scope)
        base = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        defaults: dict[str, Any] = {
            "stream_name": naming.resource_name("kinesis_stream", base, settings.environment_suffix),
            "encryption": kinesis.StreamEncryption.KMS,
            "stream_mode": kinesis.StreamMode[storage.STREAM_MODE],
            "retention_period": Duration.hours(retention.STREAM_RETENTION_HOURS),
            "removal_policy": storage_removal_policy(scope),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        if encryption_key is not None or props["encryption"] == kinesis.StreamEncryption.KMS:
            props["encryption_key"] = encryption_key or EncryptionKey(
                scope, f"{construct_id}Key", description=f"stream {construct_id}"
            )
        if props["stream_mode"] == kinesis.StreamMode.PROVISIONED:
            props["shard_count"] = shard_count
        super().__init__(scope, construct_id, **props)
        warn_overrides(self, changed)
        accept(self, accepted_findings.CUSTOMER_MANAGED_STREAM_KEY)

        if alarm_topic is None:
            alarm_topic = AlarmTopic(
                scope,
                f"{construct_id}Alarms",
                name_prefix=f"{base}-{storage.ALARM_TOPIC_BASE_SUFFIX}",
                encryption_key=props.get("encryption_key"),
            )
        self.alarm_topic = alarm_topic
        period = Duration.seconds(services.ALARM_PERIOD_SECONDS)
        suffix = settings.environment_suffix
        self.iterator_age_alarm = self._alarm(
            "IteratorAgeAlarm",
            naming.resource_name("cloudwatch_alarm", f"{base}-iterator-age", suffix),
            "Consumers are falling behind: the oldest unread record is older than the threshold (ms); records "
            "expire unread at the stream's retention limit.",
            self.metric_get_records_iterator_age_milliseconds(statistic=cloudwatch.Stats.MAXIMUM, period=period),
            services.STREAM_ITERATOR_AGE_ALARM_MS,
            cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self.throttle_alarm = self._alarm(
            "WriteThrottleAlarm",
            naming.resource_name("cloudwatch_alarm", f"{base}-write-throttled", suffix),
            "Producers are throttled: writes exceed the provisioned shards and are retried or lost; add shards.",
            self.metric_write_provisioned_throughput_exceeded(statistic=cloudwatch.Stats.SUM, period=period),
            services.STREAM_THROTTLE_ALARM_THRESHOLD,
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )

    def _alarm(
        self,
        construct_id: str,
        alarm_name: str,
        description: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
    ) -> cloudwatch.Alarm:
        """One alarm on this stream that tells the alarm topic when it fires and when it recovers."""
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=alarm_name,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=storage.ALARM_EVALUATION_PERIODS,
            treat_missing_data=_TREAT_MISSING_DATA[storage.ALARM_TREAT_MISSING_DATA],
        )
        action = cloudwatch_actions.SnsAction(self.alarm_topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        return alarm
