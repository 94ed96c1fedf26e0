"""Integration tests against deployed stacks: the local emulator when AWS_ENDPOINT_URL is set, real AWS otherwise.

Nothing deployed is a failure, never a skip: every stack fixture fails with how to deploy. Tests marked
``real_aws_only`` check what the emulator cannot show; they are deselected on the emulator and the count is printed.
A per-stack tally (tests, passed, failed) is printed and written to ``cfn-outputs/integration-report.json``.
``--stack NAME`` (repeatable) runs only that stack's tests, for a run that deployed only that stack.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import pytest
from deployed_stacks import ROOT, DeployedStack, Deployment, DeploymentMissingError, on_emulator

REPORT = ROOT / "cfn-outputs" / "integration-report.json"

_deselected_real_aws_only: list[str] = []
_outcomes: dict[str, Counter[str]] = defaultdict(Counter)


def stack_of(item: pytest.Item) -> str:
    """The stack a test checks: its ``stack`` parameter, else its module's ``STACK``."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "stack" in callspec.params:
        return str(callspec.params["stack"])
    return str(getattr(item.module, "STACK", "none"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stack",
        action="append",
        dest="stacks",
        default=[],
        help="run only the tests of this deployed stack (repeatable; default: every stack)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = config.getoption("stacks")
    if selected:
        other = [item for item in items if stack_of(item) not in selected]
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if stack_of(item) in selected]
    if not on_emulator():
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("real_aws_only") else keep).append(item)
    if drop:
        _deselected_real_aws_only.extend(item.nodeid for item in drop)
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        stack = report.user_properties[0][1] if report.user_properties else "none"
        _outcomes[stack][report.outcome] += 1


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.user_properties.append(("stack", stack_of(item)))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    write = terminalreporter.write_line
    target = "the local emulator" if on_emulator() else "AWS"
    write(f"integration tests against {target}, per stack:")
    for stack in sorted(_outcomes):
        counts = _outcomes[stack]
        write(
            f"  {stack:<20} {sum(counts.values()):>3} tests  {counts['passed']:>3} passed  {counts['failed']:>3} failed"
        )
    write(
        f"real_aws_only tests: {len(_deselected_real_aws_only)}"
        + (" (deselected here: the emulator cannot show them)" if on_emulator() else "")
    )
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {
                "target": target,
                "stacks": {stack: dict(counts) for stack, counts in _outcomes.items()},
                "real_aws_only_deselected": _deselected_real_aws_only,
            },
            indent=2,
        )
        + "\n"
    )


@pytest.fixture(scope="session")
def deployment() -> Deployment:
    try:
        return Deployment.load()
    except DeploymentMissingError as missing:
        message = str(missing)
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest, deployment: Deployment) -> DeployedStack:
    """The stack under test: the ``stack`` parameter of a shared-control module, else the module's ``STACK``."""
    construct_id = getattr(request, "param", None) or request.module.STACK
    try:
        return deployment.stack(construct_id)
    except DeploymentMissingError as missing:
        message = str(missing)
    pytest.fail(message, pytrace=False)
