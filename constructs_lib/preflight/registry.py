"""What a rule is, what it reports, and how a pack of rules runs over stacks.

The cdk-nag shape: a rule is one small pure function over one resource (or one stack, for rules about relations
and outputs) that yields nothing when the resource is fine or not concerned, and a ``Violation`` otherwise. The
``Rule`` record around it gives the id, title, the seeds it comes from and the default severity.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from constructs_lib.model import CLOUDFORMATION, TERRAFORM, Resource, Stack


class Severity(StrEnum):
    """``error``: the deploy or the teardown fails, or the result is unsafe. ``warning``: it works, but look."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Violation:
    """What a check found. ``resource`` defaults to the resource checked; ``severity`` to the rule's."""

    message: str
    fix: str
    resource: Resource | None = None
    severity: Severity | None = None


@dataclass(frozen=True)
class Finding:
    """A violation with everything needed to print it: which rule, which stack, which resource."""

    rule_id: str
    severity: Severity
    stack: str
    source_format: str
    resource: str
    address: str
    message: str
    fix: str
    file: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "severity": str(self.severity)}


ResourceCheck = Callable[[Resource, Stack], Iterable[Violation]]
StackCheck = Callable[[Stack], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    """One check and what it is about.

    With ``kinds`` the check runs once per resource of those kinds (``check(resource, stack)``); without, once per
    stack (``check(stack)``). ``formats`` limits it to CloudFormation or Terraform when it is about one syntax.
    ``title`` says what the rule asserts in a line, ``fix`` the usual remedy; the check's docstring is the longer
    description (``description``) that reports such as SARIF show.
    """

    rule_id: str
    title: str
    fix: str
    seeds: tuple[str, ...]
    severity: Severity
    check: Callable[..., Iterable[Violation]]
    kinds: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset({CLOUDFORMATION, TERRAFORM})

    @property
    def description(self) -> str:
        """What the rule asserts and why, from the check function's docstring (first paragraph)."""
        doc = inspect.getdoc(self.check) or self.title
        return " ".join(doc.split("\n\n", 1)[0].split()).replace("``", "")

    def run(self, stack: Stack) -> list[Finding]:
        """Findings of this rule on ``stack`` (none when the rule does not apply to its format)."""
        if stack.source_format not in self.formats:
            return []
        if not self.kinds:
            return [self._finding(stack, v, None) for v in self.check(stack)]
        return [
            self._finding(stack, violation, resource)
            for resource in stack.of_kind(*self.kinds)
            for violation in self.check(resource, stack)
        ]

    def _finding(self, stack: Stack, violation: Violation, checked: Resource | None) -> Finding:
        resource = violation.resource or checked
        return Finding(
            rule_id=self.rule_id,
            severity=violation.severity or self.severity,
            stack=stack.name,
            source_format=stack.source_format,
            resource=resource.label if resource else "(stack)",
            address=resource.address if resource else "",
            message=violation.message,
            fix=violation.fix,
            file=str(stack.path),
        )


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1}


def run_rules(stacks: Iterable[Stack], rules: Sequence[Rule]) -> list[Finding]:
    """Every finding of every rule on every stack: errors first, then by stack, rule and resource."""
    findings = [finding for stack in stacks for rule in rules for finding in rule.run(stack)]
    return sorted(findings, key=lambda f: (_SEVERITY_ORDER[f.severity], f.stack, f.rule_id, f.resource))
