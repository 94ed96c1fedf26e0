"""Start, stop and reset the local AWS emulator: moto in server mode on 127.0.0.1 with every addition registered.

    python -m scripts.emulator.server start      # background; waits until it answers; prints the endpoint
    python -m scripts.emulator.server reset      # forget every resource (between runs)
    eval "$(python -m scripts.emulator.server env)"   # point AWS SDKs and CLIs (and Terraform) at it
    python -m scripts.emulator.server stop
    python -m scripts.emulator.server run        # foreground (what ``start`` launches)

Port ``LOCAL_AWS_PORT`` (default 5000); process id and log in ``$TMPDIR/local-aws-<port>/``. It will not start next
to a moto other than :data:`MOTO_VERSION`, whose internals the additions patch.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from scripts import ROOT
from scripts.emulator.registry import EXTENSIONS_PATH

#: The moto release the extensions were written and tested against (pyproject pins the same).
MOTO_VERSION = "5.2.5"
HOST = "127.0.0.1"
DEFAULT_PORT = 5000
ENV_PORT = "LOCAL_AWS_PORT"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
#: Credentials moto accepts and AWS never would: a client pointed here by mistake cannot touch an account.
DUMMY_ACCESS_KEY = "local-aws-emulator"
DUMMY_SECRET_KEY = "local-aws-emulator"  # not a secret: moto accepts any value


class EmulatorError(RuntimeError):
    """The emulator could not be started, reached or stopped."""


@dataclass(frozen=True)
class Emulator:
    """Where one emulator instance listens and keeps its process id and log."""

    port: int = DEFAULT_PORT

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Emulator:
        env = os.environ if environ is None else environ
        return cls(int(env.get(ENV_PORT) or DEFAULT_PORT))

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def state_dir(self) -> Path:
        return Path(tempfile.gettempdir()) / f"local-aws-{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "server.log"

    def client_environment(self, region: str | None = None) -> dict[str, str]:
        """Environment that points the AWS SDKs and CLIs (and our Terraform provider config) at the emulator.

        ``AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION`` is the S3 endpoint the CDK CLI writes into template URLs; moto's
        CloudFormation parses bucket and key out of a ``localhost`` URL, not out of an IP address.
        """
        environment = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION": f"http://localhost:{self.port}",
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
            ENV_PORT: str(self.port),
        }
        if region:
            environment.update(AWS_REGION=region, AWS_DEFAULT_REGION=region)
        return environment

    def request(self, path: str, body: dict | None = None, timeout: float = 5.0) -> dict:
        """JSON from one moto-api call (POST when ``body`` is given)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint_url + path, data=data, method="GET" if data is None else "POST")
        with urllib.request.urlopen(req, timeout=timeout) as response:  # a fixed http://127.0.0.1 URL
            return json.loads(response.read() or b"{}")

    def extensions(self) -> dict | None:
        """The extensions the running server reports, or None when nothing (or a bare moto) answers."""
        try:
            return self.request(EXTENSIONS_PATH, timeout=2.0)
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def start(self) -> dict:
        """Launch ``run`` in the background and wait until it answers with its extensions."""
        check_moto_version()
        if self.running_pid() is not None:
            raise EmulatorError(f"already running (pid {self.running_pid()}) on {self.endpoint_url}; stop it first")
        if self.extensions() is not None or _port_answers(self.port):
            raise EmulatorError(f"port {self.port} is taken by another process; set {ENV_PORT}")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "scripts.emulator.server", "run", "--port", str(self.port)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise EmulatorError(f"exited with {process.returncode}; see {self.log_file}")
            info = self.extensions()
            if info is not None:
                return info
            time.sleep(0.2)
        self.stop()
        raise EmulatorError(f"did not answer within {START_TIMEOUT_SECONDS:.0f} s; see {self.log_file}")

    def stop(self) -> bool:
        """Stop the server this state directory started; True when one was running."""
        pid = self.running_pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        if not _wait_gone(pid, STOP_TIMEOUT_SECONDS):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, STOP_TIMEOUT_SECONDS)
        return True

    def reset(self) -> None:
        """Forget every resource in every service (moto-api reset); the extensions stay registered."""
        self.request("/moto-api/reset", body={})


def _wait_gone(pid: int, seconds: float) -> bool:
    """True once ``pid`` no longer exists (reaping it if it is our child), False after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _reap(pid)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _reap(pid: int) -> None:
    """Collect our own child's exit status so it does not linger as a zombie (no-op for other processes)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _port_answers(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def check_moto_version() -> str:
    """The installed moto version, if it is the pinned one; the extensions patch its internals."""
    installed = metadata.version("moto")
    if installed != MOTO_VERSION:
        raise EmulatorError(f"moto {installed} is installed; the emulator extensions are written for {MOTO_VERSION}")
    return installed


def run(port: int) -> None:
    """Register the extensions, then serve moto in this process until SIGTERM."""
    check_moto_version()
    os.environ["MOTO_PORT"] = str(port)
    # Managed policies (AWSLambdaBasicExecutionRole, ...) must exist for roles that attach them.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from scripts.emulator import registry, stack_creation

    registry.register()
    # As on AWS, CreateStack answers at once and the stack is created in the background (see the addition).
    stack_creation.STACK_CREATION.background = True
    from moto import server as moto_server

    moto_server.main(["--host", HOST, "--port", str(port)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "reset", "status", "env", "run"])
    parser.add_argument("--port", type=int, default=None, help=f"default: ${ENV_PORT} or {DEFAULT_PORT}")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"), help="region for `env` (default: none set)")
    args = parser.parse_args(argv)
    emulator = Emulator(args.port) if args.port else Emulator.from_environment()
    try:
        if args.command == "run":
            run(emulator.port)
        elif args.command == "start":
            info = emulator.start()
            print(f"local AWS on {emulator.endpoint_url} (moto {info['moto']}, {len(info['additions'])} extensions)")
        elif args.command == "stop":
            print("stopped" if emulator.stop() else "not running")
        elif args.command == "reset":
            emulator.reset()
            print("reset")
        elif args.command == "status":
            info = emulator.extensions()
            print(json.dumps(info, indent=2) if info else "not running")
            return 0 if info else 1
        else:
            for name, value in emulator.client_environment(args.region).items():
                print(f"export {name}={value}")
    except EmulatorError as error:
        print(f"local AWS: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
