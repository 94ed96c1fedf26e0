"""Each device's latest reading in Redis, replaced only by a newer one (compared atomically in Redis, in Lua).

Key ``device:<device_id>:latest`` is a hash: ``measured_at_us`` (microseconds since the epoch), ``reading_id`` and
``reading`` (the reading's JSON). A reading at or before the stored time changes nothing, so replays and readings
that arrive late are harmless.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from stacks.iot_platform.processor.readings import Reading
from stacks.processing.database import required

DEFAULT_PORT = 6379
SOCKET_TIMEOUT_SECONDS = 10

#: KEYS[1] the device's key; ARGV: measured_at_us, reading_id, reading JSON. Returns 1 when replaced, 0 when older.
SET_IF_NEWER_LUA = """
local stored = redis.call('HGET', KEYS[1], 'measured_at_us')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then
    return 0
end
redis.call('HSET', KEYS[1], 'measured_at_us', ARGV[1], 'reading_id', ARGV[2], 'reading', ARGV[3])
return 1
"""


def latest_key(device_id: str) -> str:
    return f"device:{device_id}:latest"


def auth_token(environ: Mapping[str, str], secrets_client: Any = None) -> str:
    """REDIS_AUTH_TOKEN, or the secret REDIS_AUTH_SECRET_ARN names (its whole string is the token)."""
    if environ.get("REDIS_AUTH_TOKEN"):
        return environ["REDIS_AUTH_TOKEN"]
    arn = required(environ, "REDIS_AUTH_SECRET_ARN")
    if secrets_client is None:
        import boto3

        secrets_client = boto3.client("secretsmanager")
    return str(secrets_client.get_secret_value(SecretId=arn)["SecretString"])


def connect(environ: Mapping[str, str] | None = None, secrets_client: Any = None) -> redis.Redis:
    """A TLS client with the AUTH token; the server's certificate and host name are verified.

    The client does not retry: a failed page is rolled back and read again by the processor's loop.
    """
    env = os.environ if environ is None else environ
    return redis.Redis(
        host=required(env, "REDIS_HOST"),
        port=int(env.get("REDIS_PORT") or DEFAULT_PORT),
        password=auth_token(env, secrets_client),
        ssl=True,
        ssl_cert_reqs="required",
        ssl_check_hostname=True,
        ssl_ca_certs=env.get("REDIS_CA_BUNDLE") or None,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        decode_responses=True,
        retry=Retry(NoBackoff(), 0),
    )


def newest_per_device(readings: Iterable[Reading]) -> list[Reading]:
    """The newest reading of each device (the only ones that can change Redis)."""
    newest: dict[str, Reading] = {}
    for reading in readings:
        seen = newest.get(reading.device_id)
        if seen is None or reading.measured_at_us > seen.measured_at_us:
            newest[reading.device_id] = reading
    return list(newest.values())


def update_latest(client: redis.Redis, readings: Iterable[Reading]) -> int:
    """Offer each device's newest reading to Redis in one round trip; returns how many replaced the stored one."""
    candidates = newest_per_device(readings)
    if not candidates:
        return 0
    set_if_newer = client.register_script(SET_IF_NEWER_LUA)
    pipeline = client.pipeline(transaction=False)
    for reading in candidates:
        set_if_newer(
            keys=[latest_key(reading.device_id)],
            args=[reading.measured_at_us, reading.reading_id, reading.payload],
            client=pipeline,
        )
    return sum(int(replaced) for replaced in pipeline.execute())


def read_latest(client: redis.Redis, device_id: str) -> dict[str, str]:
    """The stored latest reading of a device (empty when none)."""
    return dict(client.hgetall(latest_key(device_id)))
