"""Real servers for the processor tests: one TLS-only PostgreSQL and one TLS-only Redis with AUTH per session, a fresh
database (and an empty Redis) per test, and AWS APIs from moto in-process.

A missing server binary fails the test with the Debian package to install; nothing is skipped.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pg8000.native
import pytest
import redis
from moto import mock_aws

from tests.support.postgres_server import ThrowawayPostgres
from tests.support.redis_server import ThrowawayRedis

REGION = "us-east-1"


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="pg-processors-"))).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(Path(tempfile.mkdtemp(prefix="redis-processors-"))).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def db_env(postgres: ThrowawayPostgres) -> dict[str, str]:
    """The processors' database settings for a new login and database, TLS verified against the server's CA."""
    name, password = f"p_{uuid.uuid4().hex[:12]}", uuid.uuid4().hex
    postgres.create_login(name, password, name)
    return {
        "DB_HOST": "localhost",
        "DB_PORT": str(postgres.port),
        "DB_NAME": name,
        "DB_USER": name,
        "DB_PASSWORD": password,
        "DB_CA_BUNDLE": str(postgres.ca_bundle),
    }


@pytest.fixture
def db(postgres: ThrowawayPostgres, db_env: dict[str, str]) -> Iterator[pg8000.native.Connection]:
    """A connection to the test's database, for reading what the processor wrote."""
    connection = postgres.connect(db_env["DB_USER"], db_env["DB_PASSWORD"], db_env["DB_NAME"])
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def redis_env(redis_server: ThrowawayRedis) -> Iterator[dict[str, str]]:
    """The processors' Redis settings (TLS verified against the server's CA, AUTH token), on an empty Redis."""
    redis_server.client().flushall()
    yield {
        "REDIS_HOST": "localhost",
        "REDIS_PORT": str(redis_server.port),
        "REDIS_AUTH_TOKEN": redis_server.password,
        "REDIS_CA_BUNDLE": str(redis_server.ca_bundle),
    }


@pytest.fixture
def cache(redis_server: ThrowawayRedis) -> Iterator[redis.Redis]:
    client = redis_server.client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, whatever the environment points boto3 at."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield
