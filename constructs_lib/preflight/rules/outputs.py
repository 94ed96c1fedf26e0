"""Outputs a test can read (seed 003 had none): without them integration tests guess names or call AWS lists."""

from __future__ import annotations

from collections.abc import Iterator

from constructs_lib.model import Stack
from constructs_lib.model.kinds import DATA_STORE_KINDS, MESSAGING_KINDS
from constructs_lib.preflight.registry import Rule, Severity, Violation


def check_stack_has_outputs(stack: Stack) -> Iterator[Violation]:
    """A stack a person deploys exports at least one output, or another stack of its app does.

    A nested stack's template hands values to its parent, not to people; a helper stack beside stacks that export
    outputs is read through them.
    """
    if not stack.outputs and not stack.nested and not stack.sibling_outputs:
        yield Violation(
            "the stack has no outputs: integration tests and other stacks have nothing to read",
            "export the name/ARN/endpoint of each data store, queue and stream (CfnOutput / TerraformOutput)",
        )


def check_data_store_has_output(stack: Stack) -> Iterator[Violation]:
    """Each data store, queue and stream is named by some output."""
    if not stack.outputs:
        return  # reported once by stack-has-outputs
    exported = {ref.target for output in stack.outputs.values() for ref in output.references}
    for resource in stack.of_kind(*DATA_STORE_KINDS, *MESSAGING_KINDS):
        if resource.address not in exported:
            yield Violation(
                f"no output names this {resource.kind.replace('_', ' ')}: a test cannot find it",
                "add an output with its name, ARN or endpoint",
                resource=resource,
            )


STACK_HAS_OUTPUTS = Rule(
    rule_id="stack-has-outputs",
    title="Every deployed stack (or its app) has outputs",
    fix="export the name/ARN/endpoint of each data store, queue and stream (CfnOutput / TerraformOutput)",
    seeds=("003",),
    severity=Severity.WARNING,
    check=check_stack_has_outputs,
)

DATA_STORE_HAS_OUTPUT = Rule(
    rule_id="data-store-has-output",
    title="Every data store, queue and stream is named by an output a test can read",
    fix="add an output with the resource's name, ARN or endpoint",
    seeds=("003",),
    severity=Severity.WARNING,
    check=check_data_store_has_output,
)
