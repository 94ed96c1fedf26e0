"""KinesisDataStream: a provisioned Kinesis data stream encrypted with a customer-managed key, with its alarms."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.kinesis_stream import KinesisStream as TfKinesisStream
from constructs import Construct

from constructs_lib.cdktf.alarm_topic import AlarmTopic
from constructs_lib.cdktf.alarms import metric_alarm
from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import deployment_settings, force_destroy
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.policy import alarms, naming, retention, services, storage


class KinesisDataStream(Construct):
    """Kinesis data stream, secure with no arguments (the cdktf twin of ``KinesisDataStream``).

    - Name ``<name_prefix>-<suffix>`` (default prefix: the construct id in kebab case).
    - Server-side encryption with ``encryption_key`` (or a key of its own), never the AWS-managed key.
    - Provisioned mode with the policy's shards, 24 h retention; in dev, registered consumers are deregistered on
      destroy so teardown never stalls.
    - Two alarms notifying ``alarm_topic`` (else a topic of its own), as the CDK twin raises them: ``throttle_alarm``
      (``alarms.STREAM_WRITE_THROTTLED``) and ``iterator_age_alarm`` (``alarms.STREAM_ITERATOR_AGE``).

    Example::

        stream = KinesisDataStream(self, "ingest", name_prefix="video-ingest", encryption_key=key, alarm_topic=topic)

    Any ``KinesisDataStream`` (provider) argument may be passed; replacing a hardened value is reported at synth.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        alarm_topic: AlarmTopic | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        base = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"stream {self.node.path}")
        self.encryption_key = encryption_key
        if alarm_topic is None:
            alarm_topic = AlarmTopic(
                self, "alarms", name_prefix=f"{base}-{storage.ALARM_TOPIC_BASE_SUFFIX}", encryption_key=encryption_key
            )
        self.alarm_topic = alarm_topic
        defaults: dict[str, Any] = {
            "name": naming.resource_name("kinesis_stream", base, settings.environment_suffix),
            "encryption_type": storage.STREAM_ENCRYPTION,
            "kms_key_id": encryption_key.arn,
            "stream_mode_details": {"stream_mode": storage.STREAM_MODE},
            "shard_count": services.STREAM_SHARDS,
            "retention_period": retention.STREAM_RETENTION_HOURS,
            "enforce_consumer_deletion": force_destroy(settings.profile),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.stream = TfKinesisStream(self, "stream", **props)
        warn_overrides(self, changed)
        self.throttle_alarm = metric_alarm(
            self,
            "write-throttled",
            alarms.STREAM_WRITE_THROTTLED,
            resource=self.stream.name,
            name_prefix=base,
            topic=alarm_topic,
        )
        self.iterator_age_alarm = metric_alarm(
            self,
            "iterator-age",
            alarms.STREAM_ITERATOR_AGE,
            resource=self.stream.name,
            name_prefix=base,
            topic=alarm_topic,
        )

    @property
    def name(self) -> str:
        return self.stream.name

    @property
    def arn(self) -> str:
        return self.stream.arn
