"""The stream processor's Lambda handler against the TLS-only PostgreSQL server: verify-full whenever a CA bundle is
configured (the server's self-signed certificate is its own CA), "require" only without one."""

from __future__ import annotations

import base64
import json
import ssl
from pathlib import Path

import pytest

from stacks.stream_processor.handler import processor
from tests.support.certificates import self_signed_certificate


def tls_of(connection: processor.pg8000.native.Connection) -> bool:
    return bool(connection.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0][0])


def test_verify_full_accepts_the_server_its_ca_bundle_vouches_for(db_env: dict[str, str]) -> None:
    connection = processor.connect(db_env)
    try:
        assert tls_of(connection)
        assert connection.run("SELECT to_regclass('stream_records') IS NOT NULL")[0][0]
    finally:
        connection.close()


def test_verify_full_refuses_a_server_signed_by_another_ca(db_env: dict[str, str], tmp_path: Path) -> None:
    _, other_ca = self_signed_certificate(tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        processor.connect({**db_env, "DB_CA_BUNDLE": str(other_ca)})


def test_verify_full_refuses_a_host_name_the_certificate_does_not_name(db_env: dict[str, str]) -> None:
    # "127.1" reaches the server (127.0.0.1) but is a name the certificate (localhost, 127.0.0.1) does not hold.
    with pytest.raises(ssl.SSLCertVerificationError, match=r"Hostname mismatch|doesn't match"):
        processor.connect({**db_env, "DB_HOST": "127.1"})


def test_without_a_ca_bundle_tls_is_still_required(db_env: dict[str, str]) -> None:
    environment = {key: value for key, value in db_env.items() if key != "DB_CA_BUNDLE"}
    connection = processor.connect(environment)
    try:
        assert tls_of(connection)
    finally:
        connection.close()


def test_a_relative_ca_bundle_is_read_beside_the_handler(db_env: dict[str, str]) -> None:
    handler_dir = Path(processor.__file__).parent
    relative = Path(db_env["DB_CA_BUNDLE"]).relative_to("/") if Path(db_env["DB_CA_BUNDLE"]).is_absolute() else None
    assert relative is not None
    context = processor._ssl_context({"DB_CA_BUNDLE": "../" * len(handler_dir.parts) + str(relative)})
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_records_are_stored_over_a_verified_connection(db_env: dict[str, str]) -> None:
    connection = processor.connect(db_env)
    record = {
        "kinesis": {
            "data": base64.b64encode(json.dumps({"n": 1}).encode()).decode(),
            "partitionKey": "k",
            "sequenceNumber": "49590",
            "approximateArrivalTimestamp": 1_700_000_000.5,
        }
    }
    try:
        assert processor.store_records(connection, [record, record]) == 2
        assert connection.run("SELECT count(*) FROM stream_records")[0][0] == 1
    finally:
        connection.close()
