"""scripts/deployer/ with CDK for Terraform: stacks from the synthesized manifest, apply then an empty plan
(drift fails the deploy), outputs from ``terraform output -json``, state read for resources and leftovers, the two
stacks side by side.

Terraform itself is replaced by a small fake on PATH that records its calls and keeps a state file, so these tests
need no emulator server (scripts/integration.sh runs the real one).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts import ROOT
from scripts.deployer import commands, protocol, terraform_tool
from scripts.deployer.protocol import DeployError, Stack
from scripts.deployer.terraform_tool import TerraformTool

FAKE_TERRAFORM = """#!{python}
import json, os, sys
from pathlib import Path

directory = Path(sys.argv[1].removeprefix("-chdir="))
command = sys.argv[2]
with open(os.environ["FAKE_TF_CALLS"], "a") as calls:
    calls.write(json.dumps([directory.name, *sys.argv[2:]]) + "\\n")
state = directory / f"terraform.{{directory.name}}.tfstate"
fail = os.environ.get("FAKE_TF_FAIL", "")
if f"{{directory.name}}:{{command}}" in fail.split(","):
    print(f"{{command}} failed for {{directory.name}}")
    sys.exit(1)
if command == "apply":
    resources = [
        {{"mode": "data", "type": "aws_region", "name": "current", "instances": [{{}}]}},
        {{"mode": "managed", "type": "aws_sqs_queue", "name": "jobs", "instances": [{{}}]}},
        {{"mode": "managed", "type": "aws_subnet", "name": "private",
          "instances": [{{"index_key": 0}}, {{"index_key": 1}}]}},
    ]
    state.write_text(json.dumps({{"resources": resources}}))
elif command == "destroy":
    state.write_text(json.dumps({{"resources": []}}))
elif command == "plan":
    sys.exit(int(os.environ.get("FAKE_TF_PLAN_EXIT", "0")))
elif command == "output":
    print(json.dumps({{
        "queue_url": {{"value": f"http://emulator/{{directory.name}}-jobs", "type": "string"}},
        "subnet_ids": {{"value": ["subnet-1", "subnet-2"], "type": ["tuple", ["string", "string"]]}},
    }}))
"""


@pytest.fixture
def terraform(fake_terraform: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fake ``terraform`` above; returns the file its calls are recorded in (one JSON list a line)."""
    monkeypatch.delenv("FAKE_TF_FAIL", raising=False)
    monkeypatch.delenv("FAKE_TF_PLAN_EXIT", raising=False)
    return fake_terraform(FAKE_TERRAFORM)


def recorded(calls: Path) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()]


class SynthesizedTool(TerraformTool):
    """The real tool over an app 'synthesized' by writing its manifest and stack JSON (no 20 s provider import)."""

    def synthesize(self) -> None:
        stacks = {}
        for name, region in (("streamflix", "eu-west-1"), ("pci-platform", "us-east-2")):
            directory = self.outdir / "stacks" / name
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "cdk.tf.json").write_text(json.dumps({"provider": {"aws": [{"region": region}]}}))
            stacks[name] = {"synthesizedStackPath": f"stacks/{name}/cdk.tf.json", "workingDirectory": f"stacks/{name}"}
        self.outdir.mkdir(parents=True, exist_ok=True)
        (self.outdir / "manifest.json").write_text(json.dumps({"version": "0.21.0", "stacks": stacks}))


@pytest.fixture
def tool(tmp_path: Path) -> SynthesizedTool:
    return SynthesizedTool("dev", "test", tmp_path / "cdktf.out.local")


def test_stacks_and_their_regions_come_from_the_synthesized_manifest(tool: SynthesizedTool) -> None:
    assert not tool.synthesized()
    tool.synthesize()
    assert tool.synthesized()
    assert tool.stacks() == [
        Stack("streamflix", "streamflix", "eu-west-1"),
        Stack("pci-platform", "pci-platform", "us-east-2"),
    ]


