"""Kinesis -> PostgreSQL consumer: decodes each record's JSON payload and stores it exactly once.

Runs in Lambda behind a Kinesis event source mapping with bisect-on-error: a poison record fails its batch, the batch
is split until the record is isolated, and it then goes to the dead-letter queue. Inserts are idempotent on the
record's sequence number, so a retried batch writes nothing twice.

Configuration (environment): DB_HOST, DB_PORT, DB_NAME, DB_SECRET_ARN (RDS-managed secret: {"username", "password"}),
DB_CA_BUNDLE (the RDS CA bundle, a path beside this file or absolute): with it TLS is verify-full, the certificate
chain and the host name checked; without it TLS is still required but the server is not authenticated.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
from pathlib import Path
from typing import Any

import pg8000.native

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS stream_records (
    sequence_number TEXT PRIMARY KEY,
    partition_key   TEXT NOT NULL,
    payload         JSONB NOT NULL,
    arrived_at      TIMESTAMPTZ NOT NULL,
    stored_at       TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

INSERT_SQL = """
INSERT INTO stream_records (sequence_number, partition_key, payload, arrived_at)
VALUES (:sequence_number, :partition_key, CAST(:payload AS JSONB), to_timestamp(:arrived_at))
ON CONFLICT (sequence_number) DO NOTHING
"""

_connection: pg8000.native.Connection | None = None


class RecordDecodeError(ValueError):
    """A record whose data is not base64-encoded JSON: fails the batch so bisect-on-error isolates it."""


def decode_record(record: dict[str, Any]) -> dict[str, Any]:
    """The row to store for one Kinesis event record."""
    kinesis = record["kinesis"]
    try:
        payload = json.loads(base64.b64decode(kinesis["data"], validate=True))
    except (ValueError, TypeError) as error:
        raise RecordDecodeError(f"record {kinesis.get('sequenceNumber')} is not base64 JSON: {error}") from error
    return {
        "sequence_number": kinesis["sequenceNumber"],
        "partition_key": kinesis["partitionKey"],
        "payload": json.dumps(payload),
        "arrived_at": float(kinesis["approximateArrivalTimestamp"]),
    }


def _ssl_context(environ: dict[str, str]) -> ssl.SSLContext:
    """verify-full against DB_CA_BUNDLE when it is set, else TLS without verification ("require")."""
    bundle = environ.get("DB_CA_BUNDLE")
    if bundle:
        # Only this bundle is trusted; create_default_context checks the chain and the host name.
        return ssl.create_default_context(cafile=str(Path(__file__).parent / bundle))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _credentials(environ: dict[str, str]) -> dict[str, str]:
    if "DB_PASSWORD" in environ:  # local runs against a throwaway server only; never set in the stack
        return {"username": environ["DB_USER"], "password": environ["DB_PASSWORD"]}
    import boto3

    secret = boto3.client("secretsmanager").get_secret_value(SecretId=environ["DB_SECRET_ARN"])
    return json.loads(secret["SecretString"])


def connect(environ: dict[str, str] | None = None) -> pg8000.native.Connection:
    """A connection to the configured database, with the table in place."""
    env = dict(os.environ if environ is None else environ)
    credentials = _credentials(env)
    connection = pg8000.native.Connection(
        user=credentials["username"],
        password=credentials["password"],
        host=env["DB_HOST"],
        port=int(env.get("DB_PORT", "5432")),
        database=env.get("DB_NAME", "postgres"),
        ssl_context=_ssl_context(env),
        timeout=10,
    )
    connection.run(TABLE_DDL)
    return connection


def store_records(connection: pg8000.native.Connection, records: list[dict[str, Any]]) -> int:
    """Decode every record first (so a poison record stores nothing), then insert them in one transaction."""
    rows = [decode_record(record) for record in records]
    connection.run("BEGIN")
    try:
        for row in rows:
            connection.run(INSERT_SQL, **row)
        connection.run("COMMIT")
    except Exception:
        connection.run("ROLLBACK")
        raise
    return len(rows)


def handler(event: dict[str, Any], context: object = None) -> dict[str, int]:
    """Lambda entry point for a Kinesis batch."""
    global _connection
    if _connection is None:
        _connection = connect()
    stored = store_records(_connection, event.get("Records", []))
    return {"stored": stored}
