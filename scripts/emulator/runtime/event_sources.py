"""Event sources invoke functions as the Lambda service does, from their deployed configuration.

Each Kinesis or SQS event source mapping gets a poller thread while it exists, honouring its batch size, starting
position, bisect-on-error, retries, maximum record age, on-failure destination (AWS's failure-record shape) and, for
SQS, delete-on-success and partial batch responses, so the queue's redrive policy applies. S3 notifications to Lambda
invoke their function asynchronously. A failing handler or poller is logged and never stops the server.
"""

from __future__ import annotations

import datetime
import functools
import json
import threading
import time
import urllib.parse
import uuid
from typing import Any

from scripts.emulator.atomic_calls import released
from scripts.emulator.registry import addition
from scripts.emulator.runtime import destinations, functions, lifecycle

POLL_INTERVAL_SECONDS = 0.5


def _iso(epoch: float) -> str:
    return (
        datetime.datetime.fromtimestamp(epoch, datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN."""
    _, _, service, region, account_id, resource = arn.split(":", 5)
    return service, region, account_id, resource


def failed_items(outcome: functions.Outcome, mapping: Any) -> set[str] | None:
    """The item identifiers a successful invocation reported as failed (ReportBatchItemFailures), else None."""
    if outcome.errored or "ReportBatchItemFailures" not in (mapping.function_response_types or []):
        return None
    try:
        response = json.loads(outcome.payload)
        items = response.get("batchItemFailures") if isinstance(response, dict) else None
        return {str(item["itemIdentifier"]) for item in items or []} or None
    except (ValueError, TypeError, KeyError):
        return None


class Poller:
    """One event source mapping's polling thread."""

    def __init__(self, backend: Any, mapping: Any) -> None:
        self.backend = backend
        self.uuid = mapping.uuid
        self.stopping = threading.Event()
        self.positions: dict[str, int] = {}
        self.service = _arn_parts(mapping.event_source_arn)[0]
        if self.service == "kinesis":
            self.positions = self._starting_positions(mapping)
        self.thread = threading.Thread(target=self._loop, name=f"local-aws-esm-{self.uuid}", daemon=True)

    @property
    def name(self) -> str:
        return f"event-source-mapping:{self.uuid}"

    def start(self) -> None:
        lifecycle.keep(self.name, self.stop)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            with released():
                self.thread.join(timeout=5)

    def mapping(self) -> Any:
        return getattr(self.backend, "_event_source_mappings", {}).get(self.uuid)

    def _loop(self) -> None:
        while not self.stopping.wait(POLL_INTERVAL_SECONDS):
            mapping = self.mapping()
            if mapping is None:  # deleted, or the backend was reset
                lifecycle.release(self.name)
                return
            if not mapping.enabled:
                continue
            try:
                if self.service == "kinesis":
                    self.poll_stream(mapping)
                else:
                    self.poll_queue(mapping)
            except Exception:
                lifecycle.LOG.exception("event source mapping %s: poll failed", self.uuid)

    def invoke(self, mapping: Any, event: dict[str, Any]) -> functions.Outcome:
        return functions.run(functions.function_by_arn(mapping.function_arn), event)

    # --- Kinesis -----------------------------------------------------------------------------------------------

    def _stream(self, mapping: Any) -> Any:
        from moto.kinesis.models import kinesis_backends

        _, region, account_id, _ = _arn_parts(mapping.event_source_arn)
        for stream in kinesis_backends[account_id][region].streams.values():
            if stream.arn == mapping.event_source_arn:
                return stream
        return None

    def _starting_positions(self, mapping: Any) -> dict[str, int]:
        """The sequence number each shard is read after: TRIM_HORIZON the start, LATEST what is there now."""
        stream = self._stream(mapping)
        if stream is None:
            return {}
        positions = {}
        for shard_id, shard in stream.shards.items():
            if mapping.starting_position == "LATEST":
                positions[shard_id] = shard.get_max_sequence_number()
            elif mapping.starting_position == "AT_TIMESTAMP" and mapping.starting_position_timestamp:
                positions[shard_id] = shard.get_sequence_number_at(float(mapping.starting_position_timestamp)) - 1
            else:
                positions[shard_id] = 0
        return positions

    def poll_stream(self, mapping: Any) -> None:
        stream = self._stream(mapping)
        if stream is None:
            return
        for shard_id, shard in list(stream.shards.items()):
            records, _, _ = shard.get_records(str(self.positions.get(shard_id, 0)), mapping.batch_size)
            if not records:
                continue
            expired = self.expired(mapping, records)
            if expired:
                self.report_failure(mapping, stream, shard_id, expired, 0, None, "RecordAgeExceeded")
            if len(expired) < len(records):
                self.deliver_records(mapping, stream, shard_id, records[len(expired) :])
            self.positions[shard_id] = records[-1].sequence_number

    @staticmethod
    def expired(mapping: Any, records: list[Any]) -> list[Any]:
        """The leading records older than ``MaximumRecordAgeInSeconds`` (-1 or unset: records never expire here)."""
        age = mapping.max_record_age
        if age is None or int(age) < 0:
            return []
        oldest_allowed = time.time() - int(age)
        count = next((index for index, record in enumerate(records) if record.created_at >= oldest_allowed), None)
        return records if count is None else records[:count]

    def kinesis_event(self, mapping: Any, stream: Any, shard_id: str, records: list[Any]) -> dict[str, Any]:
        function = functions.function_by_arn(mapping.function_arn)
        return {
            "Records": [
                {
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": record.partition_key,
                        "sequenceNumber": str(record.sequence_number),
                        "data": record.data,
                        "approximateArrivalTimestamp": round(record.created_at, 3),
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": f"{shard_id}:{record.sequence_number}",
                    "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": function.role,
                    "awsRegion": _arn_parts(stream.arn)[1],
                    "eventSourceARN": stream.arn,
                }
                for record in records
            ]
        }

    def deliver_records(self, mapping: Any, stream: Any, shard_id: str, records: list[Any]) -> None:
        """Invoke on ``records`` until they succeed, are split, or exhaust their retries (then: the destination)."""
        attempts = 0
        while not self.stopping.is_set():
            outcome = self.invoke(mapping, self.kinesis_event(mapping, stream, shard_id, records))
            attempts += 1
            failed = failed_items(outcome, mapping)
            if not outcome.errored and failed is None:
                return
            if failed is not None:  # the batch resumes from the first record the function reported
                reported = (index for index, record in enumerate(records) if str(record.sequence_number) in failed)
                records = records[min(reported, default=0) :]
            if mapping.bisect_on_error and len(records) > 1:
                half = len(records) // 2
                self.deliver_records(mapping, stream, shard_id, records[:half])
                self.deliver_records(mapping, stream, shard_id, records[half:])
                return
            retries = mapping.max_retry_attempts
            if retries is not None and int(retries) >= 0 and attempts > int(retries):
                self.report_failure(mapping, stream, shard_id, records, attempts, outcome)
                return
            self.stopping.wait(POLL_INTERVAL_SECONDS)

    def report_failure(
        self,
        mapping: Any,
        stream: Any,
        shard_id: str,
        records: list[Any],
        attempts: int,
        outcome: functions.Outcome | None,
        condition: str = "RetryAttemptsExhausted",
    ) -> None:
        destination = ((mapping.destination_config or {}).get("OnFailure") or {}).get("Destination")
        lifecycle.LOG.warning("event source mapping %s: %d records discarded", self.uuid, len(records))
        if not destination:
            return
        function = functions.function_by_arn(mapping.function_arn)
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": mapping.function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": str(function.version),
                "functionError": "Unhandled" if outcome and outcome.errored else None,
            },
            "version": "1.0",
            "timestamp": _iso(datetime.datetime.now(datetime.UTC).timestamp()),
            "KinesisBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": str(records[0].sequence_number),
                "endSequenceNumber": str(records[-1].sequence_number),
                "approximateArrivalOfFirstRecord": _iso(records[0].created_at),
                "approximateArrivalOfLastRecord": _iso(records[-1].created_at),
                "batchSize": len(records),
                "streamArn": stream.arn,
            },
        }
        if record["responseContext"]["functionError"] is None:
            del record["responseContext"]["functionError"]
        destinations.send(destination, record)

    # --- SQS ---------------------------------------------------------------------------------------------------

    def poll_queue(self, mapping: Any) -> None:
        from moto.sqs.models import sqs_backends

        _, region, account_id, queue_name = _arn_parts(mapping.event_source_arn)
        backend = sqs_backends[account_id][region]
        if queue_name not in backend.queues:
            return
        queue = backend.queues[queue_name]
        messages = backend.receive_message(queue_name, mapping.batch_size, 0, int(queue.visibility_timeout))
        if not messages:
            return
        event = {"Records": [self.sqs_record(message, mapping.event_source_arn, region) for message in messages]}
        outcome = self.invoke(mapping, event)
        if outcome.errored:
            return  # left in the queue: visible again after the visibility timeout, redriven after maxReceiveCount
        failed = failed_items(outcome, mapping) or set()
        for message in messages:
            if message.id not in failed:
                backend.delete_message(queue_name, message.receipt_handle)

    @staticmethod
    def sqs_record(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
        attributes = {
            "ApproximateReceiveCount": str(message.approximate_receive_count),
            "SentTimestamp": str(message.sent_timestamp),
            "SenderId": message.sender_id,
            "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
        }
        if message.group_id:
            attributes.update(MessageGroupId=message.group_id, MessageDeduplicationId=message.deduplication_id or "")
        return {
            "messageId": message.id,
            "receiptHandle": message.receipt_handle,
            "body": message.body,
            "attributes": attributes,
            "messageAttributes": {
                name: {key[0].lower() + key[1:]: value for key, value in attribute.items()}
                for name, attribute in (message.message_attributes or {}).items()
            },
            "md5OfBody": message.body_md5,
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }


@addition(
    "Kinesis and SQS event source mappings are polled",
    "engine",
    "moto invoked a mapping's function inside PutRecord or SendMessage, one record at a time, with no batching, "
    "retries, bisect-on-error, on-failure destination or partial batch response; the mappings a stack deploys are "
    "now polled in the background as the Lambda service polls them",
)
def _poll_event_sources() -> None:
    from moto.awslambda.models import LambdaBackend
    from moto.kinesis.models import Stream
    from moto.sqs.models import Queue

    # moto's own synchronous delivery goes: the pollers deliver instead.
    nowhere = property(lambda _self: {}, lambda _self, _value: None)
    Queue.lambda_event_source_mappings = nowhere
    Stream.lambda_event_source_mappings = nowhere

    original_create = LambdaBackend.create_event_source_mapping
    original_delete = LambdaBackend.delete_event_source_mapping

    @functools.wraps(original_create)
    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        mapping = original_create(self, spec)
        if _arn_parts(mapping.event_source_arn)[0] in ("kinesis", "sqs"):
            Poller(self, mapping).start()
        return mapping

    @functools.wraps(original_delete)
    def delete_event_source_mapping(self: Any, uuid: str) -> Any:
        mapping = original_delete(self, uuid)
        lifecycle.stop(f"event-source-mapping:{uuid}")
        return mapping

    LambdaBackend.create_event_source_mapping = create_event_source_mapping
    LambdaBackend.delete_event_source_mapping = delete_event_source_mapping


@addition(
    "S3 notifications invoke their function",
    "engine",
    "moto ran a bucket's Lambda notification inside PutObject and threw any failure away, with an event whose key "
    "had its slashes encoded and that lacked the sequencer, the requester and the object's version; the function "
    "now runs asynchronously, as S3 invokes it",
)
def _notify_functions() -> None:
    from moto.s3 import notifications

    original_event = notifications._get_s3_event

    def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original_event(event_name, bucket, key, notification_id)
        for record in event["Records"]:
            record["userIdentity"] = {"principalId": "AWS:LOCALAWSEMULATOR"}
            record["requestParameters"] = {"sourceIPAddress": "127.0.0.1"}
            record["responseElements"] = {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": "local"}
            record["s3"]["object"]["key"] = urllib.parse.quote_plus(key.name, safe="/")  # AWS keeps the slashes
            record["s3"]["object"]["sequencer"] = f"{time.time_ns() // 1000:016X}"
            if getattr(key, "version_id", None) and key.version_id != "null":
                record["s3"]["object"]["versionId"] = key.version_id
            record["s3"]["bucket"]["ownerIdentity"] = {"principalId": "LOCALAWSEMULATOR"}
        return event

    def invoke_function(account_id: str, event_body: Any, function_arn: str, region_name: str) -> None:
        try:
            function = functions.function_by_arn(function_arn)
        except Exception:
            lifecycle.LOG.warning("S3 notification to a missing function %s", function_arn)
            return
        lifecycle.submit(functions.run_async, function, event_body)

    notifications._get_s3_event = s3_event
    notifications._invoke_awslambda = invoke_function