def test_deploy_applies_checks_for_drift_and_writes_terraform_outputs(
    outputs_dir: Path, terraform: Path, tool: SynthesizedTool
) -> None:
    report = commands.deploy([tool], None)
    flat = json.loads((outputs_dir / "flat-outputs.json").read_text())
    assert flat["streamflix.queue_url"] == "http://emulator/streamflix-jobs"
    assert flat["pci-platform.subnet_ids"] == ["subnet-1", "subnet-2"]
    assert json.loads((outputs_dir / "streamflix.json").read_text())["subnet_ids"] == ["subnet-1", "subnet-2"]
    assert {name: (r.tool, r.status, r.resources, r.outputs) for name, r in report.stacks.items()} == {
        "streamflix": ("cdktf", "APPLIED", 3, 2),
        "pci-platform": ("cdktf", "APPLIED", 3, 2),
    }
    for stack in ("streamflix", "pci-platform"):
        steps = [call[1] for call in recorded(terraform) if call[0] == stack]
        assert steps == ["init", "apply", "plan", "output"]
    apply = next(call for call in recorded(terraform) if call[1] == "apply")
    plan = next(call for call in recorded(terraform) if call[1] == "plan")
    assert "-auto-approve" in apply and "-detailed-exitcode" in plan
    assert (Path(tool.cli_config)).exists()
    assert set(report.steps) == {"synth cdktf", "prepare cdktf"}


