"""Fixtures for the emulator, deployer and lifecycle tests (a pytest plugin, loaded by ``tests/unit/conftest.py``).

``aws``: a fresh in-process account of the local emulator (moto's mock with every addition registered), in a region
that is deliberately not moto's default, so region mix-ups show. ``outputs_dir``, ``fake_terraform`` and
``stateful_terraform``: the deployer writing under ``tmp_path`` and driving a scripted ``terraform``.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.session import get_session
from moto import mock_aws

from scripts.deployer import commands, stack_outputs
from scripts.emulator import registry

#: First region (alphabetically) that is not moto's default one.
REGION = next(region for region in sorted(get_session().get_available_regions("rds")) if region != "us-east-1")


@dataclass
class Account:
    """A fresh emulated account: clients in :data:`REGION` and a way to deploy templates."""

    region: str = REGION
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

    @property
    def account_id(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]

    def create_stack(self, name: str, resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> dict:
        """CreateStack and DescribeStacks; the stack as described (status, outputs as a dict under ``out``)."""
        body: dict[str, Any] = {"Resources": resources}
        if outputs:
            body["Outputs"] = {key: {"Value": value} for key, value in outputs.items()}
        self.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(body))
        return self.stack(name)

    def stack(self, name: str) -> dict:
        described = self.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
        described["out"] = {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs") or []}
        return described

    def delete_stack(self, name: str) -> str:
        """DeleteStack; the final status (DELETE_COMPLETE once the stack is gone)."""
        cloudformation = self.client("cloudformation")
        stack_id = self.stack(name)["StackId"]
        cloudformation.delete_stack(StackName=name)
        return cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]

    def events(self, name: str) -> list[dict[str, Any]]:
        return self.client("cloudformation").describe_stack_events(StackName=name)["StackEvents"]


@pytest.fixture(scope="session")
def emulator_extensions() -> None:
    """Every emulator addition applied to moto in this process (once: the patches stay)."""
    registry.register()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, emulator_extensions: None) -> Iterator[Account]:
    """A fresh account. AWS-managed IAM policies are not loaded (a second each): see ``managed_policies``."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield Account()


@pytest.fixture
def managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load AWS-managed IAM policies into accounts created from now on, as the emulator server does."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


@pytest.fixture
def outputs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The deployer writes its outputs, report and logs under ``tmp_path``, and believes an emulator
    is set (no server is started)."""
    directory = tmp_path / "cfn-outputs"
    monkeypatch.setattr(stack_outputs, "OUTPUTS_DIR", directory)
    monkeypatch.setattr(stack_outputs, "FLAT_OUTPUTS", directory / "flat-outputs.json")
    monkeypatch.setattr(stack_outputs, "REPORT", directory / "deploy-report.json")
    monkeypatch.setattr(commands, "require_emulator", lambda: "http://emulator")
    return directory


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Put a fake ``terraform`` first on PATH: ``install(script)`` writes ``script`` (Python, formatted with
    ``{python}``) as the executable and returns the file ``$FAKE_TF_CALLS`` names, where the fake records its calls."""

    def install(script: str) -> Path:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        executable = bin_dir / "terraform"
        executable.write_text(script.format(python=sys.executable))
        executable.chmod(executable.stat().st_mode | stat.S_IEXEC)
        calls = tmp_path / "terraform-calls.jsonl"
        calls.touch()
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("FAKE_TF_CALLS", str(calls))
        return calls

    return install


STATE_FILE_PRELUDE = """#!{python}
import json, os, sys
from pathlib import Path

directory = Path(sys.argv[1].removeprefix("-chdir="))
arguments = sys.argv[2:]
with open(os.environ["FAKE_TF_CALLS"], "a") as calls:
    calls.write(json.dumps(arguments) + "\\n")
state_file = directory / "terraform.stack.tfstate"
state = json.loads(state_file.read_text())
"""


@pytest.fixture
def stateful_terraform(fake_terraform: Callable[[str], Path]) -> Callable[[str], Path]:
    """A fake ``terraform`` that keeps the stack's state file: ``install(commands)`` runs ``commands`` (Python, braces
    doubled) with ``arguments`` (the call's, after ``-chdir``) and ``state`` (the parsed state) bound, then saves
    ``state``; returns the file the calls are recorded in."""
    return lambda commands: fake_terraform(STATE_FILE_PRELUDE + commands + "state_file.write_text(json.dumps(state))\n")
