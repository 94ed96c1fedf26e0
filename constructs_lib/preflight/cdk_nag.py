"""Preflight inside ``cdk synth``: a cdk-nag 3 pack that runs the preflight rules on any CDK app.

Register it the way cdk-nag 3 packs are registered, as a CDK policy-validation plugin, and acknowledge a finding the
cdk-nag way, on the construct (or any construct above it) with a reason::

    from aws_cdk import Validations
    from constructs_lib.preflight.cdk_nag import PreflightChecks

    Validations.of(app).add_plugins(PreflightChecks(app))
    Validations.of(bucket).acknowledge(id="Preflight-s3-bucket-name-unique", reason="the name is reserved for us")

Rule ids are ``Preflight-<rule id>`` (``preflight --list-rules``). An error finding fails the synth, a warning is
reported; both name the construct path, the message and the fix.

The rules read whole synthesized templates (references between resources, outputs, the stack's region), so the pack
runs them once over the templates CDK hands every validation plugin, through ``constructs_lib.model``, instead of
cdk-nag's per-``CfnResource`` callbacks. Acknowledgements are read from the same construct metadata
(``Validations.ACKNOWLEDGED_RULES_METADATA_KEY``) that ``Validations.of(...).acknowledge`` writes and cdk-nag's own
packs read, on the finding's construct and its ancestors.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import (
    CfnResource,
    IPolicyValidationContext,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
    Validations,
)
from cdk_nag import NagPack
from constructs import IConstruct

from constructs_lib.model import Stack as ModelStack
from constructs_lib.model import load_stacks
from constructs_lib.preflight.pack import PACK
from constructs_lib.preflight.registry import Finding, Rule, Severity, run_rules

PACK_NAME = "Preflight"
#: Prefixes ``Validations.acknowledge`` may store an id under: none given (``annotation::``) or this plugin's name.
_ACKNOWLEDGED_PREFIXES = ("annotation::", f"{PACK_NAME}::")


def rule_name(rule_id: str) -> str:
    """The id a finding of preflight rule ``rule_id`` has in cdk-nag reports and acknowledgements."""
    return f"{PACK_NAME}-{rule_id}"


class PreflightChecks(NagPack):
    """The preflight rules as a cdk-nag 3 pack: ``Validations.of(app).add_plugins(PreflightChecks(app))``."""

    def __init__(self, scope: IConstruct | None = None, rules: Sequence[Rule] = PACK) -> None:
        super().__init__(scope)
        self._pack_name = PACK_NAME
        self._scope = scope
        self._rules = tuple(rules)

    @property
    def name(self) -> str:
        return PACK_NAME

    def _check_resource(self, node: CfnResource) -> None:
        """Unused: the rules read the synthesized templates in :meth:`validate`, not one ``CfnResource`` at a time."""

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        """Run the rules over the stacks CDK synthesized; unacknowledged findings become violations."""
        root = context.app_construct or self._scope
        stacks = _synthesized_stacks(context.template_paths)
        violations = []
        for finding in run_rules(stacks, self._rules):
            construct = _construct_of(root, finding, stacks, context)
            path = construct.node.path if construct is not None else finding.resource
            if construct is not None and acknowledged(construct, rule_name(finding.rule_id)):
                continue
            violations.append(_violation(finding, path))
        failed = any(v.severity == Severity.ERROR for v in violations)
        return PolicyValidationPluginReport(success=not failed, violations=violations)


def acknowledged(construct: IConstruct, rule: str) -> bool:
    """``rule`` is acknowledged on ``construct`` or a construct above it (``Validations.of(c).acknowledge``)."""
    current: IConstruct | None = construct
    while current is not None:
        for entry in current.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY and isinstance(entry.data, dict):
                for key in entry.data:
                    if _strip_prefix(str(key)) == rule:
                        return True
        current = current.node.scope
    return False


def _strip_prefix(key: str) -> str:
    for prefix in _ACKNOWLEDGED_PREFIXES:
        if key.startswith(prefix):
            return key.removeprefix(prefix)
    return key


def _synthesized_stacks(template_paths: Sequence[str]) -> list[ModelStack]:
    """The stacks CDK validates, with the nested-stack templates written beside them."""
    files = [Path(p) for p in template_paths]
    nested = sorted({n for f in files for n in f.parent.glob("*.nested.template.json")})
    return load_stacks([*files, *nested])


def _construct_of(
    root: IConstruct, finding: Finding, stacks: Sequence[ModelStack], context: IPolicyValidationContext
) -> IConstruct | None:
    """The construct a finding is about: its resource's construct path (``aws:cdk:path``), its logical id in the
    stack, or the stack itself for a stack-level finding."""
    stack_construct = _stack_construct(root, finding, context)
    if not finding.address:
        return stack_construct
    model = next((s for s in stacks if str(s.path) == finding.file), None)
    resource = model.resources.get(finding.address) if model else None
    if resource is not None and resource.path:
        found = _by_path(root, resource.path)
        if found is not None:
            return found
    if stack_construct is not None and Stack.is_stack(stack_construct):
        for child in stack_construct.node.find_all():
            if CfnResource.is_cfn_resource(child) and Stack.of(child).resolve(child.logical_id) == finding.address:
                return child
    return stack_construct


def _stack_construct(root: IConstruct, finding: Finding, context: IPolicyValidationContext) -> IConstruct | None:
    for stack in context.stack_templates:
        if Path(stack.template_path).resolve() == Path(finding.file).resolve():
            return _by_path(root, stack.stack_construct_path)
    return None


def _by_path(root: IConstruct, path: str) -> IConstruct | None:
    current: IConstruct | None = root
    for part in path.split("/"):
        if current is None:
            return None
        current = current.node.try_find_child(part)
    return current


def _violation(finding: Finding, construct_path: str) -> PolicyViolation:
    return PolicyViolation(
        rule_name=rule_name(finding.rule_id),
        description=finding.message,
        fix=finding.fix,
        severity=str(finding.severity),
        violating_resources=[
            PolicyViolatingResource(
                construct_path=construct_path,
                locations=["Properties" if finding.address else "Outputs"],
                resource_logical_id=finding.address or None,
                template_path=finding.file,
            )
        ],
    )
