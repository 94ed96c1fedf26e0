"""scripts/deployer/: a Terraform apply that failed because a resource exists outside its state (what an
interrupted apply leaves) imports it when it is provably the stack's own, and applies again; anything else fails.

A fake ``terraform`` keeps a state file: its apply fails with the API's "already exists" while the orphan's address
is not in the state, and succeeds once an ``import`` (the command, or an ``import`` block the apply carries out) has
put it there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from scripts.deployer import terraform_tool
from scripts.deployer.adoption import Account
from scripts.deployer.protocol import DeployError, Stack
from scripts.deployer.terraform_tool import TerraformTool
from tests.unit.local_aws import Account as EmulatedAccount

FAKE_TERRAFORM = """
orphan = os.environ["FAKE_TF_ORPHAN"]
kind, name = orphan.split(".")
blocks = directory / "adoption-imports.tf.json"
if arguments[0] == "apply" and blocks.exists():
    for block in json.loads(blocks.read_text())["import"]:
        imported = dict(mode="managed", type=block["to"].split(".")[0], name=block["to"].split(".")[1])
        state["resources"].append(dict(imported, instances=[dict(attributes=dict(id=block["id"]))]))
addresses = [
    resource["type"] + "." + resource["name"]
    for resource in state["resources"]
    if not any(instance.get("status") == "tainted" for instance in resource["instances"])
]
if arguments[0] == "apply":
    if orphan not in addresses:
        print(os.environ["FAKE_TF_APPLY_ERROR"])
        state_file.write_text(json.dumps(state))  # what the failed apply did is kept, as Terraform keeps it
        sys.exit(1)
elif arguments[0] == "plan" and any(argument.startswith("-out=") for argument in arguments):
    (directory / "adoption.tfplan").write_text("plan")
elif arguments[0] == "show":
    change = dict(actions=["create"], after=json.loads(os.environ["FAKE_TF_PLANNED"]))
    print(json.dumps(dict(resource_changes=[dict(address=orphan, change=change)])))
elif arguments[0] == "import":
    attributes = dict(id=arguments[-1], **json.loads(os.environ.get("FAKE_TF_IMPORTED") or "{{}}"))
    instance = dict(attributes=attributes)
    state["resources"].append(dict(mode="managed", type=kind, name=name, instances=[instance]))
elif arguments[:2] == ["state", "rm"]:
    state["resources"] = [r for r in state["resources"] if r["type"] + "." + r["name"] not in arguments[3:]]
"""

STACK = Stack("stack", "stack", "eu-west-1")
DEFAULT_TAGS = {"System": "streamflix", "Environment": "pr-1"}


def clash(address: str, message: str) -> str:
    """An apply's output that ends in one "already exists" diagnostic, as Terraform prints it."""
    return f"\nError: {message}\n\n  with {address},\n  on cdk.tf.json line 9, in resource.{address}:\n   9: }},\n"


@pytest.fixture
def terraform(stateful_terraform: Callable[[str], Path], outputs_dir: Path) -> Path:
    return stateful_terraform(FAKE_TERRAFORM)


def emulated(service: str) -> object:
    """A client of the in-process emulator in the stack's region (the ``aws`` fixture must be active)."""
    return boto3.client(service, region_name=STACK.region)


@pytest.fixture
def tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws: EmulatedAccount) -> TerraformTool:
    """A stack whose state holds its route table (``rtb-1``); the account is the in-process emulator's, its
    partition and id fixed rather than asked of STS."""
    tool = TerraformTool("dev", "pr-1", tmp_path / "cdktf.out.local")
    directory = tool.directory(STACK)
    (directory / ".terraform").mkdir(parents=True)
    config = {"provider": {"aws": [{"region": STACK.region, "default_tags": [{"tags": DEFAULT_TAGS}]}]}}
    (directory / "cdk.tf.json").write_text(json.dumps(config))
    table = {
        "mode": "managed",
        "type": "aws_route_table",
        "name": "private",
        "instances": [{"attributes": {"id": "rtb-1"}}],
    }
    (directory / "terraform.stack.tfstate").write_text(json.dumps({"resources": [table]}))
    monkeypatch.setattr(tool, "account", lambda stack: Account("aws", "123456789012", stack.region, emulated))
    return tool


def orphan_setup(monkeypatch: pytest.MonkeyPatch, address: str, message: str, planned: dict, imported: dict) -> None:
    monkeypatch.setenv("FAKE_TF_ORPHAN", address)
    monkeypatch.setenv("FAKE_TF_APPLY_ERROR", clash(address, message))
    monkeypatch.setenv("FAKE_TF_PLANNED", json.dumps(planned))
    monkeypatch.setenv("FAKE_TF_IMPORTED", json.dumps(imported))


def commands(calls: Path) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()]


