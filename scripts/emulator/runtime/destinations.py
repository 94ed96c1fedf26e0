"""Where the Lambda service sends what failed (and, for asynchronous invocations, what succeeded): an SQS queue or
an SNS topic, named by ARN, written to the emulated backend of the ARN's account and region."""

from __future__ import annotations

import json
from typing import Any

from scripts.emulator.runtime import lifecycle


def send(destination_arn: str, body: dict[str, Any], attributes: dict[str, str] | None = None) -> None:
    """``body`` as JSON to the queue or topic; ``attributes`` become SQS string message attributes."""
    _, _, service, region, account_id, resource = destination_arn.split(":", 5)
    if service == "sqs":
        from moto.sqs.models import sqs_backends

        message_attributes = {
            name: {"DataType": "String", "StringValue": value} for name, value in (attributes or {}).items()
        }
        sqs_backends[account_id][region].send_message(resource, json.dumps(body), message_attributes or None)
    elif service == "sns":
        from moto.sns.models import sns_backends

        sns_backends[account_id][region].publish(json.dumps(body), arn=destination_arn)
    else:
        lifecycle.LOG.error("destination %s is not emulated (SQS and SNS are)", destination_arn)
