"""HardenedStack: the base every CDK stack here shares: settings, tags, termination protection, outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aspects, CfnOutput, Stack, Tags
from constructs import Construct

from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.cdk.redundant_dependencies import RedundantDependencyPruner
from constructs_lib.policy.tags import standard_tags


class HardenedStack(Stack):
    """A stack that knows its deployment settings and tags every resource for cost, ownership and data class.

    ``system`` names the system (e.g. "iot-platform"); ``data_classification`` is what a reviewer will ask
    (e.g. "phi", "cardholder", "internal"). The prod profile turns on termination protection. Explicit
    dependencies that a reference already implies are pruned, so the template lints clean.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, system: str, data_classification: str, **kwargs: Any
    ) -> None:
        self.settings = deployment_settings(scope)
        kwargs.setdefault("termination_protection", self.settings.profile.deletion_protection)
        kwargs.setdefault("description", f"{system} ({self.settings.profile.name} profile)")
        kwargs.setdefault("stack_name", f"{construct_id}-{self.settings.environment_suffix}")
        super().__init__(scope, construct_id, **kwargs)
        self.system = system
        self.suffix = self.settings.environment_suffix
        self.profile = self.settings.profile
        for key, value in standard_tags(system, self.suffix, self.profile.name, data_classification).items():
            Tags.of(self).add(key, value)
        Aspects.of(self).add(RedundantDependencyPruner())

    def output(self, name: str, value: str, description: str) -> CfnOutput:
        """A stack output a test or downstream stack reads (flat key = ``name``)."""
        return CfnOutput(self, name, value=value, description=description)
