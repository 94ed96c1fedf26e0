"""Local PostgreSQL and Redis servers from the Debian packages, TLS on, each a child process of the emulator.

Each server listens on a loopback address of its own (Linux answers the whole 127/8 on ``lo``; each emulator takes
its addresses from a block its port names, :func:`loopback_hosts`, so emulators side by side never meet) and on the
port the resource declares, so the port a stack or Terraform reads back is the port it set (no drift) while two
databases on 5432 do not collide; only when no such address is free does a server fall back to 127.0.0.1 and a
free port. PostgreSQL refuses to run as root: under root its commands run as the ``postgres`` user
the package creates."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from scripts.emulator.runtime import lifecycle, tls

HOST = "127.0.0.1"


def loopback_hosts() -> tuple[str, ...]:
    """The loopback addresses this emulator's servers take: ``127.<port>.2`` to ``.254`` for the emulator serving on
    ``$MOTO_PORT`` (its port as two octets), ``127.0.0.2`` on in a process that serves none; 127.0.0.1 is left to
    the emulator and to fallbacks."""
    port = int(os.environ.get("MOTO_PORT") or 0)
    prefix = f"127.{(port >> 8) & 255}.{port & 255}" if port else "127.0.0"
    return tuple(f"{prefix}.{last}" for last in range(2, 255))


START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
POSTGRES_USER = "postgres"


class MissingPackageError(RuntimeError):
    """A Debian package the local data stores need is not installed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


_addresses_lock = threading.Lock()
_taken: set[tuple[str, int]] = set()
_next = 0


def _bindable(address: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def take_address(port: int) -> tuple[str, int]:
    """A loopback address where ``port`` is free and not promised to another server, with that port."""
    global _next
    with _addresses_lock:
        hosts = loopback_hosts()
        for _ in hosts:
            address = hosts[_next % len(hosts)]
            _next += 1
            if (address, port) not in _taken and _bindable(address, port):
                _taken.add((address, port))
                return address, port
        fallback = (HOST, free_port())
        _taken.add(fallback)
        return fallback


def give_back(address: str, port: int) -> None:
    with _addresses_lock:
        _taken.discard((address, port))


def postgres_binaries() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian keeps one per major version)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise MissingPackageError(
        "RDS PostgreSQL runs on a local PostgreSQL server: install the Debian package 'postgresql' "
        "(apt-get install -y postgresql, or scripts/system-packages.sh postgresql)"
    )


def redis_binary() -> Path:
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    raise MissingPackageError(
        "ElastiCache Redis runs on a local redis-server: install the Debian package 'redis-server' "
        "(apt-get install -y redis-server, or scripts/system-packages.sh redis)"
    )


def postgres_user_arguments() -> dict[str, Any]:
    """Popen arguments that run a command as the ``postgres`` user when we are root (else as ourselves)."""
    if os.geteuid() != 0:
        return {}
    account = pwd.getpwnam(POSTGRES_USER)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _give_to_service_user(path: Path) -> None:
    if os.geteuid() != 0:
        return
    account = pwd.getpwnam(POSTGRES_USER)
    for root, directories, files in os.walk(path):
        for name in [root, *(os.path.join(root, entry) for entry in directories + files)]:
            os.chown(name, account.pw_uid, account.pw_gid, follow_symlinks=False)