def test_a_route_in_the_stacks_own_route_table_is_imported_and_the_apply_completes(
    tool: TerraformTool, terraform: Path, outputs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = "api error RouteAlreadyExists: Route in Route Table (rtb-1) with destination (0.0.0.0/0) already exists"
    planned = {"route_table_id": "rtb-1", "destination_cidr_block": "0.0.0.0/0"}
    orphan_setup(monkeypatch, "aws_route.egress", message, planned, {})

    tool.deploy(STACK)

    steps = [call[0] if call[0] != "plan" else " ".join(call[:2]) for call in commands(terraform)]
    assert steps == ["apply", "plan -input=false", "show", "import", "apply", "plan -detailed-exitcode"]
    assert commands(terraform)[3][-2:] == ["aws_route.egress", "rtb-1_0.0.0.0/0"]
    assert "-refresh=false" in commands(terraform)[1]
    assert "aws_route.egress" in [address for address, _, _ in tool.managed_resources(STACK)]
    assert "RouteAlreadyExists" in (outputs_dir / "logs" / "stack-apply-clashed.log").read_text()
    assert not (tool.directory(STACK) / "adoption.tfplan").exists()


def test_a_route_in_another_route_table_is_not_imported(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = {"route_table_id": "rtb-foreign", "destination_cidr_block": "0.0.0.0/0"}
    orphan_setup(monkeypatch, "aws_route.egress", "RouteAlreadyExists: exists", planned, {})

    with pytest.raises(DeployError, match="route_table_id 'rtb-foreign' is not a resource of this stack"):
        tool.deploy(STACK)

    assert [call[0] for call in commands(terraform)] == ["apply", "plan", "show"]


def test_a_same_named_bucket_without_the_stacks_tags_is_put_back_out_of_state_and_the_deploy_fails(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreign = {"tags_all": {"System": "streamflix", "Environment": "prod"}}
    orphan_setup(monkeypatch, "aws_s3_bucket.media", "BucketAlreadyOwnedByYou: yours", {"bucket": "media"}, foreign)

    with pytest.raises(DeployError, match=r"aws_s3_bucket.media already exists, but it is not this stack's"):
        tool.deploy(STACK)

    assert [call[0] for call in commands(terraform)] == ["apply", "plan", "show", "import", "state"]
    assert "aws_s3_bucket.media" not in [address for address, _, _ in tool.managed_resources(STACK)]


def test_a_bucket_with_the_stacks_tags_is_adopted(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = {"tags_all": {**DEFAULT_TAGS, "Name": "media"}}
    orphan_setup(monkeypatch, "aws_s3_bucket.media", "BucketAlreadyOwnedByYou: yours", {"bucket": "media"}, own)

    tool.deploy(STACK)

    assert [call[-2:] for call in commands(terraform) if call[0] == "import"] == [["aws_s3_bucket.media", "media"]]


def test_an_apply_that_failed_for_another_reason_is_not_retried(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orphan_setup(monkeypatch, "aws_kms_key.key", "creating KMS Key: AccessDeniedException", {}, {})

    with pytest.raises(DeployError, match="apply exited 1"):
        tool.deploy(STACK)

    assert [call[0] for call in commands(terraform)] == ["apply"]


class NatGateways:
    """The EC2 client's one call the NAT gateway lookup makes: the orphan is ``nat-1``, holding ``eipalloc-1``."""

    def describe_nat_gateways(self, Filters: list[dict]) -> dict:  # noqa: N803 (boto3's parameter name)
        assert {"Name": "subnet-id", "Values": ["subnet-1"]} in Filters
        return {"NatGateways": [{"NatGatewayId": "nat-1", "NatGatewayAddresses": [{"AllocationId": "eipalloc-1"}]}]}


def test_a_failed_create_tainted_in_state_leaves_it_and_the_orphan_it_clashed_with_is_adopted(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS creates a NAT gateway whose Elastic IP is taken 'failed': the provider records it tainted."""
    state_file = tool.directory(STACK) / "terraform.stack.tfstate"
    state = json.loads(state_file.read_text())
    failed = {"attributes": {"id": "nat-2"}, "status": "tainted"}
    state["resources"].append({"mode": "managed", "type": "aws_nat_gateway", "name": "nat", "instances": [failed]})
    state_file.write_text(json.dumps(state))
    message = (
        "waiting for EC2 NAT Gateway (nat-2) create: unexpected state 'failed', wanted target 'available'. "
        "last error: Elastic IP address eipalloc-1 is already associated"
    )
    planned = {"subnet_id": "subnet-1", "allocation_id": "eipalloc-1"}
    orphan_setup(monkeypatch, "aws_nat_gateway.nat", message, planned, {"tags_all": DEFAULT_TAGS})
    nat_lookup = {"ec2": NatGateways()}
    account = Account("aws", "1", STACK.region, lambda service: nat_lookup.get(service) or emulated(service))
    monkeypatch.setattr(tool, "account", lambda stack: account)

    tool.deploy(STACK)

    assert [call[:2] for call in commands(terraform)][2:5] == [
        ["show", "-json"],
        ["state", "rm"],
        ["import", "-input=false"],
    ]
    assert commands(terraform)[3][-1] == "aws_nat_gateway.nat"
    assert commands(terraform)[4][-2:] == ["aws_nat_gateway.nat", "nat-1"]
    assert tool.tainted_addresses(STACK) == set()


KEY_DESCRIPTION = "streamflix-key (pr-1)"


def stack_key(description: str = KEY_DESCRIPTION, tags: dict[str, str] = DEFAULT_TAGS) -> str:
    """A KMS key in the emulator, as an interrupted ``CreateKey`` leaves it: live, tagged, in no state."""
    key_tags = [{"TagKey": key, "TagValue": value} for key, value in tags.items()]
    return emulated("kms").create_key(Description=description, Tags=key_tags)["KeyMetadata"]["KeyId"]


def test_a_key_an_interrupted_apply_left_outside_the_state_is_imported_by_the_apply_instead_of_duplicated(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fake's apply fails unless the planned key is in state first: without the import it would make a second.
    The import is an ``import`` block the apply carries out, gone once the deploy is over."""
    key_id = stack_key()
    gone = stack_key()
    emulated("kms").schedule_key_deletion(KeyId=gone, PendingWindowInDays=7)
    planned = {"description": KEY_DESCRIPTION, "tags_all": DEFAULT_TAGS}
    orphan_setup(monkeypatch, "aws_kms_key.key", "creating a second key", planned, {"tags_all": DEFAULT_TAGS})

    tool.deploy(STACK)

    assert [call[0] for call in commands(terraform)] == ["plan", "show", "apply", "plan"]
    managed = {address: attributes["id"] for address, _, attributes in tool.managed_resources(STACK)}
    assert managed["aws_kms_key.key"] == key_id
    assert not (tool.directory(STACK) / terraform_tool.ADOPTION_IMPORTS).exists()


def test_the_import_blocks_are_removed_when_the_apply_fails_too(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack_key()
    planned = {"description": KEY_DESCRIPTION, "tags_all": DEFAULT_TAGS}
    orphan_setup(monkeypatch, "aws_route_table.other", "creating: AccessDeniedException", planned, {})
    monkeypatch.setattr(tool, "planned_creations", lambda stack: {"aws_kms_key.key": planned})

    with pytest.raises(DeployError, match="apply exited 1"):
        tool.deploy(STACK)

    assert "aws_kms_key.key" in [address for address, _, _ in tool.managed_resources(STACK)]  # the apply had them
    assert not (tool.directory(STACK) / terraform_tool.ADOPTION_IMPORTS).exists()


@pytest.mark.parametrize(
    ("description", "tags", "logged"),
    [
        ("someone else's key", DEFAULT_TAGS, "matches nothing the plan creates: left alone"),
        (KEY_DESCRIPTION, {**DEFAULT_TAGS, "Environment": "pr-2"}, ""),
    ],
    ids=["other description", "other environment"],
)
def test_a_key_that_is_not_the_planned_one_is_left_alone(
    tool: TerraformTool,
    terraform: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    description: str,
    tags: dict[str, str],
    logged: str,
) -> None:
    """A key of another environment is not even looked at; one of ours that matches no planned key is named."""
    stack_key(description, tags)
    planned = {"description": KEY_DESCRIPTION, "tags_all": DEFAULT_TAGS}
    orphan_setup(monkeypatch, "aws_route_table.private", "never printed", planned, {})

    tool.deploy(STACK)

    assert "import" not in [call[0] for call in commands(terraform)]
    left_alone = [line for line in capsys.readouterr().out.splitlines() if "left alone" in line]
    assert [logged in line for line in left_alone] == ([True] if logged else [])


def test_two_keys_either_of_which_could_be_the_planned_one_are_both_left_alone(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Neither is imported, so the fake's apply fails as it would make the planned key anew."""
    stack_key()
    stack_key()
    orphan_setup(monkeypatch, "aws_kms_key.key", "creating a second key", {"description": KEY_DESCRIPTION}, {})

    with pytest.raises(DeployError, match="apply exited 1"):
        tool.deploy(STACK)

    assert [call[0] for call in commands(terraform)] == ["plan", "show", "apply"]
    assert capsys.readouterr().out.count("no proof which, left alone") == 2


def test_a_deploy_with_nothing_outside_its_state_runs_no_extra_plan(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A route table with one of the stack's two default tags is not the stack's."""
    emulated("ec2").create_route_table(
        VpcId=emulated("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"],
        TagSpecifications=[{"ResourceType": "route-table", "Tags": [{"Key": "Environment", "Value": "pr-1"}]}],
    )
    orphan_setup(monkeypatch, "aws_route_table.private", "never printed", {}, {})

    tool.deploy(STACK)

    assert [call[0] for call in commands(terraform)] == ["apply", "plan"]


class DeniedTagging:
    def get_paginator(self, operation: str) -> object:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "tag:GetResources"}}, operation)


def test_a_deploy_role_that_may_not_read_tags_still_deploys_and_says_what_was_not_looked_for(
    tool: TerraformTool, terraform: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    account = Account("aws", "1", STACK.region, lambda service: DeniedTagging())
    monkeypatch.setattr(tool, "account", lambda stack: account)
    orphan_setup(monkeypatch, "aws_route_table.private", "never printed", {}, {})

    tool.deploy(STACK)

    assert [call[0] for call in commands(terraform)] == ["apply", "plan"]
    logged = capsys.readouterr().out
    assert "not looked for" in logged and "AccessDeniedException" in logged
