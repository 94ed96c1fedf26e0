"""One ECS task as a local process: its image found through the emulator's ECR, its command line, its environment
and secrets, its output to CloudWatch Logs, and stopping it.

The container's image (``<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`` or ``@sha256:<digest>``) must be in
the emulator's ECR with a manifest pushed by ``scripts/local-docker``: the manifest's annotation
(:data:`scripts.emulator.images.store.ANNOTATION`) names the local image folder. The process runs the task
definition's ``entryPoint`` (else the image's ENTRYPOINT) and ``command`` (else the image's CMD), ``python`` being the
emulator's own interpreter, in the image's WORKDIR under its ``rootfs``, as its own process group.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.emulator.atomic_calls import released
from scripts.emulator.images.store import ANNOTATION
from scripts.emulator.runtime import functions, lifecycle, tls
from scripts.emulator.server import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY

#: The task role's ARN, for code that wants it (the emulator does not enforce IAM).
TASK_ROLE_VARIABLE = "LOCAL_AWS_TASK_ROLE_ARN"
#: Seconds between SIGTERM and SIGKILL when the container declares no ``stopTimeout`` (AWS's default is 30).
STOP_GRACE_SECONDS = 10
#: Lines sent to the log group in one PutLogEvents at most.
LOG_BATCH_LINES = 100
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]+))?$"
)


class TaskFailedError(Exception):
    """The task cannot start; the message is its stopped reason (AWS's error names where AWS has one)."""


class ImageUnavailableError(TaskFailedError):
    """The image is not (yet) in the emulator's ECR as a local image: a service retries, as ECS retries a pull."""


def essential_container(task_definition: Any) -> dict[str, Any]:
    """The container that is run: the first essential one (sidecars are not run here)."""
    containers = task_definition.container_definitions
    return next((item for item in containers if item.get("essential", True)), containers[0])


def image_folder(image: str) -> Path:
    """The local image folder an ECR image reference's manifest names."""
    from moto.ecr.models import ecr_backends

    match = _ECR_IMAGE.match(image or "")
    if match is None:
        raise ImageUnavailableError(
            f"CannotPullContainerError: {image} is not in the emulator's ECR; only images pushed there with "
            "scripts/local-docker run locally"
        )
    repositories = ecr_backends[match["account"]][match["region"]].repositories
    repository = repositories.get(match["repository"])
    try:
        if repository is None:
            raise LookupError("repository not found")
        found = repository._get_image(None if match["digest"] else match["tag"] or "latest", match["digest"])
    except Exception as error:
        raise ImageUnavailableError(f"CannotPullContainerError: {image}: not found in the emulator's ECR") from error
    folder = (json.loads(found.image_manifest).get("annotations") or {}).get(ANNOTATION)
    if not folder or not Path(folder, "config.json").is_file():
        raise ImageUnavailableError(
            f"CannotPullContainerError: {image} has no local image (push it with scripts/local-docker)"
        )
    return Path(folder)


def argv(container: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """Docker's rule: an entryPoint given by the task replaces the image's, and with it the image's CMD."""
    entrypoint = container.get("entryPoint") or config.get("entrypoint") or []
    default_cmd = [] if container.get("entryPoint") else config.get("cmd") or []
    words = [*entrypoint, *(container.get("command") or default_cmd)]
    if not words:
        raise TaskFailedError("CannotStartContainerError: the image has no ENTRYPOINT or CMD and the task gives none")
    if words[0] in ("python", "python3", "/usr/bin/python3", "/usr/local/bin/python", "/usr/local/bin/python3"):
        words[0] = sys.executable
    return words


def in_rootfs(value: str, rootfs: Path) -> str:
    """Each absolute path of a (colon-separated) value that exists under ``rootfs``, as that folder."""
    parts = [str(rootfs / part.lstrip("/")) if part.startswith("/") and (rootfs / part.lstrip("/")).exists() else part
             for part in value.split(":")]  # fmt: skip
    return ":".join(parts)


def secret_value(value_from: str, account_id: str, region: str) -> str:
    """A ``secrets`` entry's value: a Secrets Manager ARN (``:json-key:version-stage:version-id`` may follow, each
    part possibly empty), or an SSM parameter's ARN or name."""
    if ":secretsmanager:" in value_from:
        from moto.secretsmanager.models import secretsmanager_backends

        parts = value_from.split(":")
        arn, (json_key, stage, version) = ":".join(parts[:7]), [*parts[7:], "", "", ""][:3]
        _, _, _, secret_region, secret_account, *_ = parts
        answer = secretsmanager_backends[secret_account][secret_region].get_secret_value(
            arn, version or None, stage or None
        )
        text = answer["SecretString"]
        return str(json.loads(text)[json_key]) if json_key else text
    from moto.ssm.models import ssm_backends

    if value_from.startswith("arn:"):
        _, _, _, region, account_id, _ = value_from.split(":", 5)
    parameter = ssm_backends[account_id][region].get_parameter(value_from)
    if parameter is None:
        raise LookupError("parameter not found")
    return parameter.value


def environment(
    task_definition: Any, container: dict[str, Any], config: dict[str, Any], rootfs: Path
) -> dict[str, str]:
    account_id, region = task_definition.arn.split(":")[4], task_definition.arn.split(":")[3]
    path = f"{Path(sys.executable).parent}:{functions.BASE_ENVIRONMENT['PATH']}"
    home = lifecycle.work_dir("containers", "home")  # not the image (its files stay as built), not the user's
    variables = {**functions.BASE_ENVIRONMENT, "PATH": path, "HOME": str(home)}
    variables.update({key: in_rootfs(str(value), rootfs) for key, value in (config.get("env") or {}).items()})
    variables.update({item["name"]: str(item.get("value", "")) for item in container.get("environment") or []})
    for item in container.get("secrets") or []:
        try:
            variables[item["name"]] = secret_value(item["valueFrom"], account_id, region)
        except Exception as error:
            raise TaskFailedError(
                "ResourceInitializationError: unable to pull secrets or registry auth: retrieving secret "
                f"{item['valueFrom']} for {item['name']}: {type(error).__name__}: {error}"
            ) from error
    variables.update(
        AWS_ENDPOINT_URL=functions.endpoint_url(),
        AWS_ACCESS_KEY_ID=DUMMY_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=DUMMY_SECRET_KEY,
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_EC2_METADATA_DISABLED="true",
        SSL_CERT_FILE=str(tls.trust_store()),
    )
    if getattr(task_definition, "task_role_arn", None):
        variables[TASK_ROLE_VARIABLE] = task_definition.task_role_arn
    return variables


class LogSink:
    """Where a task's output goes: its awslogs group and stream, else a file under the runtime's work folder."""

    def __init__(self, container: dict[str, Any], task: Any) -> None:
        options = (container.get("logConfiguration") or {}).get("options") or {}
        awslogs = (container.get("logConfiguration") or {}).get("logDriver") == "awslogs"
        prefix = options.get("awslogs-stream-prefix")
        self.group = options.get("awslogs-group") if awslogs else None
        self.stream = "/".join(part for part in (prefix, container.get("name"), task.id) if part)
        self.region = options.get("awslogs-region") or task.region_name
        self.account_id = task._account_id
        self.file = lifecycle.work_dir("containers") / f"{task.id}.log"
        if self.group and not self._open(options.get("awslogs-create-group") == "true"):
            lifecycle.LOG.warning("task %s: log group %s does not exist; output in %s", task.id, self.group, self.file)
            self.group = None

    def _open(self, create: bool) -> bool:
        from moto.logs.models import logs_backends

        backend = logs_backends[self.account_id][self.region]
        if create:
            backend.ensure_log_group(self.group)
        if self.group not in backend.groups:
            return False
        if self.stream not in backend.groups[self.group].streams:
            backend.create_log_stream(self.group, self.stream)
        return True

    def write(self, lines: list[str]) -> None:
        if not lines:
            return
        if self.group is None:
            with self.file.open("a") as output:
                output.writelines(f"{line}\n" for line in lines)
            return
        from moto.logs.models import logs_backends

        stamp = int(time.time() * 1000)
        events = [{"timestamp": stamp, "message": line} for line in lines]
        logs_backends[self.account_id][self.region].put_log_events(self.group, self.stream, events)


class Process:
    """A task's running process, with a thread that sends its output to the sink and reports its exit."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], sink: LogSink, grace: float) -> None:
        self.sink = sink
        self.grace = grace
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.popen = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.on_exit: Callable[[int], None] = lambda _code: None
        self.reader = threading.Thread(target=self._read, name=f"local-aws-task-{self.popen.pid}", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for raw in self.popen.stdout:
            with self.lock:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                full = len(self.lines) >= LOG_BATCH_LINES
            if full:
                self.flush()
        code = self.popen.wait()
        self.flush()
        self.on_exit(code)

    def flush(self) -> None:
        with self.lock:
            lines, self.lines = self.lines, []
        try:
            self.sink.write(lines)
        except Exception:
            lifecycle.LOG.exception("could not write a task's output")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        if self.alive():
            with _suppress_missing():
                os.killpg(self.popen.pid, signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after the grace period."""
        if not self.alive():
            return
        self.terminate()
        try:
            with released():  # a task may call the emulator while it shuts down
                self.popen.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            with _suppress_missing():
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def _suppress_missing() -> Any:
    import contextlib

    return contextlib.suppress(ProcessLookupError, PermissionError)


def start(task: Any, task_definition: Any) -> Process:
    """Start ``task``'s essential container as a local process; :class:`TaskFailedError` when it cannot start."""
    container = essential_container(task_definition)
    folder = image_folder(container.get("image", ""))
    config = json.loads((folder / "config.json").read_text())
    rootfs = folder / "rootfs"
    command = argv(container, config)
    env = environment(task_definition, container, config, rootfs)
    cwd = rootfs / (config.get("workdir") or "/").lstrip("/")
    grace = float(container.get("stopTimeout") or STOP_GRACE_SECONDS)
    try:
        return Process(command, cwd if cwd.is_dir() else rootfs, env, LogSink(container, task), grace)
    except OSError as error:
        raise TaskFailedError(f"CannotStartContainerError: {command[0]}: {error}") from error
