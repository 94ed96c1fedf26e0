"""StreamConsumerFunction: a SecureFunction that reads a Kinesis stream, retries sanely and dead-letters what fails."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.secure_function import SecureFunction, grant_send_to_queue
from constructs_lib.cdk.secure_queue import DeadLetterQueue
from constructs_lib.policy import accepted_findings, compute, services


@jsii.implements(lambda_.IEventSourceDlq)
class EncryptedQueueDestination:
    """On-failure destination of an event source mapping: like ``SqsDlq``, with the narrower grant above."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self, _target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        grant_send_to_queue(self.queue, target_handler)
        return lambda_.DlqDestinationConfig(destination=self.queue.queue_arn)


class StreamConsumerFunction(SecureFunction):
    """:class:`SecureFunction` consuming a Kinesis stream, secure with only the stream, code and handler given.

    - Everything a :class:`SecureFunction` is: VPC, encrypted environment and log group, tracing, reserved
      concurrency, asynchronous dead-letter queue, errors and throttles alarms.
    - Kinesis event source: starting position, batch size, bisect on error, retries and maximum record age from the
      policy; a batch that still fails goes to ``stream_failure_queue``, a :class:`DeadLetterQueue` (CMK, TLS only,
      alarm on the first message to the function's ``alarm_topic``). The role may read the stream and decrypt it.

    Example::

        consumer = StreamConsumerFunction(
            self, "Processor", stream=stream, code=lambda_.Code.from_asset("lambda"), handler="app.handler",
            vpc=network, encryption_key=key, name_prefix="patient-processor", alarm_topic=alarms,
        )
        db.allow_from(consumer)

    Takes every :class:`SecureFunction` argument, and ``event_source_overrides`` takes ``KinesisEventSource`` props;
    overriding a hardened default is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream: kinesis.IStream,
        event_source_overrides: Mapping[str, Any] | None = None,
        **function_props: Any,
    ) -> None:
        super().__init__(scope, construct_id, **function_props)
        stream_failure_queue = DeadLetterQueue(
            scope,
            f"{construct_id}StreamFailureQueue",
            encryption_key=self.encryption_key,
            name_prefix=f"{self.name_prefix}-stream-dlq",
            alarm_topic=self.alarm_topic,
        )
        source_defaults: dict[str, Any] = {
            "starting_position": lambda_.StartingPosition[compute.STREAM_STARTING_POSITION],
            "batch_size": services.STREAM_BATCH_SIZE,
            "bisect_batch_on_error": services.STREAM_BISECT_ON_ERROR,
            "retry_attempts": services.STREAM_MAX_RETRY_ATTEMPTS,
            "max_record_age": Duration.seconds(services.STREAM_MAX_RECORD_AGE_SECONDS),
            "on_failure": EncryptedQueueDestination(stream_failure_queue),
        }
        source_props, source_changes = merge_with_defaults(source_defaults, event_source_overrides or {})
        self.event_source = event_sources.KinesisEventSource(stream, **source_props)
        self.add_event_source(self.event_source)
        warn_overrides(self, source_changes)
        accept(stream_failure_queue, accepted_findings.STREAM_FAILURE_QUEUE)
        self.stream_failure_queue = stream_failure_queue
        self.event_source_mapping_id: str = self.event_source.event_source_mapping_id
