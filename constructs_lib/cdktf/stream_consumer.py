"""StreamConsumerFunction: a SecureFunction that reads a Kinesis stream, retries sanely and dead-letters what fails."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf_cdktf_provider_aws.lambda_event_source_mapping import (
    LambdaEventSourceMapping,
    LambdaEventSourceMappingDestinationConfig,
    LambdaEventSourceMappingDestinationConfigOnFailure,
)
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.grants import stream_read_statements
from constructs_lib.cdktf.kinesis_stream import KinesisDataStream
from constructs_lib.cdktf.secure_function import SecureFunction
from constructs_lib.cdktf.secure_queue import DeadLetterQueue
from constructs_lib.policy import compute, services


class StreamConsumerFunction(SecureFunction):
    """:class:`SecureFunction` consuming a Kinesis stream, secure with the stream, code and handler given.

    - Everything a :class:`SecureFunction` is: VPC with HTTPS-only egress, encrypted environment and log group,
      tracing, reserved concurrency, asynchronous dead-letter queue, errors and throttles alarms.
    - ``event_source_mapping``: starting position, batch size, bisect on error, retries and maximum record age from
      the policy; a batch that still fails goes to ``stream_failure_queue``, a :class:`DeadLetterQueue` (CMK, TLS
      only, alarm on the first message to the function's ``alarm_topic``).
    - The role gets a policy of its own to read the stream (and decrypt it with the stream's key) and to send to the
      failure queue; the mapping waits for it, as Lambda checks the role when the mapping is created.

    Example::

        consumer = StreamConsumerFunction(self, "processor", stream=stream, code_path="handler",
                                          handler="app.handler", network=network, encryption_key=key)

    Takes every :class:`SecureFunction` argument, and ``event_source_overrides`` takes ``LambdaEventSourceMapping``
    arguments; replacing a hardened value is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream: KinesisDataStream,
        event_source_overrides: Mapping[str, Any] | None = None,
        **function_props: Any,
    ) -> None:
        super().__init__(scope, construct_id, **function_props)
        self.stream_failure_queue = DeadLetterQueue(
            self,
            "stream-dlq",
            name_prefix=f"{self.name_prefix}-stream-dlq",
            encryption_key=self.encryption_key,
            alarm_topic=self.alarm_topic,
        )
        grant = self.role.add_statements(
            f"{self.name_prefix}-stream",
            [
                *stream_read_statements(stream),
                {
                    "Sid": "SendFailedBatches",
                    "Effect": "Allow",
                    "Action": list(compute.SQS_SEND_ACTIONS),
                    "Resource": self.stream_failure_queue.arn,
                },
                {
                    "Sid": "UseFailureQueueKey",
                    "Effect": "Allow",
                    "Action": list(compute.SQS_SEND_KMS_ACTIONS),
                    "Resource": self.stream_failure_queue.encryption_key.arn,
                },
            ],
        )
        defaults: dict[str, Any] = {
            "starting_position": compute.STREAM_STARTING_POSITION,
            "batch_size": services.STREAM_BATCH_SIZE,
            "bisect_batch_on_function_error": services.STREAM_BISECT_ON_ERROR,
            "maximum_retry_attempts": services.STREAM_MAX_RETRY_ATTEMPTS,
            "maximum_record_age_in_seconds": services.STREAM_MAX_RECORD_AGE_SECONDS,
            "destination_config": LambdaEventSourceMappingDestinationConfig(
                on_failure=LambdaEventSourceMappingDestinationConfigOnFailure(
                    destination_arn=self.stream_failure_queue.arn
                )
            ),
        }
        props, changed = merge_with_defaults(defaults, event_source_overrides or {})
        self.event_source_mapping = LambdaEventSourceMapping(
            self,
            "event-source",
            event_source_arn=stream.arn,
            function_name=self.function.arn,
            depends_on=[grant],
            **props,
        )
        warn_overrides(self, changed)
