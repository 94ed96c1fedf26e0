"""The state-lock check: while a deploy holds a Terraform stack's state, a second ``terraform apply
-lock-timeout=0s`` is refused with Terraform's lock error, and afterwards the state lists every resource.

It runs inside the interrupted-deploy check's re-run (``python -m scripts.lifecycle.interrupted_deploy``) on the
local backend; :mod:`scripts.lifecycle.s3_state` runs the same probe on the S3 backend.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from scripts.deployer import terraform_tool
from scripts.deployer.protocol import DeployError, Stack
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import CheckOutcome
from scripts.lifecycle.interruption import POLL_SECONDS

CHECK = "state lock holds"


def lock_file(tool: TerraformTool, stack: Stack) -> Path:
    """The local backend's lock record: ``.<state file>.lock.info`` next to the state, present while locked."""
    state = tool.directory(stack) / terraform_tool.backend_state_file(stack.construct_id)
    return state.parent / f".{state.name}.lock.info"


def probe_lock(
    tool: TerraformTool, stack: Stack, holder: threading.Thread, locked: Callable[[], bool] | None = None
) -> str:
    """While ``holder`` (an apply) holds the lock, a second apply with ``-lock-timeout=0s`` must fail on the lock.

    ``locked`` says whether the lock is held (default: the local backend's lock file exists). Returns what was seen;
    raises DeployError when the second apply did not fail on the lock."""
    lock = lock_file(tool, stack)
    is_locked = locked or lock.exists
    while holder.is_alive() and not is_locked():
        time.sleep(POLL_SECONDS)
    if not is_locked():
        raise DeployError("the re-run apply ended before its lock could be probed")
    directory = tool.directory(stack)
    second = subprocess.run(
        ["terraform", f"-chdir={directory}", "apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s"],
        env=tool.environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=terraform_tool.INIT_TIMEOUT_SECONDS,
    )
    output = second.stdout + second.stderr
    if second.returncode == 0 or "Error acquiring the state lock" not in output:
        raise DeployError(f"a second apply during the re-run exited {second.returncode}:\n{output[-1500:]}")
    return f"second apply exited {second.returncode} with 'Error acquiring the state lock'"


def state_list(tool: TerraformTool, stack: Stack) -> list[str]:
    """``terraform state list`` without data sources: what the state manages, as Terraform itself reads it."""
    return [line for line in tool.read(stack, ["state", "list"]).splitlines() if line and not line.startswith("data.")]


def capture_errors(action: Callable[[Stack], None], stack: Stack, errors: list[BaseException]) -> Callable[[], None]:
    """``action(stack)`` for a thread: what it raises is appended to ``errors``, for the caller to re-raise."""

    def run() -> None:
        try:
            action(stack)
        except BaseException as error:  # re-raised by the caller after join
            errors.append(error)

    return run


def deploy_holding_lock(tool: TerraformTool, stack: Stack, locked: Callable[[], bool] | None = None) -> str:
    """The stack's deploy, while :func:`probe_lock` tries a second apply: what the probe saw (``FAILED: ...`` when
    the lock did not hold). What the deploy raises is raised once it has ended."""
    errors: list[BaseException] = []
    holder = threading.Thread(target=capture_errors(tool.deploy, stack, errors), name=f"deploy-{stack.construct_id}")
    holder.start()
    try:
        lock_detail = probe_lock(tool, stack, holder, locked)
    except DeployError as error:
        lock_detail = f"FAILED: {error}"
    holder.join()
    if errors:
        raise errors[0]
    return lock_detail


def lock_outcome(tool: TerraformTool, stack: Stack, lock_detail: str, full: int) -> CheckOutcome:
    """The check's row: the lock held during the deploy and the state lists all ``full`` resources afterwards."""
    listed = state_list(tool, stack)
    ok = not lock_detail.startswith("FAILED") and len(listed) == full
    return CheckOutcome(
        CHECK, stack.construct_id, ok, f"{lock_detail}; afterwards state list {len(listed)}/{full}, plan empty", 0.0
    )
