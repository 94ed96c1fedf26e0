"""What the deployer asks of an IaC tool (:class:`Tool`), the stacks it deploys, and how it runs a tool's CLI."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from scripts import ROOT
from scripts.deployer.progress import ProgressWatch

SYNTH_TIMEOUT_SECONDS = 600


class DeployError(RuntimeError):
    """A deploy or destroy step failed; the message names the stack and the log to read."""


@dataclass(frozen=True)
class Stack:
    """One deployable stack: the construct id (file and output prefix), its deployed name and region."""

    construct_id: str
    stack_name: str
    region: str


@dataclass(frozen=True)
class StackState:
    """What a tool sees deployed: a status word, whether it is up or gone, and why it failed (if it did)."""

    status: str
    deployed: bool
    gone: bool
    reason: str = ""


class Tool(Protocol):
    """What deploy/destroy need from an IaC tool (CDK here; CDK for Terraform plugs in the same way)."""

    name: str
    #: Whether the tool's stacks may deploy and destroy side by side (independent stacks, slow provider waits).
    concurrent_stacks: bool

    def synthesize(self) -> None: ...
    def synthesized(self) -> bool: ...
    def stacks(self) -> list[Stack]: ...
    def prepare(self, stacks: list[Stack]) -> None: ...
    def deploy(self, stack: Stack) -> None: ...
    def destroy(self, stack: Stack) -> None: ...
    def state(self, stack: Stack) -> StackState: ...
    def outputs(self, stack: Stack) -> dict[str, str]: ...
    def resource_count(self, stack: Stack) -> int: ...


def shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it (shorter in messages)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def log(message: str) -> None:
    print(f"[deployer] {message}", flush=True)


def run_cli(command: list[str], *, timeout: int, env: dict[str, str], log_file: Path) -> None:
    """Run one CLI call under coreutils ``timeout``; its output goes to ``log_file`` (its progress, every 20 s, to
    stdout); failure raises with the tail."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as handle, ProgressWatch(log_file.stem, log_file):
        result = subprocess.run(
            ["timeout", "--kill-after=10", str(timeout), *command],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if result.returncode != 0:
        lines = log_file.read_text().splitlines()
        tail = "\n".join(lines[-25:])
        reason = "timed out" if result.returncode == 124 else f"exited {result.returncode}"
        raised = raised_error(lines[-25:])
        headline = f"{' '.join(command[:3])} {reason} (log: {shown(log_file)})"
        raise DeployError(f"{headline}: {raised}\n{tail}" if raised else f"{headline}\n{tail}")


#: The last line of a Python traceback: ``package.module.SomeError: message``.
RAISED_ERROR = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?(?P<error>[A-Za-z_]\w*(?:Error|Exception)): (?P<message>.+)$")


def raised_error(lines: list[str]) -> str:
    """The error a failed Python program (the CDK or cdktf app at synth) raised, as ``SomeError: message``, or ""
    when its output ends without one. Put first in the failure, so a bad setting's message is the first thing read."""
    for line in reversed(lines):
        match = RAISED_ERROR.match(line)
        if match:
            return f"{match['error']}: {match['message']}"
    return ""


def client(service: str, region: str) -> Any:
    """A boto3 client from the environment: the emulator when AWS_ENDPOINT_URL is set, AWS otherwise."""
    import boto3

    return boto3.client(service, region_name=region)
