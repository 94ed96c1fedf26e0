"""scripts/lifecycle/untracked_adopted.py: one resource of each type AWS names is taken out of a Terraform state
held in memory, and must come back with the id it had."""

from __future__ import annotations

from pathlib import Path

from scripts.deployer.cdk_tool import CdkTool
from scripts.deployer.protocol import Stack
from scripts.deployer.terraform_tool import TerraformTool
from scripts.lifecycle import untracked_adopted

STACK = Stack("Alpha", "Alpha-test", "eu-west-2")


class ForgetfulTerraform(TerraformTool):
    """A Terraform stack held in memory: ``forget`` drops addresses, ``deploy`` brings each back with the id
    ``recreated`` gives it (the one it had, when the deploy adopted it; a new one, when it duplicated it)."""

    def __init__(self, resources: dict[str, str], recreated: dict[str, str] | None = None) -> None:
        super().__init__("dev", "test", Path("unused"))
        self.resources = dict(resources)
        self.recreated = recreated or {}
        self.forgotten: list[str] = []

    def managed_resources(self, stack: Stack) -> list[tuple[str, str, dict[str, object]]]:
        return [(address, address.split(".")[0], {"id": identifier}) for address, identifier in self.resources.items()]

    def forget(self, stack: Stack, addresses: list[str]) -> None:
        self.forgotten = addresses
        for address in addresses:
            self.resources.pop(address)

    def deploy(self, stack: Stack) -> None:
        for address in self.forgotten:
            self.resources[address] = self.recreated.get(address, ORIGINAL_IDS[address])


ORIGINAL_IDS = {
    "aws_kms_key.key": "k-1",
    "aws_vpc.network": "vpc-1",
    "aws_subnet.private-0": "subnet-1",
    "aws_subnet.private-1": "subnet-2",
    "aws_route_table.private-0": "rtb-1",
    "aws_s3_bucket.media": "media-bucket",
}


def test_one_resource_of_each_type_aws_names_is_taken_out_of_state_and_must_come_back_with_its_id() -> None:
    tool = ForgetfulTerraform(ORIGINAL_IDS)

    [outcome] = untracked_adopted.check_untracked_adopted([tool], {"cdktf": [STACK]})

    assert sorted(tool.forgotten) == [
        "aws_kms_key.key",
        "aws_route_table.private-0",
        "aws_subnet.private-0",
        "aws_vpc.network",
    ]
    assert (outcome.check, outcome.stack, outcome.ok) == (untracked_adopted.CHECK, "Alpha", True)
    assert outcome.detail.startswith("4 taken out of state, adopted with their ids: aws_kms_key, aws_route_table")


def test_a_resource_the_deploy_made_anew_instead_of_adopting_fails_the_check_naming_it() -> None:
    tool = ForgetfulTerraform(ORIGINAL_IDS, recreated={"aws_kms_key.key": "k-2"})

    [outcome] = untracked_adopted.check_untracked_adopted([tool], {"cdktf": [STACK]})

    assert not outcome.ok
    assert "now {'aws_kms_key.key': 'k-2'}" in outcome.detail


def test_a_stack_with_no_resource_aws_names_fails_rather_than_passing_unchecked() -> None:
    tool = ForgetfulTerraform({"aws_s3_bucket.media": "media-bucket"})

    [outcome] = untracked_adopted.check_untracked_adopted([tool], {"cdktf": [STACK]})

    assert not outcome.ok and outcome.detail.startswith("the state holds none of")
    assert tool.forgotten == []


def test_cdk_stacks_have_no_untracked_check() -> None:
    assert untracked_adopted.check_untracked_adopted([CdkTool("dev", "test", Path("unused"))], None) == []
