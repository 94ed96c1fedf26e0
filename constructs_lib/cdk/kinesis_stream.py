"""KinesisDataStream: a provisioned stream encrypted with a CMK, with the two alarms every stream needs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.alarms import alarm
from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings, storage_removal_policy
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.policy import accepted_findings, alarms, naming, retention, services, storage


class KinesisDataStream(kinesis.Stream):
    """Kinesis data stream, secure with no arguments.

    - Name ``<name_prefix>-<suffix>`` (default prefix: the construct id in kebab case).
    - Server-side encryption with a customer-managed key (``encryption_key``, else its own :class:`EncryptionKey`),
      not the AWS-managed ``aws/kinesis`` key: key use is then logged and can be revoked per stream.
    - Provisioned mode, ``shard_count`` shards (default ``services.STREAM_SHARDS``; ignored if ``stream_mode`` is
      overridden to on-demand); records kept 24 hours.
    - Removal from the profile: dev deletes the stream, prod retains it.
    - Two alarms, both announcing breach and recovery on ``alarm_topic`` (else its own :class:`AlarmTopic`,
      encrypted with the stream's key): ``iterator_age_alarm`` (``alarms.STREAM_ITERATOR_AGE``: consumers are falling
      behind and data ages out at the retention limit) and ``throttle_alarm`` (``alarms.STREAM_WRITE_THROTTLED``: any
      throttled write, producers need more shards). An idle stream is not alarming.

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
            "encryption": kinesis.StreamEncryption[storage.STREAM_ENCRYPTION],
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
        self.iterator_age_alarm = alarm(
            self,
            "IteratorAgeAlarm",
            alarms.STREAM_ITERATOR_AGE,
            resource=self.stream_name,
            name_prefix=base,
            topic=alarm_topic,
        )
        self.throttle_alarm = alarm(
            self,
            "WriteThrottleAlarm",
            alarms.STREAM_WRITE_THROTTLED,
            resource=self.stream_name,
            name_prefix=base,
            topic=alarm_topic,
        )
