"""The bad-configuration check: each bad input in :data:`CASES`, given to ``python -m scripts.deployer deploy`` as a
user would (a flag or an environment variable), fails with the policy's own message and creates nothing, not even
the CDK bootstrap.

    eval "$(LOCAL_AWS_PORT=5103 python -m scripts.emulator.server env)"
    python -m scripts.lifecycle.bad_config [--tool cdk|cdktf]

Best right after ``server reset``: "nothing new" is then "nothing at all".
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from constructs_lib.policy import cdktf_backend, engines, naming, profiles
from constructs_lib.policy.errors import ConfigurationError
from scripts import ROOT
from scripts.deployer import commands, protocol
from scripts.lifecycle import CheckOutcome, StackFigures, report
from scripts.lifecycle.inventory import Inventory, count, shown

CHECK = "bad config creates nothing"
#: Regions the stacks use (IoT, healthcare and stream processor: eu-west-2; the cdktf stacks: us-east-1).
STACK_REGIONS = ("eu-west-2", "us-east-1")
#: Seconds one bad deploy may take: a synth that fails (an engine's region is checked once cdktf's stacks, and the
#: provider bindings they import, have loaded: ~30 s on a busy machine).
TIMEOUT_SECONDS = 300

#: A concrete region where no engine version of the policy is offered (an opt-in region).
UNOFFERED_REGION = "af-south-1"
#: Not a region name at all.
MALFORMED_REGION = "moon-base-1a"


@dataclass(frozen=True)
class BadInput:
    """One bad input for one tool: how a user gives it, and the policy call whose ConfigurationError the synth
    must repeat (``expected`` raises it)."""

    name: str
    tool: str
    expected: Callable[[], object]
    arguments: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)

    def message(self) -> str:
        """The ConfigurationError text of :attr:`expected`; it must raise one."""
        try:
            self.expected()
        except ConfigurationError as error:
            return str(error)
        raise AssertionError(f"{self.name}: the policy accepts this input; it is not a bad configuration")


def _cases() -> list[BadInput]:
    suffix = "Pr_7"
    profile = "staging"
    table: list[BadInput] = []
    for tool in sorted(commands.TOOLS):
        table += [
            BadInput(
                "environment suffix with capitals and '_'",
                tool,
                lambda: naming.check_suffix(suffix),
                arguments=("--suffix", suffix),
            ),
            BadInput(
                "unknown profile (DEPLOY_PROFILE)",
                tool,
                lambda: profiles.profile_named(profile),
                environment={"DEPLOY_PROFILE": profile},
            ),
        ]
    # Region and engine: a CDK stack's region is STACK_REGION (app.py); the first data store built (IoT's Aurora
    # cluster) refuses a region where its engine version is not offered. A malformed name fails the same way.
    aurora = engines.engine("aurora-postgresql")
    table += [
        BadInput(
            "region where the engines are not offered (STACK_REGION)",
            "cdk",
            lambda: aurora.check_region(UNOFFERED_REGION),
            environment={"STACK_REGION": UNOFFERED_REGION},
        ),
        BadInput(
            "malformed region (STACK_REGION)",
            "cdk",
            lambda: aurora.check_region(MALFORMED_REGION),
            environment={"STACK_REGION": MALFORMED_REGION},
        ),
        # A cdktf stack's region is AWS_REGION (provider.resolve_region): its shape is checked first, then
        # StreamFlix's Aurora engine is checked against it.
        BadInput(
            "region where the engines are not offered (AWS_REGION)",
            "cdktf",
            lambda: aurora.check_region(UNOFFERED_REGION),
            environment={"AWS_REGION": UNOFFERED_REGION},
        ),
        BadInput(
            "malformed region (AWS_REGION)",
            "cdktf",
            lambda: cdktf_backend.check_region(MALFORMED_REGION),
            environment={"AWS_REGION": MALFORMED_REGION},
        ),
    ]
    return table


#: Every bad input, per tool.
CASES: list[BadInput] = _cases()


@dataclass(frozen=True)
class Run:
    """What one bad deploy did: exit code and everything it printed."""

    returncode: int
    output: str
    seconds: float


def run_deploy(case: BadInput) -> Run:
    """``python -m scripts.deployer deploy --tool <tool>`` with the case's flags and environment."""
    env = {key: value for key, value in os.environ.items() if key not in ("DEPLOY_PROFILE", "ENVIRONMENT_SUFFIX")}
    env.update(case.environment)
    command = [sys.executable, "-m", "scripts.deployer", "deploy", "--tool", case.tool]
    started = time.monotonic()
    done = subprocess.run(
        [*command, *case.arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_SECONDS,
    )
    return Run(done.returncode, done.stdout + done.stderr, round(time.monotonic() - started, 1))


def judge(case: BadInput, run: Run, created: Mapping[str, Iterable[str]]) -> CheckOutcome:
    """Pass when the deploy failed, said what the policy says, and created nothing; the detail names what did not."""
    message = case.message()
    problems = []
    if run.returncode == 0:
        problems.append("deploy exited 0")
    if message not in run.output:
        last = run.output.strip().splitlines()[-1:] or ["(no output)"]
        problems.append(f"output lacks {message[:80]!r}... (last line: {last[0][:160]})")
    if count(created):
        problems.append(f"created {count(created)}: {shown(created)}")
    detail = f"{case.name}: " + ("; ".join(problems) if problems else f"exit {run.returncode}, {message[:90]}")
    return CheckOutcome(CHECK, case.tool, not problems, detail, run.seconds)


def check_bad_configuration(
    figures: dict[str, StackFigures],
    tools: Iterable[str] | None = None,
    inventory: Inventory | None = None,
    deploy: Callable[[BadInput], Run] = run_deploy,
) -> list[CheckOutcome]:
    """Every case of :data:`CASES` (for ``tools``, default all): a failed synth with the policy's message, and
    nothing new in the emulator. ``figures`` is left as it is: no stack figure comes from a deploy that never starts.
    """
    del figures
    chosen = set(tools or commands.TOOLS)
    inventory = inventory or Inventory({*STACK_REGIONS, UNOFFERED_REGION})
    outcomes = []
    for case in CASES:
        if case.tool not in chosen:
            continue
        before = inventory.snapshot()
        run = deploy(case)
        outcomes.append(judge(case, run, inventory.diff(before)))
        protocol.log(f"{case.tool}: {case.name}: {'ok' if outcomes[-1].ok else outcomes[-1].detail}")
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deploy each bad configuration; each must fail and create nothing.")
    parser.add_argument("--tool", action="append", dest="tools", choices=sorted(commands.TOOLS))
    args = parser.parse_args(argv)

    def run() -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
        commands.require_emulator()
        return check_bad_configuration({}, args.tools), {}

    return report(run)


if __name__ == "__main__":
    sys.exit(main())
