"""The bad-configuration check: its cases are bad inputs the policy refuses, a run passes only when the deploy failed
with the policy's message and created nothing; and the deployer puts the synth's error first in its failure."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from scripts.deployer import commands, protocol
from scripts.lifecycle import bad_config
from scripts.lifecycle.bad_config import CASES, BadInput, Run
from scripts.lifecycle.inventory import Snapshot

ROOT = Path(__file__).resolve().parents[3]


def test_every_case_is_a_configuration_error_naming_its_field_for_both_tools() -> None:
    fields = {case.message().split("=", 1)[0] for case in CASES}
    assert fields == {"environment_suffix", "profile", "region"}
    assert {case.tool for case in CASES} == set(commands.TOOLS)
    for tool in commands.TOOLS:
        mine = [case.message() for case in CASES if case.tool == tool]
        assert any(m.startswith("environment_suffix='Pr_7'") for m in mine)
        assert any(m.startswith("profile='staging' is not allowed: dev, prod") for m in mine)
        assert any(
            m.startswith(f"region='{bad_config.UNOFFERED_REGION}' is not allowed: aurora-postgresql") for m in mine
        )
    assert "region='moon-base-1a' is not allowed: an AWS region name such as 'us-east-1'" in [
        case.message() for case in CASES if case.tool == "cdktf"
    ]


def test_a_case_the_policy_accepts_is_refused_as_a_case() -> None:
    with pytest.raises(AssertionError, match="not a bad configuration"):
        BadInput("fine suffix", "cdk", lambda: None).message()


CASE = next(case for case in CASES if case.tool == "cdk" and "profile" in case.name)
MESSAGE = "profile='staging' is not allowed: dev, prod"


@pytest.mark.parametrize(
    ("run", "created", "ok", "shown"),
    [
        (Run(1, f"[deployer] FAILED: app.py exited 1: ConfigurationError: {MESSAGE}\n", 3.0), {}, True, "exit 1"),
        (Run(0, f"ConfigurationError: {MESSAGE}", 3.0), {}, False, "deploy exited 0"),
        (Run(1, "[deployer] FAILED: cdk bootstrap exited 1", 3.0), {}, False, "output lacks"),
        (
            Run(1, MESSAGE, 3.0),
            {"cloudformation:stack": ["eu-west-2/CDKToolkit"]},
            False,
            "created 1: cloudformation:stack: eu-west-2/CDKToolkit",
        ),
    ],
)
def test_a_run_passes_only_failed_with_the_message_and_nothing_created(
    run: Run, created: dict[str, list[str]], ok: bool, shown: str
) -> None:
    outcome = bad_config.judge(CASE, run, created)
    assert outcome.ok is ok
    assert shown in outcome.detail
    assert outcome.stack == "cdk"
    assert outcome.seconds == 3.0


class CountingInventory:
    """Snapshots nothing; after the n-th deploy, reports what that deploy created."""

    def __init__(self, created: dict[int, dict[str, list[str]]]) -> None:
        self.created = created
        self.snapshots = 0

    def snapshot(self) -> Snapshot:
        self.snapshots += 1
        return {}

    def diff(self, baseline: Snapshot, kinds: Iterable[str] | None = None) -> dict[str, list[str]]:
        return self.created.get(self.snapshots, {})


def test_each_case_of_the_chosen_tools_runs_once_against_a_fresh_snapshot() -> None:
    ran: list[BadInput] = []

    def deploy(case: BadInput) -> Run:
        ran.append(case)
        return Run(1, f"ConfigurationError: {case.message()}", 1.0)

    inventory = CountingInventory({2: {"s3:bucket": ["global/cdk-hnb659fds-assets"]}})
    outcomes = bad_config.check_bad_configuration({}, ["cdktf"], inventory=inventory, deploy=deploy)

    assert ran == [case for case in CASES if case.tool == "cdktf"]
    assert inventory.snapshots == len(ran)
    assert [o.ok for o in outcomes] == [True, False] + [True] * (len(ran) - 2)
    assert "s3:bucket" in outcomes[1].detail


def test_raised_error_finds_the_last_python_error_line() -> None:
    lines = ["Traceback (most recent call last):", '  File "app.py"', "a.b.ConfigurationError: profile='x' is bad"]
    assert protocol.raised_error(lines) == "ConfigurationError: profile='x' is bad"
    assert protocol.raised_error(["│ Error: creating bucket", "exit status 1"]) == ""


def test_run_cli_puts_the_raised_error_on_the_first_line(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "raise ValueError('field=1 is not allowed: 2')"]
    with pytest.raises(protocol.DeployError) as raised:
        protocol.run_cli(command, timeout=60, env=dict(os.environ), log_file=tmp_path / "x.log")
    first = str(raised.value).splitlines()[0]
    assert first.endswith("exited 1 (log: " + str(tmp_path / "x.log") + "): ValueError: field=1 is not allowed: 2")


def test_the_deployer_with_an_unknown_profile_fails_at_synth_before_any_aws_call(tmp_path: Path) -> None:
    """The real command: exit 1 with the policy's message, although the endpoint it was given answers nothing."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DEPLOY_", "ENVIRONMENT_", "CDK_"))}
    env.update(DEPLOY_PROFILE="staging", AWS_ENDPOINT_URL="http://127.0.0.1:9")  # port 9: nothing listens
    done = subprocess.run(
        [sys.executable, "-m", "scripts.deployer", "deploy", "--tool", "cdk"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert f"ConfigurationError: {MESSAGE}" in done.stdout.splitlines()[0]
