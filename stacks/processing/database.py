"""PostgreSQL connections for the processors: credentials as ECS and Lambda provide them, TLS always.

Environment:
    DB_HOST, DB_PORT (5432), DB_NAME (postgres).
    Credentials, the first form present wins:
        DB_USER + DB_PASSWORD  ECS ``secrets`` with ``<secret-arn>:username::`` and ``<secret-arn>:password::``
        DB_CREDENTIALS         ECS ``secrets`` with the whole RDS-managed secret: ``{"username", "password"}`` JSON
        DB_SECRET_ARN          the RDS-managed secret's ARN, read from Secrets Manager on every connect (Lambda)
    DB_CA_BUNDLE  path of a PEM bundle (the RDS global bundle): TLS with the chain and the host name verified
                  (verify-full). Without it TLS is still required, but the server's certificate is not checked.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import pg8000.native

CONNECT_TIMEOUT_SECONDS = 10

T = TypeVar("T")

Connection = pg8000.native.Connection
DatabaseError = pg8000.native.DatabaseError
#: The connection itself failed (closed, network): reconnect, unlike a statement the server refused.
ConnectionLostError = pg8000.native.InterfaceError


class ConfigurationError(ValueError):
    """A required environment variable is missing or holds something unusable."""


def required(environ: Mapping[str, str], name: str) -> str:
    """``environ[name]``, or an error naming the variable."""
    value = environ.get(name, "")
    if not value:
        raise ConfigurationError(f"environment variable {name} is required")
    return value


def credentials(environ: Mapping[str, str], secrets_client: Any = None) -> tuple[str, str]:
    """User name and password from the first credentials form the environment holds (see the module docstring)."""
    if environ.get("DB_USER") and environ.get("DB_PASSWORD"):
        return environ["DB_USER"], environ["DB_PASSWORD"]
    if environ.get("DB_CREDENTIALS"):
        secret = _parse_secret(environ["DB_CREDENTIALS"], "DB_CREDENTIALS")
    elif environ.get("DB_SECRET_ARN"):
        if secrets_client is None:
            import boto3

            secrets_client = boto3.client("secretsmanager")
        value = secrets_client.get_secret_value(SecretId=environ["DB_SECRET_ARN"])["SecretString"]
        secret = _parse_secret(value, "the secret DB_SECRET_ARN names")
    else:
        raise ConfigurationError(
            "database credentials missing: set DB_USER and DB_PASSWORD, DB_CREDENTIALS or DB_SECRET_ARN"
        )
    return secret["username"], secret["password"]


def _parse_secret(value: str, where: str) -> dict[str, str]:
    try:
        secret = json.loads(value)
    except ValueError:
        secret = None
    if not isinstance(secret, dict) or not {"username", "password"} <= secret.keys():
        raise ConfigurationError(f'{where} is not an RDS secret: JSON with "username" and "password" expected')
    return secret


def tls_context(environ: Mapping[str, str]) -> ssl.SSLContext:
    """verify-full (chain and host name) when DB_CA_BUNDLE names a bundle; otherwise TLS without verification."""
    bundle = environ.get("DB_CA_BUNDLE")
    if bundle:
        return ssl.create_default_context(cafile=bundle)  # only this bundle: check_hostname and CERT_REQUIRED
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def connect(environ: Mapping[str, str] | None = None, secrets_client: Any = None) -> Connection:
    """A TLS connection to the configured database."""
    env = os.environ if environ is None else environ
    user, password = credentials(env, secrets_client)
    return Connection(
        user=user,
        password=password,
        host=required(env, "DB_HOST"),
        port=int(env.get("DB_PORT") or "5432"),
        database=env.get("DB_NAME") or "postgres",
        ssl_context=tls_context(env),
        timeout=CONNECT_TIMEOUT_SECONDS,
    )


@contextlib.contextmanager
def transaction(connection: Connection) -> Iterator[Connection]:
    """BEGIN ... COMMIT, or ROLLBACK and re-raise when the body fails."""
    connection.run("BEGIN")
    try:
        yield connection
    except BaseException:
        with contextlib.suppress(Exception):  # a lost connection cannot roll back; the server does it
            connection.run("ROLLBACK")
        raise
    connection.run("COMMIT")


@contextlib.contextmanager
def savepoint(connection: Connection, name: str = "one_row") -> Iterator[Connection]:
    """A nested step inside a transaction: its failure undoes only the step."""
    connection.run(f"SAVEPOINT {name}")
    try:
        yield connection
    except DatabaseError:
        connection.run(f"ROLLBACK TO SAVEPOINT {name}")
        raise
    connection.run(f"RELEASE SAVEPOINT {name}")


def sqlstate(error: DatabaseError) -> str:
    """The SQLSTATE code and message class of a refused statement (no statement values: safe for any log)."""
    details = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return f"SQLSTATE {details.get('C', 'unknown')}"


def server_message(error: DatabaseError) -> str:
    """SQLSTATE and the server's message, which may quote a value (for dead letters, never for PHI)."""
    details = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return f"{sqlstate(error)}: {details.get('M', str(error))}"


def insert_isolating_refusals(
    connection: Connection, items: Sequence[T], insert: Callable[[Connection, Sequence[T]], None]
) -> tuple[list[T], list[tuple[T, DatabaseError]]]:
    """Insert ``items`` with one statement; if the server refuses it, insert one by one to find the refused items.

    Runs inside the caller's transaction (each attempt in a savepoint). Returns the stored items and each refused
    item with the server's error, so one bad value costs a retry of its batch, never the batch itself.
    """
    try:
        with savepoint(connection):
            insert(connection, items)
        return list(items), []
    except DatabaseError as error:
        if len(items) == 1:
            return [], [(items[0], error)]
    stored: list[T] = []
    refused: list[tuple[T, DatabaseError]] = []
    for item in items:
        try:
            with savepoint(connection):
                insert(connection, [item])
            stored.append(item)
        except DatabaseError as error:
            refused.append((item, error))
    return stored, refused


def close(connection: Connection) -> None:
    """Close ``connection``, closed or lost already or not."""
    with contextlib.suppress(ConnectionLostError, OSError):
        connection.close()
