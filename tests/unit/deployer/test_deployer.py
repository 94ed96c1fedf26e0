"""scripts/deployer/: outputs files from the deployed stacks, a failed destroy fails, every CLI call runs
under timeout, the CDK CLI is called as documented.

The CDK CLI itself is not run here (scripts/integration.sh does that): a tool that deploys with CreateStack stands
in for it against the in-process emulator, through the same :class:`~scripts.protocol.Tool` interface a CDK for
Terraform tool implements.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import ROOT
from scripts.deployer import cdk_tool, cli, commands, protocol, stack_outputs
from scripts.deployer.cdk_tool import CdkTool
from scripts.deployer.protocol import DeployError, Stack
from tests.unit.local_aws import Account

TEMPLATE = {
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}},
    "Outputs": {"QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}}, "Shared": {"Value": "same-key"}},
}
PROTECTED = {
    "Resources": {
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "Engine": "postgres",
                "DBInstanceClass": "db.t4g.micro",
                "MasterUsername": "owner",
                "ManageMasterUserPassword": True,
                "DeletionProtection": True,
            },
        }
    }
}


def write_manifest(assembly: Path, stacks: dict[str, str]) -> None:
    artifacts: dict[str, Any] = {"Tree": {"type": "cdk:tree"}}
    for construct_id, environment in stacks.items():
        artifacts[construct_id] = {
            "type": "aws:cloudformation:stack",
            "environment": environment,
            "properties": {"stackName": f"{construct_id}-test"},
        }
    assembly.mkdir(parents=True, exist_ok=True)
    (assembly / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))


class CreateStackTool(CdkTool):
    """Stands in for the CDK CLI: synthesizes a manifest, deploys with CreateStack, destroys with DeleteStack."""

    def __init__(self, assembly: Path, region: str, templates: dict[str, dict] | None = None) -> None:
        super().__init__("dev", "test", assembly)
        self.region = region
        self.templates = templates or {}
        self.fail_destroy: set[str] = set()
        self.prepared: list[list[str]] = []

    def synthesize(self) -> None:
        write_manifest(
            self.assembly,
            {"Alpha": f"aws://unknown-account/{self.region}", "Beta": "aws://unknown-account/unknown-region"},
        )

    def prepare(self, stacks: list[Stack]) -> None:
        self.prepared.append([stack.construct_id for stack in stacks])

    def deploy(self, stack: Stack) -> None:
        body = json.dumps(self.templates.get(stack.construct_id, TEMPLATE))
        protocol.client("cloudformation", stack.region).create_stack(StackName=stack.stack_name, TemplateBody=body)

    def destroy(self, stack: Stack) -> None:
        if stack.construct_id in self.fail_destroy:
            raise DeployError(f"cdk destroy {stack.construct_id} exited 1")
        protocol.client("cloudformation", stack.region).delete_stack(StackName=stack.stack_name)


@pytest.fixture
def tool(aws: Account, tmp_path: Path) -> CreateStackTool:
    return CreateStackTool(tmp_path / "assembly", aws.region)


def test_deploy_writes_per_stack_and_flat_outputs_from_the_deployed_stacks(
    aws: Account, outputs_dir: Path, tool: CreateStackTool
) -> None:
    report = commands.deploy([tool], None)
    alpha = json.loads((outputs_dir / "Alpha.json").read_text())
    flat = json.loads((outputs_dir / "flat-outputs.json").read_text())
    assert alpha["QueueArn"].startswith(f"arn:aws:sqs:{aws.region}:")
    assert flat["Alpha.Shared"] == flat["Beta.Shared"] == "same-key"
    assert set(flat) == {"Alpha.QueueArn", "Alpha.Shared", "Beta.QueueArn", "Beta.Shared"}
    assert tool.prepared == [["Alpha", "Beta"]]
    assert {name: (r.resources, r.outputs, r.status, r.region) for name, r in report.stacks.items()} == {
        "Alpha": (1, 2, "CREATE_COMPLETE", aws.region),
        "Beta": (1, 2, "CREATE_COMPLETE", aws.region),
    }
    assert set(json.loads((outputs_dir / "deploy-report.json").read_text())["steps"]) == {"synth cdk", "prepare cdk"}


def test_a_synthesized_app_can_be_deployed_again_without_synthesis(
    aws: Account, outputs_dir: Path, tool: CreateStackTool
) -> None:
    tool.synthesize()
    report = commands.deploy([tool], ["Alpha"], reuse=True)
    assert "synth cdk" not in report.steps
    assert list(report.stacks) == ["Alpha"]


def test_destroy_removes_stacks_and_their_outputs(aws: Account, outputs_dir: Path, tool: CreateStackTool) -> None:
    commands.deploy([tool], ["Alpha"])
    report = commands.destroy([tool], None)
    assert report.stacks["Alpha"].status == "DELETE_COMPLETE"
    assert not (outputs_dir / "Alpha.json").exists()
    assert json.loads((outputs_dir / "flat-outputs.json").read_text()) == {}


def test_a_destroy_that_leaves_a_stack_behind_fails_after_trying_every_stack(
    aws: Account, outputs_dir: Path, tool: CreateStackTool
) -> None:
    commands.deploy([tool], None)
    tool.fail_destroy = {"Alpha"}
    with pytest.raises(DeployError, match="Alpha: CREATE_COMPLETE after destroy"):
        commands.destroy([tool], None)
    assert (outputs_dir / "Alpha.json").exists()
    assert not (outputs_dir / "Beta.json").exists()


def test_a_destroy_ending_in_delete_failed_names_the_reason(aws: Account, outputs_dir: Path, tmp_path: Path) -> None:
    tool = CreateStackTool(tmp_path / "assembly", aws.region, {"Alpha": PROTECTED})
    commands.deploy([tool], ["Alpha"])
    with pytest.raises(DeployError, match=r"DELETE_FAILED after destroy: .*deletion protection"):
        commands.destroy([tool], ["Alpha"])


def test_a_deploy_that_does_not_complete_fails_with_the_reason(aws: Account, outputs_dir: Path, tmp_path: Path) -> None:
    custom = {"Resources": {"Custom": {"Type": "Custom::Unknown", "Properties": {"ServiceToken": "x"}}}}
    tool = CreateStackTool(tmp_path / "assembly", aws.region, {"Alpha": custom})
    with pytest.raises(DeployError, match=r"status ROLLBACK_COMPLETE after deploy .*provider Lambda"):
        commands.deploy([tool], ["Alpha"])
    assert (
        json.loads((outputs_dir / "deploy-report.json").read_text())["stacks"]["Alpha"]["status"] == "ROLLBACK_COMPLETE"
    )


def test_destroy_synthesizes_first_when_nothing_is_synthesized(
    aws: Account, outputs_dir: Path, tool: CreateStackTool
) -> None:
    report = commands.destroy([tool], None)
    assert "synth cdk" in report.steps
    assert {result.status for result in report.stacks.values()} == {"DELETE_COMPLETE"}


def test_outputs_command_rereads_deployed_stacks(aws: Account, outputs_dir: Path, tool: CreateStackTool) -> None:
    commands.deploy([tool], None)
    (outputs_dir / "Alpha.json").unlink()
    commands.write_outputs([tool], None)
    assert json.loads((outputs_dir / "Alpha.json").read_text())["Shared"] == "same-key"
    commands.destroy([tool], ["Beta"])
    with pytest.raises(DeployError, match="Beta-test is not deployed"):
        commands.write_outputs([tool], ["Beta"])


def test_outputs_command_synthesizes_when_needed(aws: Account, outputs_dir: Path, tool: CreateStackTool) -> None:
    with pytest.raises(DeployError, match="is not deployed"):
        commands.write_outputs([tool], ["Alpha"])
    assert tool.synthesized()


def test_summary_prints_resources_outputs_tests_and_seconds(
    aws: Account, outputs_dir: Path, tool: CreateStackTool
) -> None:
    commands.deploy([tool], ["Alpha"])
    (outputs_dir / "integration-report.json").write_text(json.dumps({"stacks": {"Alpha": {"passed": 3, "failed": 1}}}))
    lines = stack_outputs.summary().splitlines()
    assert lines[0].split()[:5] == ["stack", "tool", "resources", "outputs", "tests"]
    assert lines[1].split()[:7] == ["Alpha", "cdk", "1", "2", "4", "3", "1"]
    assert lines[-1].startswith("other steps: synth cdk")


def test_summary_without_any_run_prints_the_header_only(outputs_dir: Path) -> None:
    assert len(stack_outputs.summary().splitlines()) == 1


def test_stacks_come_from_the_cloud_assembly_and_agnostic_ones_take_the_pinned_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    write_manifest(
        tmp_path, {"Pinned": "aws://unknown-account/sa-east-1", "Agnostic": "aws://unknown-account/unknown-region"}
    )
    stacks = CdkTool("dev", "x", tmp_path).stacks()
    assert stacks == [Stack("Pinned", "Pinned-test", "sa-east-1"), Stack("Agnostic", "Agnostic-test", "sa-east-1")]
    monkeypatch.setenv("AWS_REGION", "ca-central-1")
    assert CdkTool("dev", "x", tmp_path).stacks()[1].region == "ca-central-1"


def test_agnostic_stacks_alone_need_aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(DeployError, match="set AWS_REGION"):
        cdk_tool.default_region([None])


def test_deploy_refuses_to_run_without_an_emulator_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(DeployError, match="local emulator only"):
        commands.require_emulator()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert commands.require_emulator() == "http://127.0.0.1:1"


def test_cli_calls_run_under_timeout_and_report_their_log(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin"}
    log = tmp_path / "logs" / "ok.log"
    protocol.run_cli(["echo", "deployed"], timeout=10, env=env, log_file=log)
    assert log.read_text().strip() == "deployed"
    with pytest.raises(DeployError, match="exited 3") as failed:
        protocol.run_cli(["sh", "-c", "echo why; exit 3"], timeout=10, env=env, log_file=tmp_path / "f.log")
    assert "why" in str(failed.value)
    with pytest.raises(DeployError, match="timed out"):
        protocol.run_cli(["sleep", "5"], timeout=1, env=env, log_file=tmp_path / "t.log")
    assert protocol.shown(ROOT / "cfn-outputs") == "cfn-outputs"


def test_cdk_commands_are_the_real_cli_with_direct_deploys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(protocol, "run_cli", lambda command, **kw: calls.append((command, kw["env"])))
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "should-not-leak")
    tool = CdkTool("prod", "pr-1", tmp_path)
    monkeypatch.setattr(tool, "state", lambda stack: protocol.StackState(cdk_tool.GONE, False, True))
    stack = Stack("Alpha", "Alpha-pr-1", "sa-east-1")
    tool.synthesize()
    tool.deploy(stack)
    tool.destroy(stack)
    synth, deploy, diff, destroy = calls
    context = json.loads(synth[1]["CDK_CONTEXT_JSON"])
    assert (context["profile"], context["environmentSuffix"]) == ("prod", "pr-1")
    assert "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup" in context
    assert synth[1]["CDK_OUTDIR"] == str(tmp_path) and "CDK_DEFAULT_ACCOUNT" not in synth[1]
    assert deploy[0][1:4] == ["deploy", "Alpha", "--app"] and "--method=direct" in deploy[0]
    assert deploy[1]["AWS_REGION"] == "sa-east-1" and "CDK_DEFAULT_ACCOUNT" not in deploy[1]
    assert deploy[1]["CDK_DOCKER"] == str(ROOT / "scripts" / "local-docker")  # image assets without a daemon
    assert diff[0][1:5] == ["diff", "Alpha", "--app", str(tmp_path)] and "--fail" in diff[0]
    assert diff[1]["AWS_REGION"] == "sa-east-1"
    assert destroy[0][1:3] == ["destroy", "Alpha"] and "--force" in destroy[0]


def test_a_cdk_deploy_whose_diff_is_not_empty_fails_as_drift(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``cdk diff --fail`` exits 1 on differences: the deploy fails naming drift; other diff failures pass through."""
    exits = {"deploy": 0, "diff": 1}

    def fake_cli(command: list[str], **_: Any) -> None:
        code = exits[command[1]]
        if code:
            raise DeployError(f"{command[0]} {command[1]} exited {code} (log: x)\n[+] Output DriftProbe")

    monkeypatch.setattr(protocol, "run_cli", fake_cli)
    tool, stack = CdkTool("dev", "x", tmp_path), Stack("Alpha", "Alpha-x", "sa-east-1")
    monkeypatch.setattr(tool, "state", lambda stack: protocol.StackState(cdk_tool.GONE, False, True))
    with pytest.raises(DeployError, match=r"Alpha: cdk diff after deploy is not empty \(drift\)") as drift:
        tool.deploy(stack)
    assert "DriftProbe" in str(drift.value)
    exits["diff"] = 124
    with pytest.raises(DeployError, match="exited 124") as other:
        tool.deploy(stack)
    assert "drift" not in str(other.value)
    exits["diff"] = 0
    tool.deploy(stack)