class ChildServer:
    """A server process of ours: started, waited for, and stopped with its signal."""

    stop_signal = signal.SIGTERM

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.address, self.port = take_address(port)
        self.process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _spawn(self, command: list[str], **kwargs: Any) -> None:
        with (self.directory / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.directory, **kwargs
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{command[0]} exited with {self.process.returncode}; see {self.directory}/server.log"
                )
            if self.ready():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{command[0]} did not answer within {START_TIMEOUT_SECONDS:.0f} s")

    def ready(self) -> bool:
        raise NotImplementedError

    def discard(self) -> None:
        """Stop, forget the data and give the address back: the resource is gone."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
        give_back(self.address, self.port)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(self.stop_signal)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_SECONDS)


_template_lock = threading.Lock()
_template: tuple[Path, str] | None = None


def _postgres_template() -> tuple[Path, str]:
    """A cluster initialised once per emulator process (initdb is the slow part), copied for every server."""
    global _template
    with _template_lock:
        if _template is None or not _template[0].exists():
            binaries = postgres_binaries()
            directory = lifecycle.work_dir("postgres", "template")
            _give_to_service_user(directory)
            password = secrets.token_urlsafe(24)
            password_file = directory / "superuser.pw"
            password_file.write_text(password)
            _give_to_service_user(directory)
            subprocess.run(
                [str(binaries / "initdb"), "-D", str(directory / "data"), "-U", POSTGRES_USER,
                 f"--pwfile={password_file}", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                 "--encoding=UTF8", "--no-sync"],
                check=True, capture_output=True, cwd=directory, timeout=120, **postgres_user_arguments(),
            )  # fmt: skip
            password_file.unlink()
            _template = (directory / "data", password)
        return _template


class PostgresServer(ChildServer):
    """One PostgreSQL cluster: TLS only (``hostssl``; plain connections are rejected), SCRAM passwords."""

    stop_signal = signal.SIGINT  # "fast" shutdown: open sessions are ended, not waited for

    def __init__(self, name: str, port: int) -> None:
        super().__init__(lifecycle.work_dir("postgres", name), port)
        self.data = self.directory / "data"
        self.superuser_password = ""

    def start(self) -> None:
        if self.running:
            return
        template, self.superuser_password = _postgres_template()
        if not self.data.exists():
            shutil.copytree(template, self.data, symlinks=True)
            key, certificate = tls.certificate()
            shutil.copy(key, self.data / "server.key")
            shutil.copy(certificate, self.data / "server.crt")
            with (self.data / "postgresql.conf").open("a") as conf:
                conf.write(
                    f"\nlisten_addresses = '{self.address}'\nport = {self.port}\nunix_socket_directories = ''\n"
                    "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                    "fsync = off\nshared_buffers = 16MB\nmax_connections = 40\n"
                )
            (self.data / "pg_hba.conf").write_text(
                "hostssl all all 127.0.0.0/8 scram-sha-256\nhost all all 127.0.0.0/8 reject\n"
            )
            _give_to_service_user(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [
            str(postgres_binaries() / "postgres"),
            "-D",
            str(self.data),
            "-h",
            self.address,
            "-p",
            str(self.port),
        ]
        self._spawn(command, **postgres_user_arguments())

    def connect(self, user: str, password: str, database: str) -> Any:
        import pg8000.native

        context = ssl.create_default_context(cafile=str(tls.ca_bundle()))
        return pg8000.native.Connection(
            user=user,
            password=password,
            host=self.address,
            port=self.port,
            database=database,
            ssl_context=context,
            timeout=5,
        )

    def ready(self) -> bool:
        try:
            self.connect(POSTGRES_USER, self.superuser_password, "postgres").close()
        except Exception:
            return False
        return True

    def ensure_login(self, user: str, password: str, database: str) -> None:
        """The master user with this password (created or reset), and its database (created if missing)."""
        from pg8000.native import identifier, literal

        admin = self.connect(POSTGRES_USER, self.superuser_password, "postgres")
        try:
            verb = "ALTER" if admin.run("SELECT 1 FROM pg_roles WHERE rolname = :name", name=user) else "CREATE"
            admin.run(f"{verb} ROLE {identifier(user)} WITH LOGIN CREATEDB CREATEROLE PASSWORD {literal(password)}")
            if not admin.run("SELECT 1 FROM pg_database WHERE datname = :name", name=database):
                admin.run(f"CREATE DATABASE {identifier(database)} OWNER {identifier(user)}")
        finally:
            admin.close()


class RedisServer(ChildServer):
    """One redis-server: TLS only when asked (no plain port then), ``requirepass`` = the auth token."""

    def __init__(self, name: str, port: int, tls_enabled: bool, password: str | None) -> None:
        super().__init__(lifecycle.work_dir("redis", name), port)
        self.tls_enabled = tls_enabled
        self.password = password

    def start(self) -> None:
        if self.running:
            return
        binary = redis_binary()
        self.directory.mkdir(parents=True, exist_ok=True)
        lines = [f"bind {self.address}", f"dir {self.directory}", 'save ""', "appendonly no", "daemonize no"]
        if self.tls_enabled:
            key, certificate = tls.certificate()
            lines += ["port 0", f"tls-port {self.port}", f"tls-cert-file {certificate}", f"tls-key-file {key}",
                      f"tls-ca-cert-file {certificate}", "tls-auth-clients no"]  # fmt: skip
        else:
            lines.append(f"port {self.port}")
        if self.password:
            lines.append('requirepass "' + self.password.replace("\\", "\\\\").replace('"', '\\"') + '"')
        conf = self.directory / "redis.conf"
        conf.write_text("\n".join(lines) + "\n")
        conf.chmod(0o600)
        self._spawn([str(binary), str(conf)])

    def ready(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((self.address, self.port), timeout=2) as raw:
            if self.tls_enabled:
                context = ssl.create_default_context(cafile=str(tls.ca_bundle()))
                with context.wrap_socket(raw, server_hostname=self.address) as wrapped:
                    wrapped.sendall(b"PING\r\n")
                    return bool(wrapped.recv(64))
            raw.sendall(b"PING\r\n")
            return bool(raw.recv(64))
        return False
