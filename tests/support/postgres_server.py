"""A throwaway PostgreSQL server for handler and processor tests: initdb in a temp dir, TLS only, on 127.0.0.1.

The Debian ``postgresql`` package provides the binaries (``apt-get install -y postgresql``, or
``scripts/system-packages.sh postgresql``). PostgreSQL refuses to run as root, so under root every server command
runs as the ``postgres`` user.
The server accepts TLS connections only (``hostssl``; plain ``host`` is rejected), with a certificate made here for
``localhost``/``127.0.0.1``, and passwords checked with SCRAM.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import ssl
import subprocess
from pathlib import Path

import pg8000.native

from scripts.emulator.runtime.servers import POSTGRES_USER, postgres_binaries, postgres_user_arguments
from tests.support.certificates import free_port, self_signed_certificate

START_TIMEOUT_SECONDS = 60


class ThrowawayPostgres:
    """One PostgreSQL cluster in ``workdir``: :meth:`start`, :meth:`create_login`, :meth:`stop`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.data = workdir / "data"
        self.bin = postgres_binaries()
        self.port = free_port()
        self.superuser_password = secrets.token_urlsafe(24)
        self.ca_bundle = workdir / "ca.pem"
        self._as_service_user = os.geteuid() == 0

    def _run(self, *command: str) -> None:
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS,
            **postgres_user_arguments(),
        )

    def start(self) -> ThrowawayPostgres:
        self.workdir.mkdir(parents=True, exist_ok=True)
        password_file = self.workdir / "superuser.pw"
        password_file.write_text(self.superuser_password)
        if self._as_service_user:
            account = pwd.getpwnam(POSTGRES_USER)
            os.chown(self.workdir, account.pw_uid, account.pw_gid)
            os.chown(password_file, account.pw_uid, account.pw_gid)
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.data),
            "-U", "postgres",
            f"--pwfile={password_file}",
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
        )  # fmt: skip
        password_file.unlink()
        key_path, cert_path = self_signed_certificate(self.data)
        shutil.copy(cert_path, self.ca_bundle)
        if self._as_service_user:
            for path in (key_path, cert_path):
                os.chown(path, account.pw_uid, account.pw_gid)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.workdir}'\n"
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nfsync = off\n"
            )
        (self.data / "pg_hba.conf").write_text(
            "hostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 reject\n"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.workdir / "server.log"), "-w", "start")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def connect(self, user: str, password: str, database: str) -> pg8000.native.Connection:
        return pg8000.native.Connection(
            user=user,
            password=password,
            host="127.0.0.1",
            port=self.port,
            database=database,
            ssl_context=self.tls_context(),
        )

    def admin(self) -> pg8000.native.Connection:
        return self.connect("postgres", self.superuser_password, "postgres")

    def create_login(self, user: str, password: str, database: str) -> None:
        """A login role and a database it owns (what RDS creates from MasterUsername and DBName)."""
        admin = self.admin()
        try:
            admin.run(f"CREATE ROLE {pg8000.native.identifier(user)} LOGIN PASSWORD {pg8000.native.literal(password)}")
            admin.run(f"CREATE DATABASE {pg8000.native.identifier(database)} OWNER {pg8000.native.identifier(user)}")
        finally:
            admin.close()
