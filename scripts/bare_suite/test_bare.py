"""The benchmark's baseline suite: one test synthesizing a one-resource stack."""

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template


def test_bare_stack_has_its_queue() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Bare")
    sqs.CfnQueue(stack, "Queue")
    Template.from_stack(stack).resource_count_is("AWS::SQS::Queue", 1)
