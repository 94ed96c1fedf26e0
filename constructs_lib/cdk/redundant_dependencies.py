"""RedundantDependencyPruner: drop DependsOn entries that a Ref or Fn::GetAtt already implies.

CDK adds explicit dependencies that duplicate references (a Lambda function on the role it already GetAtts, its own
custom-resource providers on their roles). CloudFormation orders them the same either way, but cfn-lint reports
each one (W3005), and a template we ship must lint clean. Dependencies on resources that are *not* referenced
(a role's policy, say) are kept: those are the ones that carry meaning.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import CfnResource, IAspect, Stack
from constructs import IConstruct


def referenced_logical_ids(value: Any) -> set[str]:
    """Logical ids a resolved CloudFormation value refers to through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt" and isinstance(item, list) and item:
                found.add(str(item[0]).split(".")[0])
            elif key == "Fn::GetAtt" and isinstance(item, str):
                found.add(item.split(".")[0])
            else:
                found |= referenced_logical_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= referenced_logical_ids(item)
    elif isinstance(value, str) and "${" in value:
        found |= {part.split("}")[0].split(".")[0] for part in value.split("${")[1:]}
    return found


@jsii.implements(IAspect)
class RedundantDependencyPruner:
    """Aspect: remove each explicit dependency of a resource on a resource its properties already reference."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource):
            return
        stack = Stack.of(node)
        referenced = referenced_logical_ids(stack.resolve(node._cfn_properties))
        for dependency in node.obtain_dependencies():
            if isinstance(dependency, CfnResource) and stack.resolve(dependency.logical_id) in referenced:
                node.remove_resource_dependency(dependency)
