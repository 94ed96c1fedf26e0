"""Shared fixtures: the CDK app's three stacks, synthesized once per test session in each profile.

Synthesis runs the cdk-nag packs exactly as ``cdk synth`` does, so every test here also proves the stacks pass the
compliance gates in that profile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from app import build_app


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """Each test ends with the process environment it began with: code under test may export variables (the
    lifecycle orchestrator points itself at an emulator), and no later test may see them."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


#: The emulator, deployer and lifecycle fixtures, shared by their three test folders.
pytest_plugins = ("tests.unit.local_aws",)


@dataclass
class SynthesizedApp:
    """One profile's app: its stacks by construct id, and their templates."""

    app: cdk.App
    stacks: dict[str, cdk.Stack]
    templates: dict[str, Template]

    def template(self, stack_id: str) -> Template:
        return self.templates[stack_id]


def synthesize(profile: str, tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    outdir = tmp_path_factory.mktemp(f"cdk-{profile}")
    app = build_app(cdk.App(outdir=str(outdir), context={"profile": profile, "environmentSuffix": f"t-{profile}"}))
    app.synth()
    stacks = {child.node.id: child for child in app.node.children if isinstance(child, cdk.Stack)}
    return SynthesizedApp(app, stacks, {name: Template.from_stack(stack) for name, stack in stacks.items()})


@pytest.fixture(scope="session")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    return synthesize("dev", tmp_path_factory)


@pytest.fixture(scope="session")
def prod_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    return synthesize("prod", tmp_path_factory)
