"""ServiceRole: one service may assume it, on this account's behalf, and its grants land in a customer-managed
policy."""

from __future__ import annotations

import functools
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs_lib.cdk.service_role import ServiceRole
from constructs_lib.policy import compute


@functools.cache
def built() -> tuple[cdk.Stack, dict[str, Any], ServiceRole, ServiceRole, ServiceRole]:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "Roles")
    guarded = ServiceRole(stack, "Guarded", service="states.amazonaws.com", description="Runs the workflow")
    lambda_role = ServiceRole(stack, "Function", service=compute.LAMBDA_PRINCIPAL, source_account_condition=False)
    empty = ServiceRole(stack, "Empty", service="states.amazonaws.com")
    s3.Bucket(stack, "Data").grant_read(guarded)
    guarded.add_to_principal_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=["*"]))
    return stack, Template.from_stack(stack).to_json()["Resources"], guarded, lambda_role, empty


def _props(construct: Any) -> dict[str, Any]:
    stack, resources, *_ = built()
    return resources[stack.get_logical_id(construct.node.default_child)]["Properties"]


def _trust(role: ServiceRole) -> dict[str, Any]:
    (statement,) = _props(role)["AssumeRolePolicyDocument"]["Statement"]
    return statement


def test_only_the_service_may_assume_it_and_only_for_this_account() -> None:
    _, _, guarded, _, _ = built()
    statement = _trust(guarded)
    assert statement["Principal"] == {"Service": "states.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_source_account_condition_can_be_left_out_for_services_that_do_not_send_it() -> None:
    _, _, _, lambda_role, _ = built()
    statement = _trust(lambda_role)
    assert statement["Principal"] == {"Service": compute.LAMBDA_PRINCIPAL}
    assert "Condition" not in statement


def test_every_grant_lands_in_one_customer_managed_policy_and_none_inline() -> None:
    stack, resources, guarded, _, _ = built()
    assert not [r for r in resources.values() if r["Type"] == "AWS::IAM::Policy"]
    assert "Policies" not in _props(guarded) and "ManagedPolicyArns" not in _props(guarded)
    policy = _props(guarded.policy)
    assert policy["Roles"] == [{"Ref": stack.get_logical_id(guarded.node.default_child)}]
    assert policy["Description"] == "Runs the workflow"
    actions = [s["Action"] for s in policy["PolicyDocument"]["Statement"]]
    assert "sqs:SendMessage" in actions and any("s3:GetObject*" in a for a in actions if isinstance(a, list))


def test_a_role_without_grants_has_no_policy() -> None:
    _, resources, _, _, empty = built()
    assert empty.policy is None
    assert len([r for r in resources.values() if r["Type"] == "AWS::IAM::ManagedPolicy"]) == 1
