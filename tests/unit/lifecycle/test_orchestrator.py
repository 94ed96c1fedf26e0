"""``python -m scripts.lifecycle``: the checks run in the order each needs, a check that crashes is a failed row
(the others still run), and the table carries every figure per stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from scripts import lifecycle
from scripts.deployer import commands, protocol, shared_synthesis
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

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):  # the readme phase sets them: restored after each test
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(commands, "TOOLS", {"fake": FakeTool})
    monkeypatch.setattr(orchestrator, "Inventory", FakeInventory)
    monkeypatch.setattr(orchestrator.bad_config, "check_bad_configuration", record("bad config"))
    monkeypatch.setattr(orchestrator.interrupted_deploy, "check_interrupted_deploy", record("interrupted"))
    monkeypatch.setattr(orchestrator.untracked_adopted, "check_untracked_adopted", record("untracked"))
    monkeypatch.setattr(orchestrator.no_drift, "check_no_drift", record("no drift"))
    monkeypatch.setattr(orchestrator.teardown, "check_dev_leaves_nothing", record("dev teardown"))
    monkeypatch.setattr(orchestrator.prod_data, "check_prod_keeps_data", record("prod", crash=True))
    monkeypatch.setattr(orchestrator.readme_commands, "check_readme_commands", record("readme"))
    FakeInventory.left = {}
    return order


def test_checks_run_in_order_and_a_crashing_check_is_a_failed_row(wired: list[str]) -> None:
    outcomes, figures = orchestrator.run_checks(None)

    assert wired == ["bad config", "interrupted", "untracked", "no drift", "dev teardown", "prod", "readme"]
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


def test_a_group_runs_only_its_phases(wired: list[str]) -> None:
    orchestrator.run_checks(None, ("dev", "s3-state"))
    assert wired == ["interrupted", "untracked", "no drift", "dev teardown"]
    wired.clear()
    outcomes, _ = orchestrator.run_checks(None, ("prod",))
    assert wired == ["prod"] and outcomes[-1].check == orchestrator.FINAL_CHECK


def test_a_group_that_only_deploys_prod_takes_its_baseline_from_the_prod_synthesis(
    wired: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[FakeTool] = []

    def tool(profile: str, suffix: str) -> FakeTool:
        made.append(FakeTool(profile, suffix))
        return made[-1]

    monkeypatch.setattr(commands, "TOOLS", {"fake": tool})
    orchestrator.run_checks(None, ("prod",))
    assert (made[0].profile, made[0].calls) == ("prod", ["synthesize", "prepare"])
    made.clear()
    orchestrator.run_checks(None, ("dev", "prod"))
    assert made[0].profile == "dev"


def test_the_bad_configuration_group_deploys_nothing_and_needs_no_baseline(wired: list[str]) -> None:
    outcomes, _ = orchestrator.run_checks(None, ("bad-config",))
    assert wired == ["bad config"]
    assert [outcome.check for outcome in outcomes] == ["bad config"]


def test_every_phase_of_every_stack_is_in_exactly_one_group() -> None:
    covered = [
        (phase, stack) for group in orchestrator.GROUPS for phase in group.phases for stack in group.stacks or ("*",)
    ]
    assert len(covered) == len(set(covered))
    stacks = {stack for group in orchestrator.GROUPS for stack in group.stacks}
    assert stacks == {"streamflix", "pci-platform", "IotPlatform", "HealthcarePipeline", "StreamProcessor"}
    for stack in stacks:
        assert {phase for phase, named in covered if named == stack} >= {"dev", "prod"}
    assert {phase for phase, _ in covered} == set(orchestrator.PHASES)


class FakeGroup:
    """A child ``python -m scripts.lifecycle`` run: prints a progress line and writes its results file."""

    started: ClassVar[list[tuple[list[str], dict[str, str]]]] = []

    def __init__(self, command: list[str], cwd: Any, env: dict[str, str], **_: Any) -> None:
        FakeGroup.started.append((command, env))
        stacks = [word.removeprefix("--stack=") for word in command if word.startswith("--stack=")]
        self.returncode = 0 if stacks != ["broken"] else 1
        self.stdout = iter([f"[deploy-checks] {stacks[0]} ...\n", "noise\n"])
        if stacks != ["broken"]:
            outcomes = [CheckOutcome("no drift after deploy", stack, True, "fine") for stack in stacks]
            figures = {stack: StackFigures(stack, "fake", deploy_seconds=1.0) for stack in stacks}
            orchestrator.write_results(
                Path(env["DEPLOY_WORK_DIR"]) / "cfn-outputs" / orchestrator.RESULTS_FILE, outcomes, figures
            )

    def wait(self) -> int:
        return self.returncode


def test_groups_run_on_their_own_emulators_and_their_results_are_merged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(orchestrator, "ROOT", tmp_path)
    monkeypatch.setattr(orchestrator.subprocess, "Popen", FakeGroup)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    FakeGroup.started = []

    groups = [
        orchestrator.Group("flix-dev", ("dev",), ("flix",), ("cdktf",)),
        orchestrator.Group("pci-prod", ("prod",), ("pci",), ("cdktf",)),
        orchestrator.Group("cdk", ("dev", "readme"), ("Iot", "Health"), ("cdk",)),
    ]
    outcomes, figures = orchestrator.run_groups(groups)

    ports = [env["LOCAL_AWS_PORT"] for _, env in FakeGroup.started]
    work_dirs = [env["DEPLOY_WORK_DIR"] for _, env in FakeGroup.started]
    assert len(set(ports)) == 3 and len(set(work_dirs)) == 3
    assert all("AWS_ENDPOINT_URL" not in env for _, env in FakeGroup.started)
    assert [command[3:] for command, _ in FakeGroup.started][1] == ["--phase=prod", "--stack=pci", "--tool=cdktf"]
    assert [outcome.stack for outcome in outcomes] == ["flix", "pci", "Iot", "Health"]
    assert sorted(figures) == ["Health", "Iot", "flix", "pci"]
    printed = capsys.readouterr().out
    assert "[flix-dev] [deploy-checks] flix ..." in printed and "noise" not in printed


def test_groups_share_one_fresh_directory_for_their_cdktf_syntheses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(orchestrator, "ROOT", tmp_path)
    monkeypatch.setattr(orchestrator.subprocess, "Popen", FakeGroup)
    stale = tmp_path / ".build" / "lifecycle" / orchestrator.SHARED_SYNTHESIS / "0123abcd" / "manifest.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    FakeGroup.started = []

    orchestrator.run_groups(
        [orchestrator.Group("flix-dev", ("dev",), ("flix",)), orchestrator.Group("flix-prod", ("prod",), ("flix",))]
    )

    shared = {env[shared_synthesis.ENV_DIRECTORY] for _, env in FakeGroup.started}
    assert shared == {str(stale.parents[1])}
    assert not stale.exists()


def test_a_group_that_wrote_no_results_is_a_failed_row(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(orchestrator, "ROOT", tmp_path)
    monkeypatch.setattr(orchestrator.subprocess, "Popen", FakeGroup)

    outcomes, _ = orchestrator.run_groups([orchestrator.Group("broken-dev", ("dev",), ("broken",))])

    assert [(outcome.stack, outcome.ok) for outcome in outcomes] == [("broken-dev", False)]
    assert "exited 1" in outcomes[0].detail


def test_with_readmes_commands_the_stacks_deploy_to_the_region_readmes_shell_names(
    wired: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    orchestrator.run_checks(None, ("dev",))
    assert orchestrator.os.environ["AWS_REGION"] == "eu-west-1"
    orchestrator.run_checks(None, ("dev", "readme"))
    assert orchestrator.os.environ["AWS_REGION"] == orchestrator.readme_commands.REGION
    assert orchestrator.os.environ["AWS_DEFAULT_REGION"] == orchestrator.readme_commands.REGION


def test_a_stacks_figures_from_two_groups_are_merged_field_by_field() -> None:
    dev = StackFigures("flix", "cdktf", redeploy_after_interrupt_seconds=140.0, left_by_dev_destroy=0)
    prod = StackFigures("flix", "cdktf", deploy_seconds=120.0, kept_by_prod_destroy=9)
    both = orchestrator.merged(dev, prod)
    assert (both.deploy_seconds, both.redeploy_after_interrupt_seconds) == (120.0, 140.0)
    assert (both.kept_by_prod_destroy, both.left_by_dev_destroy) == (9, 0)


def test_readmes_group_selects_every_cdk_stack_so_its_baseline_holds_every_region_readmes_bootstrap_makes() -> None:
    (group,) = [group for group in orchestrator.GROUPS if "readme" in group.phases]
    assert (group.stacks, group.tools) == ((), ("cdk",))
