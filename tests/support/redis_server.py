"""A throwaway Redis server for processor tests: TLS only, AUTH required, on 127.0.0.1, stopped after.

The Debian ``redis-server`` package provides the binary (``apt-get install -y redis-server``, or
``scripts/system-packages.sh redis``). The server listens on a TLS port only (``--port 0`` turns plain text off),
with a certificate made here for ``localhost``/``127.0.0.1`` that is its own CA, and requires the password
(``--requirepass``), as ElastiCache with in-transit encryption and an AUTH token does. Nothing is persisted.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from pathlib import Path

import redis

from tests.support.certificates import free_port, self_signed_certificate

START_TIMEOUT_SECONDS = 30


class RedisUnavailableError(RuntimeError):
    """The Redis server binary is not installed."""


def server_binary() -> str:
    """Path of ``redis-server``, or an error naming the Debian package that provides it."""
    found = shutil.which("redis-server")
    if found is None:
        raise RedisUnavailableError(
            "redis-server not found: install the Debian package `redis-server`"
            " (apt-get install -y redis-server, or scripts/system-packages.sh redis)"
        )
    return found


class ThrowawayRedis:
    """One Redis server in ``workdir``: :meth:`start`, :meth:`client`, :meth:`stop`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.binary = server_binary()
        self.port = free_port()
        self.password = secrets.token_urlsafe(24)
        self.ca_bundle = workdir / "ca.pem"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> ThrowawayRedis:
        self.workdir.mkdir(parents=True, exist_ok=True)
        key_path, cert_path = self_signed_certificate(self.workdir)
        shutil.copy(cert_path, self.ca_bundle)
        log = (self.workdir / "server.log").open("wb")
        self._process = subprocess.Popen(
            [
                self.binary,
                "--port", "0",
                "--bind", "127.0.0.1",
                "--tls-port", str(self.port),
                "--tls-cert-file", str(cert_path),
                "--tls-key-file", str(key_path),
                "--tls-ca-cert-file", str(self.ca_bundle),
                "--tls-auth-clients", "no",
                "--requirepass", self.password,
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                if self._process is not None and self._process.poll() is not None:
                    log = (self.workdir / "server.log").read_text(errors="replace")
                    raise RuntimeError(f"redis-server exited with {self._process.returncode}:\n{log}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def client(self) -> redis.Redis:
        """A client that verifies the server's certificate against this server's CA and authenticates."""
        return redis.Redis(
            host="127.0.0.1",
            port=self.port,
            password=self.password,
            ssl=True,
            ssl_ca_certs=str(self.ca_bundle),
            decode_responses=True,
        )

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=START_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
