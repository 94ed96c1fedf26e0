"""RedundantDependencyPruner: a DependsOn that a reference already implies is dropped; a meaningful one is kept."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from constructs_lib.cdk.redundant_dependencies import RedundantDependencyPruner, referenced_logical_ids


def test_references_are_found_in_ref_getatt_and_sub() -> None:
    value = {
        "A": {"Ref": "First"},
        "B": [{"Fn::GetAtt": ["Second", "Arn"]}, {"Fn::GetAtt": "Third.Arn"}],
        "C": {"Fn::Sub": "arn:${Fourth}:${Fifth.Name}"},
    }
    assert referenced_logical_ids(value) == {"First", "Second", "Third", "Fourth", "Fifth"}


def test_dependency_implied_by_a_reference_is_pruned_and_others_kept() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Pruned")
    target = sqs.CfnQueue(stack, "Target")
    unrelated = sqs.CfnQueue(stack, "Unrelated")
    source = sqs.CfnQueue(
        stack, "Source", redrive_policy={"deadLetterTargetArn": target.attr_arn, "maxReceiveCount": 3}
    )
    source.add_dependency(target)
    source.add_dependency(unrelated)
    cdk.Aspects.of(stack).add(RedundantDependencyPruner())
    resources = Template.from_stack(stack).to_json()["Resources"]
    source_id = stack.resolve(source.logical_id)
    assert resources[source_id]["DependsOn"] == [stack.resolve(unrelated.logical_id)]
