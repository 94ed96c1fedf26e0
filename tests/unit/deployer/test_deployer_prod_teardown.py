"""TerraformTool's prod teardown: a stack synthesized for prod (its Profile tag) is refreshed, refused while anything
is deletion-protected, then every resource of a type prod retains leaves state before ``destroy`` runs on the rest;
a dev stack gets a plain ``destroy``.

Terraform is a fake on PATH that records its calls and edits a state file the way ``state rm`` and ``destroy`` do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from constructs_lib.policy.profiles import TERRAFORM_PROD_RETAINED_TYPES, terraform_retained_in_prod
from scripts.deployer.protocol import DeployError, Stack
from scripts.deployer.terraform_tool import TerraformTool

FAKE_TERRAFORM = """
if arguments[:2] == ["state", "rm"]:
    removed = set(arguments[3:])
    for resource in state["resources"]:
        if f"{{resource['type']}}.{{resource['name']}}" in removed:
            resource["instances"] = []
    state["resources"] = [r for r in state["resources"] if r["instances"]]
elif arguments[0] == "destroy":
    state["resources"] = []
"""

STACK = Stack("stack", "stack", "us-east-1")


def resource(resource_type: str, local_name: str, **attributes: object) -> dict[str, object]:
    return {"mode": "managed", "type": resource_type, "name": local_name, "instances": [{"attributes": attributes}]}


def prod_state(*, protected: bool) -> list[dict[str, object]]:
    return [
        resource("aws_s3_bucket", "data", bucket="data-bucket", force_destroy=False),
        resource("aws_s3_bucket_policy", "data_policy", bucket="data-bucket"),
        resource("aws_s3_bucket_server_side_encryption_configuration", "data_sse", bucket="data-bucket"),
        resource("aws_kms_key", "key", key_id="k-1", deletion_window_in_days=30),
        resource("aws_kms_alias", "key_alias", name="alias/key"),
        resource("aws_cloudwatch_log_group", "logs", name="/logs", skip_destroy=True),
        resource("aws_rds_cluster", "db", cluster_identifier="db", deletion_protection=protected),
        resource("aws_networkfirewall_firewall", "firewall", arn="arn:fw", delete_protection=False),
        resource("aws_vpc", "vpc", id="vpc-1"),
    ]


@pytest.fixture
def terraform(stateful_terraform: Callable[[str], Path], outputs_dir: Path) -> Path:
    return stateful_terraform(FAKE_TERRAFORM)


def synthesized(tmp_path: Path, profile: str | None, resources: list[dict[str, object]]) -> TerraformTool:
    """A tool whose stack directory holds a synthesized config (provider default tags) and an applied state."""
    tool = TerraformTool("dev", "test", tmp_path / "cdktf.out.local")
    directory = tool.directory(STACK)
    (directory / ".terraform").mkdir(parents=True)
    tags = {"System": "test"} | ({"Profile": profile} if profile else {})
    config = {"provider": {"aws": [{"region": "us-east-1", "default_tags": [{"tags": tags}]}]}}
    (directory / "cdk.tf.json").write_text(json.dumps(config))
    (directory / "terraform.stack.tfstate").write_text(json.dumps({"resources": resources}))
    return tool


def commands(calls: Path) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()]


def test_the_profile_is_read_from_the_synthesized_tags_not_from_the_tool(tmp_path: Path) -> None:
    assert synthesized(tmp_path / "a", "prod", []).stack_profile(STACK) == "prod"
    assert synthesized(tmp_path / "b", "dev", []).stack_profile(STACK) == "dev"
    assert synthesized(tmp_path / "c", None, []).stack_profile(STACK) is None


def test_prod_teardown_refuses_while_deletion_protection_is_on_naming_the_resource(
    tmp_path: Path, terraform: Path
) -> None:
    tool = synthesized(tmp_path, "prod", prod_state(protected=True))

    with pytest.raises(DeployError, match=r"deletion protection is on for aws_rds_cluster\.db;") as refused:
        tool.destroy(STACK)

    assert "aws_networkfirewall_firewall" not in str(refused.value)
    assert [call[:2] for call in commands(terraform)] == [["apply", "-refresh-only"]]
    assert tool.state(STACK).deployed


def test_prod_teardown_keeps_buckets_with_their_configuration_and_keys_then_destroys_the_rest(
    tmp_path: Path, terraform: Path
) -> None:
    tool = synthesized(tmp_path, "prod", prod_state(protected=False))

    tool.destroy(STACK)

    refresh, state_rm, destroy = commands(terraform)
    assert refresh[:2] == ["apply", "-refresh-only"]
    assert state_rm[:3] == ["state", "rm", "-no-color"]
    assert sorted(state_rm[3:]) == [
        "aws_kms_alias.key_alias",
        "aws_kms_key.key",
        "aws_s3_bucket.data",
        "aws_s3_bucket_policy.data_policy",
        "aws_s3_bucket_server_side_encryption_configuration.data_sse",
    ]
    assert destroy[0] == "destroy" and "-refresh=false" in destroy
    assert tool.state(STACK).gone


def test_a_dev_stack_gets_a_plain_destroy(tmp_path: Path, terraform: Path) -> None:
    tool = synthesized(tmp_path, "dev", prod_state(protected=True))

    tool.destroy(STACK)

    assert [call[0] for call in commands(terraform)] == ["destroy"]


def test_retained_types_cover_every_bucket_configuration_type_and_not_compute() -> None:
    for resource_type in ("aws_s3_bucket_policy", "aws_s3_bucket_logging", "aws_s3_bucket_public_access_block"):
        assert terraform_retained_in_prod(resource_type)
    for resource_type in ("aws_rds_cluster", "aws_lambda_function", "aws_cloudwatch_log_group", "aws_vpc"):
        assert not terraform_retained_in_prod(resource_type)
    # A kept bucket's notifications would point at the function the teardown deletes.
    assert not terraform_retained_in_prod("aws_s3_bucket_notification")
    assert len(set(TERRAFORM_PROD_RETAINED_TYPES)) == len(TERRAFORM_PROD_RETAINED_TYPES)
