"""ECS services and tasks run as local processes (each one as :mod:`container_tasks` starts it).

Each ACTIVE service keeps ``desiredCount`` tasks of its task definition running: CreateService, UpdateService (count,
task definition), DeleteService, RunTask, StopTask and ECR PutImage reconcile at once, and a daemon thread reconciles
every :data:`RECONCILE_SECONDS`. A service's tasks are moto tasks (``group`` ``service:<name>``), so ListTasks and
DescribeTasks show them RUNNING, then STOPPED with their stopped reason and exit code. A task whose image is not yet in
the emulator's ECR is not started, and is retried, as ECS retries a pull (the reason is logged once per service); a
task that exits is replaced after a back-off (:data:`BACKOFF_SECONDS`, doubling to :data:`MAX_BACKOFF_SECONDS`).
Launch types, capacity providers and network configuration are accepted and change nothing here. Everything stops with
its service, on a moto reset and with the emulator (:mod:`lifecycle`).
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from scripts.emulator.registry import addition
from scripts.emulator.runtime import container_tasks, lifecycle

RECONCILE_SECONDS = 1.0
BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 30.0
RECONCILER = "ecs-reconciler"


@dataclass
class ServiceState:
    """What the reconciler remembers of a service: its backend, the next start allowed, the last reason logged."""

    backend: Any
    key: str
    backoff: float = field(default_factory=lambda: BACKOFF_SECONDS)
    not_before: float = 0.0
    reported: str = ""
    tasks: dict[str, container_tasks.Process] = field(default_factory=dict)


_lock = threading.RLock()
_services: dict[tuple[str, str, str], ServiceState] = {}
_processes: dict[str, container_tasks.Process] = {}
_stopping = threading.Event()


@functools.cache
def _local_task_class() -> type:
    from moto.ecs.models import Task

    class LocalTask(Task):
        """A task whose process, not the describe calls, moves it on (moto's would advance it towards STOPPED)."""

        def advance(self) -> None:
            return None

    return LocalTask


def launch(backend: Any, task: Any, task_definition: Any, service: ServiceState | None) -> bool:
    """Start a moto task's process; a task that cannot start is STOPPED with the reason. True when it runs."""
    task.__class__ = _local_task_class()
    try:
        process = container_tasks.start(task, task_definition)
    except container_tasks.TaskFailedError as error:
        mark_stopped(task, str(error), None)
        return False
    process.on_exit = functools.partial(_exited, backend, task, service)
    lifecycle.keep(f"ecs-task:{task.task_arn}", process.stop)
    task._local_process = process
    with _lock:
        _processes[task.task_arn] = process
    _ensure_reconciler()
    if service is not None:
        service.tasks[task.task_arn] = process
    for container in task.containers:
        container.last_status = "RUNNING"
    return True


def mark_stopped(task: Any, reason: str, exit_code: int | None) -> None:
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = task.stopped_reason or reason
    for container in task.containers:
        container.last_status = "STOPPED"
        if exit_code is not None:
            container.exitCode = exit_code
        container.reason = reason


def _exited(backend: Any, task: Any, service: ServiceState | None, code: int) -> None:
    lifecycle.release(f"ecs-task:{task.task_arn}")
    mark_stopped(task, f"Essential container in task exited (exit code {code})", code)
    with _lock:
        _processes.pop(task.task_arn, None)
    if service is None:
        return
    with _lock:
        service.tasks.pop(task.task_arn, None)
        if not _stopping.is_set() and task.stopped_reason.startswith("Essential container in task exited"):
            service.not_before = time.monotonic() + service.backoff
            service.backoff = min(service.backoff * 2, MAX_BACKOFF_SECONDS)


def stop_task(task: Any, reason: str) -> None:
    """Stop a task's process in the background (its grace period may be seconds)."""
    task.stopped_reason = task.stopped_reason or reason
    process = getattr(task, "_local_process", None)
    if process is None:
        return
    lifecycle.release(f"ecs-task:{task.task_arn}")
    threading.Thread(target=process.stop, name=f"local-aws-stop-{task.id}", daemon=True).start()


def service_key(backend: Any, cluster: str, name: str) -> tuple[str, str, str]:
    return (backend.account_id, backend.region_name, f"{cluster}:{name}")


def reconcile_service(state: ServiceState) -> None:
    """Bring the service's running tasks to its desired count, on its current task definition."""
    backend = state.backend
    service = backend.services.get(state.key)
    desired = service.desired_count if service is not None and service.status == "ACTIVE" else 0
    task_definition = backend.describe_task_definition(service.task_definition) if desired else None
    tasks = backend.tasks.get(state.key.split(":")[0], {})
    for arn in list(state.tasks):
        task = tasks.get(arn)
        outdated = task_definition is not None and task is not None and task.task_definition_arn != task_definition.arn
        if task is None or outdated or len(state.tasks) > desired:
            if task is not None:
                stop_task(task, "Scaling activity initiated by (deployment)" if desired else "Service deleted")
                mark_stopped(task, task.stopped_reason, None)
            state.tasks.pop(arn, None)
    if service is not None:
        service.running_count, service.pending_count = len(state.tasks), max(desired - len(state.tasks), 0)
    while task_definition is not None and len(state.tasks) < desired and time.monotonic() >= state.not_before:
        if not start_service_task(state, service, task_definition):
            return


def start_service_task(state: ServiceState, service: Any, task_definition: Any) -> bool:
    container = container_tasks.essential_container(task_definition)
    try:
        container_tasks.image_folder(container.get("image", ""))
    except container_tasks.ImageUnavailableError as error:
        if state.reported != str(error):
            lifecycle.LOG.warning("ECS service %s: %s (retrying)", state.key, error)
            state.reported = str(error)
        return False
    task = _new_task(state.backend, service, task_definition)
    if launch(state.backend, task, task_definition, state):
        state.reported = ""
        service.running_count, service.pending_count = (
            len(state.tasks),
            max(service.desired_count - len(state.tasks), 0),
        )
        return True
    lifecycle.LOG.warning("ECS service %s: task stopped: %s", state.key, task.stopped_reason)
    state.not_before = time.monotonic() + state.backoff
    state.backoff = min(state.backoff * 2, MAX_BACKOFF_SECONDS)
    return False


def _new_task(backend: Any, service: Any, task_definition: Any) -> Any:
    """A moto task for the service, as ECS lists it (``group`` ``service:<name>``, started by its deployment)."""
    from moto.ecs.models import Task

    network = getattr(service, "network_configuration", None) or None
    definition = task_definition
    if task_definition.network_mode == "awsvpc" and not network:  # a CloudFormation service: moto kept no network
        definition = copy.copy(task_definition)
        definition.network_mode = "bridge"
    cluster = backend._get_cluster(service.cluster_name)
    deployment = (service.deployments or [{}])[0].get("id", "")
    task = Task(
        cluster, definition, None, None, backend=backend, group=f"service:{service.name}", started_by=deployment,
        launch_type=service.launch_type or "", networking_configuration=network,
    )  # fmt: skip
    task.task_definition_arn = task_definition.arn
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    return task


def reconcile(backend: Any | None = None) -> None:
    """Reconcile every service known (of ``backend`` only, when given); a failure is logged, never raised."""
    with _lock:
        states = [state for state in _services.values() if backend is None or state.backend is backend]
        for state in states:
            try:
                reconcile_service(state)
            except Exception:
                lifecycle.LOG.exception("ECS service %s: reconcile failed", state.key)
            service = state.backend.services.get(state.key)
            if (service is None or service.status != "ACTIVE") and not state.tasks:
                _services.pop(service_key(state.backend, *state.key.split(":", 1)), None)


def watch(backend: Any, service: Any) -> None:
    """Reconcile ``service`` from now on (starting the reconciler thread with the first one)."""
    key = service_key(backend, service.cluster_name, service.name)
    with _lock:
        if key not in _services:
            _services[key] = ServiceState(backend, f"{service.cluster_name}:{service.name}")
    _ensure_reconciler()
    reconcile(backend)


def _ensure_reconciler() -> None:
    """The daemon thread that reconciles every :data:`RECONCILE_SECONDS` and sends the tasks' output on."""
    with _lock:
        if RECONCILER in lifecycle.running():
            return
        _stopping.clear()
        lifecycle.keep(RECONCILER, _stop_reconciler)
        threading.Thread(target=_loop, name="local-aws-ecs-reconciler", daemon=True).start()


def _loop() -> None:
    while not _stopping.wait(RECONCILE_SECONDS):
        reconcile()
        with _lock:
            processes = list(_processes.values())
        for process in processes:
            process.flush()


def _stop_reconciler() -> None:
    """Stop reconciling and every task's process (a reset, the emulator's end): SIGTERM to all, then the waits."""
    _stopping.set()
    with _lock:
        processes = list(_processes.values())
        _processes.clear()
        _services.clear()
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop()


@addition(
    "ECS services and tasks run their image as a local process",
    "engine",
    "moto records services and tasks but runs nothing, and there is no container engine here: a service deployed "
    "from an image built and pushed with scripts/local-docker now runs that image's entrypoint as a local process, "
    "desiredCount of them, replaced when they exit, with the task's environment, secrets and awslogs output",
)
def _run_containers() -> None:
    from moto.ecr.models import ECRBackend
    from moto.ecs.models import EC2ContainerServiceBackend as Backend

    for name in ("create_service", "delete_service"):
        setattr(Backend, name, _reconciling(getattr(Backend, name)))
    Backend.update_service = _redeploying(Backend.update_service)
    Backend.run_task = _running(Backend.run_task)
    Backend.stop_task = _stopping_task(Backend.stop_task)
    ECRBackend.put_image = _after_push(ECRBackend.put_image)


def _reconciling(original: Any) -> Any:
    @functools.wraps(original)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = original(self, *args, **kwargs)
        watch(self, service)
        return service

    return call


def _redeploying(original: Any) -> Any:
    """UpdateService reconciles; with ``forceNewDeployment`` the service's tasks are replaced (a new image)."""

    @functools.wraps(original)
    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        force = bool(service_properties.get("force_new_deployment"))
        service = original(self, service_properties)
        state = _services.get(service_key(self, service.cluster_name, service.name))
        if force and state is not None:
            with _lock:
                tasks = self.tasks.get(service.cluster_name, {})
                for arn in list(state.tasks):
                    if arn in tasks:
                        stop_task(tasks[arn], "Deployment replaced this task (force new deployment)")
                    state.tasks.pop(arn, None)
        watch(self, service)
        return service

    return update_service


def _running(original: Any) -> Any:
    @functools.wraps(original)
    def run_task(self: Any, *args: Any, **kwargs: Any) -> Any:
        tasks = original(self, *args, **kwargs)
        for task in tasks:
            launch(self, task, self.describe_task_definition(task.task_definition_arn), None)
        return tasks

    return run_task


def _stopping_task(original: Any) -> Any:
    @functools.wraps(original)
    def stop(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        task = original(self, cluster_str, task_str, reason)
        stop_task(task, reason or "Task stopped by user")
        with _lock:
            for state in _services.values():
                state.tasks.pop(task.task_arn, None)
        reconcile(self)
        return task

    return stop


def _after_push(original: Any) -> Any:
    @functools.wraps(original)
    def put_image(self: Any, *args: Any, **kwargs: Any) -> Any:
        image = original(self, *args, **kwargs)
        lifecycle.submit(reconcile)  # not inside the PutImage call: a start may take a moment
        return image

    return put_image
