"""Data-processing function: mask card numbers (PANs) in objects uploaded under ``incoming/``.

Each object is read, every Luhn-valid 13-19 digit number is replaced by asterisks except its last four digits
(PCI DSS 3.4.1 allows at most the last four to be displayed), and the result is written under ``processed/``.
The original stays encrypted in the bucket; only the masked copy is meant for downstream readers. The prefixes come
from the function's environment, set by the stack.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Any

#: 13-19 digits, optionally separated by single spaces or hyphens (how card numbers appear in free text).
CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
VISIBLE_DIGITS = 4


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum every payment card number carries."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def mask_pans(text: str) -> tuple[str, int]:
    """``text`` with every card number masked to its last four digits, and how many were masked."""
    count = 0

    def _mask(match: re.Match[str]) -> str:
        nonlocal count
        digits = re.sub(r"\D", "", match.group(0))
        if not luhn_valid(digits):
            return match.group(0)
        count += 1
        return "*" * (len(digits) - VISIBLE_DIGITS) + digits[-VISIBLE_DIGITS:]

    return CANDIDATE.sub(_mask, text), count


def processed_key(key: str, incoming: str, processed: str) -> str | None:
    """Where the masked copy of ``key`` goes, or None for objects outside the ``incoming`` prefix."""
    if not key.startswith(incoming):
        return None
    return processed + key[len(incoming) :]


def handler(event: dict[str, Any], context: Any = None, s3: Any = None) -> dict[str, int]:
    """S3 ObjectCreated handler; ``s3`` is injectable for tests (the Lambda runtime provides boto3)."""
    if s3 is None:  # pragma: no cover - only in the Lambda runtime
        import boto3

        s3 = boto3.client("s3")
    incoming, processed = os.environ["INCOMING_PREFIX"], os.environ["PROCESSED_PREFIX"]
    objects = masked_total = 0
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        target = processed_key(key, incoming, processed)
        if target is None:
            continue
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        masked, count = mask_pans(body)
        s3.put_object(Bucket=bucket, Key=target, Body=masked.encode("utf-8"))
        objects += 1
        masked_total += count
    return {"objects": objects, "masked": masked_total}
