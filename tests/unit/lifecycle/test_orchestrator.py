"""``python -m scripts.lifecycle``: the checks run in the order each needs, a check that crashes is a failed row
(the others still run), and the table carries every figure per stack."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from scripts import lifecycle
from scripts.deployer import commands, protocol
from scripts.lifecycle import CheckOutcome, StackFigures
from scripts.lifecycle import __main__ as orchestrator


class FakeTool:
    def __init__(self, profile: str, suffix: str) -> None:
        self.name = f"fake-{profile}"
        self.profile = profile
        self.suffix = suffix
        self.calls: list[str] = []

    def synthesize(self) -> None:
        self.calls.append("synthesize")

    def prepare(self, stacks: list[protocol.Stack]) -> None:
        self.calls.append("prepare")

    def stacks(self) -> list[protocol.Stack]:
        return [protocol.Stack("Alpha", "alpha-checks", "eu-west-2")]


class FakeInventory:
    left: ClassVar[dict[str, list[str]]] = {}

    def __init__(self, regions: set[str]) -> None:
        self.regions = regions

    def snapshot(self) -> dict[str, set[str]]:
        return {}

    def diff(self, baseline: Any, kinds: Any = None) -> dict[str, list[str]]:
        return self.left


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every check replaced by one that records its turn; the last one (prod) crashes."""
    order: list[str] = []

    def record(name: str, crash: bool = False) -> Any:
        def check(*args: Any, **kwargs: Any) -> list[CheckOutcome]:
            order.append(name)
            if crash:
                raise RuntimeError("emulator went away")
            if name == "interrupted":  # (tools, stacks, figures)
                args[2]["Alpha"] = StackFigures("Alpha", "fake", redeploy_after_interrupt_seconds=12.5)
            return [CheckOutcome(name, "Alpha", True, f"{name} fine", 1.0)]

        return check

    monkeypatch.setattr(commands, "TOOLS", {"fake": FakeTool})
    monkeypatch.setattr(orchestrator, "Inventory", FakeInventory)
    monkeypatch.setattr(orchestrator.bad_config, "check_bad_configuration", record("bad config"))
    monkeypatch.setattr(orchestrator.interrupted_deploy, "check_interrupted_deploy", record("interrupted"))
    monkeypatch.setattr(orchestrator.untracked_adopted, "check_untracked_adopted", record("untracked"))
    monkeypatch.setattr(orchestrator.no_drift, "check_no_drift", record("no drift"))
    monkeypatch.setattr(orchestrator.teardown, "check_dev_leaves_nothing", record("dev teardown"))
    monkeypatch.setattr(orchestrator.prod_data, "check_prod_keeps_data", record("prod", crash=True))
    FakeInventory.left = {}
    return order


def test_checks_run_in_order_and_a_crashing_check_is_a_failed_row(wired: list[str]) -> None:
    outcomes, figures = orchestrator.run_checks(None)

    assert wired == ["bad config", "interrupted", "untracked", "no drift", "dev teardown", "prod"]
    results = {outcome.check: outcome for outcome in outcomes}
    assert results["prod keeps its data"].ok is False
    assert results["prod keeps its data"].detail == "RuntimeError: emulator went away"
    assert results[orchestrator.FINAL_CHECK].ok is True
    assert figures["Alpha"].redeploy_after_interrupt_seconds == 12.5


def test_anything_left_beyond_the_baseline_at_the_end_fails_the_run(wired: list[str]) -> None:
    FakeInventory.left = {"s3-bucket": ["us-east-1/kept-bucket"]}

    outcomes, _ = orchestrator.run_checks(None)

    final = next(outcome for outcome in outcomes if outcome.check == orchestrator.FINAL_CHECK)
    assert final.ok is False
    assert "kept-bucket" in final.detail


def test_the_table_shows_each_figure_and_a_dash_for_one_not_measured() -> None:
    outcomes = [CheckOutcome("dev leaves nothing", "streamflix", False, "2 left: s3-bucket\nmore", 3.0)]
    figures = {"streamflix": StackFigures("streamflix", "cdktf", 128.7, 140.2, 9, 0)}
    figures["IotPlatform"] = StackFigures("IotPlatform", "cdk", left_by_dev_destroy=0)

    lines = lifecycle.table(outcomes, figures).splitlines()

    assert lines[1].split()[:4] == ["dev", "leaves", "nothing", "streamflix"]
    assert "FAIL" in lines[1] and lines[1].endswith("2 left: s3-bucket")
    assert lines[-2].split() == ["streamflix", "cdktf", "128.7", "140.2", "9", "0"]
    assert lines[-1].split() == ["IotPlatform", "cdk", "-", "-", "-", "0"]


def test_a_table_without_figures_is_the_outcome_lines_alone() -> None:
    outcomes = [CheckOutcome("bad config creates nothing", "cdk", False, "exit 0\nsecond line", 1.0)]
    assert lifecycle.table(outcomes, {}).splitlines()[1:] == [
        f"{'bad config creates nothing':<28} {'cdk':<20} {'FAIL':<6} {1.0:>6.0f}  exit 0"
    ]


def test_a_check_module_run_alone_exits_zero_only_when_it_checked_something_and_all_passed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    passed = CheckOutcome("no drift", "streamflix", True, "plan exit 0")
    failed = CheckOutcome("no drift", "pci", False, "plan exit 2")

    assert lifecycle.report(lambda: ([passed], {})) == 0
    assert "plan exit 0" in capsys.readouterr().out
    assert lifecycle.report(lambda: ([passed, failed], {})) == 1
    assert lifecycle.report(lambda: ([], {})) == 1


def test_a_check_module_whose_deploy_failed_outright_logs_it_and_exits_one(capsys: pytest.CaptureFixture[str]) -> None:
    def run() -> tuple[list[CheckOutcome], dict[str, StackFigures]]:
        raise protocol.DeployError("no emulator at http://localhost:5000")

    assert lifecycle.report(run) == 1
    assert "FAILED: no emulator at http://localhost:5000" in capsys.readouterr().out


class NamedStacksTool:
    """A tool with two stacks that is synthesized on first use."""

    name = "fake"

    def __init__(self) -> None:
        self.synthesized_times = 0

    def synthesized(self) -> bool:
        return self.synthesized_times > 0

    def synthesize(self) -> None:
        self.synthesized_times += 1

    def stacks(self) -> list[protocol.Stack]:
        return [protocol.Stack(name, name, "eu-west-2") for name in ("Alpha", "Beta")]


def test_a_check_module_selects_the_stacks_named_on_its_command_line_and_every_stack_without_one() -> None:
    tool = NamedStacksTool()

    assert lifecycle.chosen_stacks([tool], None) is None and tool.synthesized_times == 0
    chosen = lifecycle.chosen_stacks([tool], ["Beta"])

    assert {name: [stack.construct_id for stack in stacks] for name, stacks in chosen.items()} == {"fake": ["Beta"]}
    assert tool.synthesized_times == 1
