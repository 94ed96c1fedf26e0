"""Preflight test helpers: fixture files by rule, and small in-memory stacks for edge cases."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.model import Stack, load_stacks
from constructs_lib.model.cloudformation import stack_from_template
from constructs_lib.model.terraform import stack_from_configuration
from constructs_lib.preflight import RULES_BY_ID, Finding, run_rules

FIXTURES = Path(__file__).parent / "fixtures"

RuleRunner = Callable[[str, Stack], list[Finding]]


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def run_rule() -> RuleRunner:
    """Findings of one rule on one stack."""

    def run(rule_id: str, stack: Stack) -> list[Finding]:
        return run_rules([stack], [RULES_BY_ID[rule_id]])

    return run


@pytest.fixture(scope="session")
def fixture_findings(run_rule: RuleRunner) -> Callable[[str, str], list[Finding]]:
    """Findings of rule ``rule_id`` on its fixture file ``fixtures/<rule_id>/<name>``."""

    def run(rule_id: str, name: str) -> list[Finding]:
        (stack,) = load_stacks([FIXTURES / rule_id / name])
        return run_rule(rule_id, stack)

    return run


@pytest.fixture(scope="session")
def cfn_stack() -> Callable[..., Stack]:
    """A CloudFormation stack from a ``Resources`` mapping (and optional template sections)."""

    def build(
        resources: Mapping[str, Any],
        *,
        region: str | None = None,
        account: str | None = None,
        **sections: Any,
    ) -> Stack:
        template = {"Resources": dict(resources), **sections}
        return stack_from_template(
            template, name="inline", path=Path("inline.template.json"), region=region, account=account
        )

    return build


@pytest.fixture(scope="session")
def tf_stack() -> Callable[..., Stack]:
    """A Terraform stack from a ``resource`` mapping, with a provider in ``region`` (and optional sections)."""

    def build(resources: Mapping[str, Any], *, region: str | None = "eu-west-2", **sections: Any) -> Stack:
        configuration: dict[str, Any] = {"resource": dict(resources), **sections}
        if region and "provider" not in sections:
            configuration["provider"] = {"aws": [{"region": region}]}
        return stack_from_configuration(configuration, name="inline", path=Path("inline.cdk.tf.json"))

    return build