def test_a_plan_that_is_not_empty_after_apply_fails_the_deploy_as_drift(
    outputs_dir: Path, terraform: Path, tool: SynthesizedTool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TF_PLAN_EXIT", "2")
    with pytest.raises(DeployError, match=r"plan after apply is not empty \(drift\)"):
        commands.deploy([tool], ["streamflix"])


@pytest.mark.parametrize("code", ["1", "25"])
def test_a_plan_that_errors_is_reported_as_such(
    outputs_dir: Path, terraform: Path, tool: SynthesizedTool, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    monkeypatch.setenv("FAKE_TF_PLAN_EXIT", code)
    with pytest.raises(DeployError, match=f"plan exited {code} ") as failed:
        commands.deploy([tool], ["streamflix"])
    assert "drift" not in str(failed.value)


def test_a_failed_apply_of_one_stack_lets_the_other_finish_then_fails(
    outputs_dir: Path, terraform: Path, tool: SynthesizedTool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TF_FAIL", "pci-platform:apply")
    with pytest.raises(DeployError, match="apply exited 1"):
        commands.deploy([tool], None)
    assert json.loads((outputs_dir / "streamflix.json").read_text())["queue_url"].endswith("streamflix-jobs")
    assert "apply failed for pci-platform" in (outputs_dir / "logs" / "pci-platform-apply.log").read_text()


def test_destroy_empties_the_state_and_removes_the_outputs(
    outputs_dir: Path, terraform: Path, tool: SynthesizedTool
) -> None:
    commands.deploy([tool], None)
    report = commands.destroy([tool], None)
    assert {name: result.status for name, result in report.stacks.items()} == {
        "streamflix": "DESTROYED",
        "pci-platform": "DESTROYED",
    }
    assert json.loads((outputs_dir / "flat-outputs.json").read_text()) == {}
    with pytest.raises(DeployError, match="is not applied"):
        tool.outputs(tool.stacks()[0])


def test_a_destroy_that_leaves_resources_fails_and_names_them(
    outputs_dir: Path, terraform: Path, tool: SynthesizedTool, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands.deploy([tool], None)
    monkeypatch.setenv("FAKE_TF_FAIL", "streamflix:destroy")
    with pytest.raises(DeployError, match=r"streamflix: APPLIED after destroy: left: aws_sqs_queue.jobs, "):
        commands.destroy([tool], None)
    assert not (outputs_dir / "pci-platform.json").exists()
    assert tool.resource_count(tool.stacks()[0]) == 3


def test_destroy_initializes_a_stack_directory_that_never_was(
    outputs_dir: Path, terraform: Path, tool: SynthesizedTool
) -> None:
    tool.synthesize()
    tool.destroy(tool.stacks()[0])
    assert [call[1] for call in recorded(terraform)] == ["init", "destroy"]


def test_a_missing_or_empty_state_is_a_stack_that_is_gone(tool: SynthesizedTool) -> None:
    tool.synthesize()
    stack = tool.stacks()[0]
    assert tool.state(stack).gone
    (tool.directory(stack) / "terraform.streamflix.tfstate").write_text("")
    assert tool.state(stack).status == terraform_tool.TF_DESTROYED


def test_a_failing_terraform_output_is_reported(
    outputs_dir: Path, terraform: Path, tool: SynthesizedTool, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands.deploy([tool], ["streamflix"])
    monkeypatch.setenv("FAKE_TF_FAIL", "streamflix:output")
    with pytest.raises(DeployError, match="terraform output streamflix exited 1"):
        tool.outputs(tool.stacks()[0])


def test_synthesis_runs_the_cdktf_app_with_profile_suffix_and_output_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(protocol, "run_cli", lambda command, **kw: calls.append((command, kw["env"])))
    TerraformTool("prod", "pr-3", tmp_path / "out").synthesize()
    ((command, env),) = calls
    settings = json.loads((ROOT / "cdktf.json").read_text())
    assert command == settings["app"].split()
    context = json.loads(env["CDKTF_CONTEXT_JSON"])
    assert (context["profile"], context["environmentSuffix"]) == ("prod", "pr-3")
    assert env["CDKTF_OUTDIR"] == str(tmp_path / "out")
    assert env["TF_CLI_CONFIG_FILE"].endswith("terraformrc") and env["TF_IN_AUTOMATION"] == "1"


def test_the_emulator_and_aws_synthesize_into_different_directories(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert TerraformTool("dev", "x").outdir == terraform_tool.CDKTF_LOCAL_DIR
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert TerraformTool("dev", "x").outdir == terraform_tool.CDKTF_AWS_DIR


def test_stacks_of_a_concurrent_tool_run_side_by_side_and_all_finish_before_a_failure_is_raised() -> None:
    class Concurrent:
        concurrent_stacks = True

    started: list[str] = []
    both_running = threading.Barrier(2, timeout=5)

    def action(stack: Stack) -> None:
        started.append(stack.construct_id)
        both_running.wait()  # only passes when the two stacks run at the same time
        if stack.construct_id == "a":
            raise DeployError("a failed")
        time.sleep(0.05)
        started.append("b done")

    stacks = [Stack("a", "a", "r"), Stack("b", "b", "r")]
    with pytest.raises(DeployError, match="a failed"):
        commands.for_each_stack(Concurrent(), stacks, action)  # type: ignore[arg-type]
    assert sorted(started) == ["a", "b", "b done"]


def test_stacks_of_a_sequential_tool_stop_at_the_first_failure() -> None:
    class Sequential:
        concurrent_stacks = False

    seen: list[str] = []

    def action(stack: Stack) -> None:
        seen.append(stack.construct_id)
        raise DeployError(f"{stack.construct_id} failed")

    with pytest.raises(DeployError, match="a failed"):
        commands.for_each_stack(Sequential(), [Stack("a", "a", "r"), Stack("b", "b", "r")], action)  # type: ignore[arg-type]
    assert seen == ["a"]


def test_a_state_bucket_is_passed_to_the_app_as_the_stacks_state_bucket_context(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    contexts: list[dict[str, str]] = []
    monkeypatch.setattr(
        protocol, "run_cli", lambda command, **kw: contexts.append(json.loads(kw["env"]["CDKTF_CONTEXT_JSON"]))
    )
    TerraformTool("dev", "s3", tmp_path / "a", state_bucket="team-tf-state").synthesize()
    TerraformTool("dev", "local", tmp_path / "b").synthesize()
    assert contexts[0]["stateBucket"] == "team-tf-state"
    assert "stateBucket" not in contexts[1]