def test_bootstrap_runs_once_per_region(aws: Account, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(protocol, "run_cli", lambda command, **kw: calls.append(command))
    tool = CdkTool("dev", "x", tmp_path)
    stacks = [Stack("A", "a", aws.region), Stack("B", "b", aws.region)]
    tool.prepare(stacks)
    assert [call[1:3] for call in calls] == [["bootstrap", f"aws://{aws.account_id}/{aws.region}"]]
    aws.client("cloudformation").create_stack(StackName="CDKToolkit", TemplateBody=json.dumps(TEMPLATE))
    tool.prepare(stacks)
    assert len(calls) == 1


def test_describe_errors_other_than_not_found_are_raised(
    aws: Account, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from botocore.exceptions import ClientError

    class Broken:
        def describe_stacks(self, **_kwargs: Any) -> None:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "DescribeStacks")

    monkeypatch.setattr(protocol, "client", lambda service, region: Broken())
    with pytest.raises(ClientError, match="slow down"):
        CdkTool("dev", "x", tmp_path).state(Stack("A", "a", aws.region))


def test_command_line_dispatches_to_the_chosen_tools(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    seen: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        commands,
        "deploy",
        lambda tools, stacks, reuse: seen.append(("deploy", ([t.profile for t in tools], stacks, reuse))),
    )
    monkeypatch.setattr(commands, "destroy", lambda tools, stacks: seen.append(("destroy", stacks)))
    monkeypatch.setattr(commands, "write_outputs", lambda tools, stacks: seen.append(("outputs", stacks)))
    monkeypatch.setattr(stack_outputs, "summary", lambda: "table")
    assert cli.main(["deploy", "--stack", "Alpha", "--profile", "prod", "--tool", "cdk", "--reuse-assembly"]) == 0
    assert cli.main(["destroy"]) == 0
    assert cli.main(["outputs", "--stack", "Beta"]) == 0
    assert cli.main(["summary"]) == 0
    assert seen == [("deploy", (["prod"], ["Alpha"], True)), ("destroy", None), ("outputs", ["Beta"])]
    assert capsys.readouterr().out.strip() == "table"

    def fail(*_args: Any) -> None:
        raise DeployError("boom")

    monkeypatch.setattr(commands, "destroy", fail)
    assert cli.main(["destroy"]) == 1
    assert "FAILED: boom" in capsys.readouterr().out


def test_a_deploy_first_waits_for_an_operation_in_progress(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """After an interrupted deploy CloudFormation carries on: the next deploy waits until the stack settles."""
    statuses = iter(["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"])
    seen: list[str] = []
    tool = CdkTool("dev", "x", tmp_path)
    monkeypatch.setattr(tool, "state", lambda stack: protocol.StackState(next(statuses), False, False))
    monkeypatch.setattr(protocol, "run_cli", lambda command, **_: seen.append(command[1]))
    monkeypatch.setattr(cdk_tool.time, "sleep", lambda seconds: seen.append(f"sleep {seconds}"))
    tool.deploy(Stack("Alpha", "Alpha-x", "sa-east-1"))
    assert seen == ["sleep 1.0", "sleep 1.0", "deploy", "diff"]


def test_a_stack_that_never_settles_fails_naming_its_status(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tool = CdkTool("dev", "x", tmp_path)
    monkeypatch.setattr(tool, "state", lambda stack: protocol.StackState("DELETE_IN_PROGRESS", False, False))
    with pytest.raises(DeployError, match="Alpha: still DELETE_IN_PROGRESS after 0 s"):
        tool.wait_until_settled(Stack("Alpha", "Alpha-x", "sa-east-1"), timeout=0, poll=0)
