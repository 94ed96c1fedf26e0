"""What the end-to-end tests share: logging in to a deployed PostgreSQL with its RDS-managed secret, and waiting a
bounded time for a result to appear in a store.

On the emulator the database is a real local PostgreSQL whose certificate the emulator serves; against AWS the
database sits in private subnets, so these tests run from inside the VPC (a runner or bastion there) and verify the
server with the RDS CA bundle named by ``RDS_CA_BUNDLE``.
"""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

import pg8000.native
from deployed_stacks import DeployedStack, on_emulator

T = TypeVar("T")
#: Seconds a record may take from its entry to its store before a test fails.
WAIT_SECONDS = 120.0


def emulator_ca() -> str | None:
    """The certificate the emulator's data stores present (PEM), None against AWS."""
    if not on_emulator():
        return None
    with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/moto-api/runtime/ca.pem", timeout=10) as answer:
        return answer.read().decode()


def tls_context() -> ssl.SSLContext:
    """TLS that verifies the database: the emulator's CA there, the RDS bundle (``RDS_CA_BUNDLE``) on AWS."""
    local = emulator_ca()
    if local is not None:
        return ssl.create_default_context(cadata=local)
    return ssl.create_default_context(cafile=os.environ.get("RDS_CA_BUNDLE"))


def redis_client(stack: DeployedStack, *, host: str, port: str, token_secret: str) -> Any:
    """A TLS session on the stack's Redis with the AUTH token from its secret (output names given); the server's
    certificate and host name are verified (the emulator's CA there, the system's CAs on AWS)."""
    import redis

    token = stack.client("secretsmanager").get_secret_value(SecretId=stack.output(token_secret))["SecretString"]
    return redis.Redis(
        host=stack.output(host),
        port=int(stack.output(port)),
        password=token,
        ssl=True,
        ssl_cert_reqs="required",
        ssl_ca_data=emulator_ca(),
        decode_responses=True,
        socket_timeout=10,
    )


def connect(stack: DeployedStack, *, host: str, port: str, secret: str, database: str) -> pg8000.native.Connection:
    """A session on the stack's database, as the master user of its RDS-managed secret (output names given)."""
    value = stack.client("secretsmanager").get_secret_value(SecretId=stack.output(secret))["SecretString"]
    credentials = json.loads(value)
    return pg8000.native.Connection(
        credentials["username"],
        host=stack.output(host),
        port=int(stack.output(port)),
        database=stack.output(database),
        password=credentials["password"],
        ssl_context=tls_context(),
        timeout=30,
    )


def eventually(look: Callable[[], T | None], what: str, seconds: float = WAIT_SECONDS) -> T:
    """The first truthy answer of ``look`` within ``seconds``; fails naming ``what`` it waited for."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = look()
        except Exception as error:  # a store not ready yet (table not created) is retried until the deadline
            last = error
        else:
            if last:
                return last
        time.sleep(1.0)
    raise AssertionError(f"waited {seconds:.0f} s for {what}; last saw {last!r}")
