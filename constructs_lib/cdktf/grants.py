"""Grants as IAM statements: what a principal needs to use a stream, a queue, a bucket or a secret, and no more.

Each function takes the construct and returns statement dicts for ``ServiceRole.add_statements`` (or a task's
``task_statements``). Stores encrypted with a customer-managed key also get the key actions their use needs, scoped
to that key; ``with_key=False`` leaves them out for a principal already granted the key another way.

Example::

    role.add_statements("ingest", [*stream_read_statements(stream), *queue_consume_statements(jobs)])
    role.add_statements("data", bucket_read_statements(bucket, "incoming/") + bucket_write_statements(bucket, "out/"))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from constructs import IConstruct

from constructs_lib.cdktf import iam
from constructs_lib.cdktf.deployment import account_context
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.kinesis_stream import KinesisDataStream
from constructs_lib.cdktf.secure_bucket import SecureBucket
from constructs_lib.cdktf.secure_queue import SecureQueue
from constructs_lib.policy import compute

Statement = dict[str, Any]


def _allow(sid: str, actions: Sequence[str], resource: str | list[str]) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resource}


def _key(sid: str, key: EncryptionKey | None, actions: Sequence[str], with_key: bool) -> list[Statement]:
    return [_allow(f"{sid}Key", actions, key.arn)] if with_key and key is not None else []


def stream_read_statements(
    stream: KinesisDataStream, *, sid: str = "ReadStream", with_key: bool = True
) -> list[Statement]:
    """Discover and read the stream's shards, and decrypt its records with its key."""
    return [
        _allow(sid, compute.STREAM_READ_ACTIONS, stream.arn),
        *_key(sid, stream.encryption_key, compute.KMS_READ_ACTIONS, with_key),
    ]


def queue_consume_statements(
    queue: SecureQueue, *, sid: str = "ConsumeQueue", with_key: bool = True
) -> list[Statement]:
    """Receive, delete and extend the queue's messages (never send or purge), and decrypt them with its key."""
    return [
        _allow(sid, compute.QUEUE_CONSUME_ACTIONS, queue.arn),
        *_key(sid, queue.encryption_key, compute.KMS_READ_ACTIONS, with_key),
    ]


def bucket_read_statements(
    bucket: SecureBucket, prefix: str = "", *, sid: str = "ReadObjects", with_key: bool = True
) -> list[Statement]:
    """Read objects under ``prefix`` (all objects when empty), and decrypt them with the bucket's key."""
    return [
        _allow(sid, compute.BUCKET_READ_ACTIONS, f"{bucket.arn}/{prefix}*"),
        *_key(sid, bucket.encryption_key, compute.KMS_READ_ACTIONS, with_key),
    ]


def bucket_write_statements(
    bucket: SecureBucket, prefix: str = "", *, sid: str = "WriteObjects", with_key: bool = True
) -> list[Statement]:
    """Write objects under ``prefix`` (anywhere when empty), encrypted with the bucket's key."""
    return [
        _allow(sid, compute.BUCKET_WRITE_ACTIONS, f"{bucket.arn}/{prefix}*"),
        *_key(sid, bucket.encryption_key, (*compute.KMS_WRITE_ACTIONS, *compute.KMS_READ_ACTIONS), with_key),
    ]


def bucket_read_write_statements(
    bucket: SecureBucket, prefix: str = "", *, sid: str = "ReadWriteObjects", with_key: bool = True
) -> list[Statement]:
    """Read and write objects under ``prefix``, with the key actions both need."""
    return [
        _allow(sid, (*compute.BUCKET_READ_ACTIONS, *compute.BUCKET_WRITE_ACTIONS), f"{bucket.arn}/{prefix}*"),
        *_key(sid, bucket.encryption_key, (*compute.KMS_WRITE_ACTIONS, *compute.KMS_READ_ACTIONS), with_key),
    ]


def secret_read_statements(scope: IConstruct, secret_arns: Sequence[str], key: EncryptionKey) -> list[Statement]:
    """Read these secrets, and decrypt them with ``key`` only through Secrets Manager (``kms:ViaService``)."""
    return iam.secret_read_statements(secret_arns, key.arn, account_context(scope))
