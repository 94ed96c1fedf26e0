"""The deployed stacks, as the integration tests see them: outputs, region, profile and boto3 clients.

Everything comes from ``cfn-outputs/flat-outputs.json`` (written by ``scripts/deployer/``) and from the
services themselves. Clients are built from the environment only: ``AWS_ENDPOINT_URL`` set means the local emulator,
unset means real AWS with the caller's credentials, so the same tests run unchanged against both.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from constructs_lib.policy.profiles import Profile, profile_named

ROOT = Path(__file__).resolve().parents[2]
#: Every CDK stack the app deploys (construct ids); shared-control modules run once per stack.
CDK_STACKS = ("IotPlatform", "HealthcarePipeline", "StreamProcessor")
#: Every CDK for Terraform stack (stack names; their outputs are Terraform's, in snake_case).
TERRAFORM_STACKS = ("streamflix", "pci-platform")
#: The output naming each stack's customer-managed key, whose ARN gives the region and account (CDK, Terraform).
KEY_OUTPUTS = ("KmsKeyArn", "kms_key_arn")
FLAT_OUTPUTS = ROOT / "cfn-outputs" / "flat-outputs.json"
HOW_TO_DEPLOY = (
    "no deployed stacks: cfn-outputs/flat-outputs.json is missing or empty.\n"
    "  Local emulator: scripts/integration.sh (starts it, deploys every stack, runs these tests, destroys).\n"
    "  Real AWS: `cdk deploy --all` and `npx cdktf deploy streamflix pci-platform`, then\n"
    "  `python -m scripts.deployer outputs`, then `pytest tests/integration`."
)


def on_emulator() -> bool:
    """True when the clients talk to the local emulator rather than to AWS."""
    return bool(os.environ.get("AWS_ENDPOINT_URL"))


class DeploymentMissingError(Exception):
    """Raised (and turned into a test failure) when nothing, or not this stack, is deployed."""


@dataclass
class DeployedStack:
    """One deployed stack: its outputs, and clients in the region it lives in."""

    construct_id: str
    outputs: dict[str, Any]
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def key_arn(self) -> str:
        """Every stack outputs its KMS key (``KmsKeyArn``, or ``kms_key_arn`` from Terraform)."""
        found = [self.outputs[key] for key in KEY_OUTPUTS if key in self.outputs]
        if not found:
            raise AssertionError(
                f"{self.construct_id} has none of the outputs {KEY_OUTPUTS}; it has {sorted(self.outputs)}"
            )
        return str(found[0])

    @property
    def region(self) -> str:
        """The key's ARN names the region the stack was deployed to."""
        return self.key_arn.split(":")[3]

    @property
    def account(self) -> str:
        return self.key_arn.split(":")[4]

    def output(self, key: str) -> Any:
        """One output: a string, or a list for a Terraform list output."""
        if key not in self.outputs:
            raise AssertionError(f"{self.construct_id} has no output {key!r}; it has {sorted(self.outputs)}")
        return self.outputs[key]

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

    @functools.cached_property
    def description(self) -> dict[str, Any]:
        """DescribeStacks of the stack that produced these outputs (found by its key's ARN among live stacks)."""
        paginator = self.client("cloudformation").get_paginator("describe_stacks")
        for page in paginator.paginate():
            for stack in page["Stacks"]:
                outputs = {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs") or []}
                if outputs.get("KmsKeyArn") == self.key_arn:
                    return stack
        raise AssertionError(f"no live stack has the outputs of {self.construct_id}")

    @property
    def tags(self) -> dict[str, str]:
        """The stack's tags: CloudFormation's stack tags, or for Terraform the provider's default tags as its key
        carries them (every resource gets them)."""
        if "KmsKeyArn" in self.outputs:
            return {tag["Key"]: tag["Value"] for tag in self.description.get("Tags") or []}
        tags = self.client("kms").list_resource_tags(KeyId=self.key_arn)["Tags"]
        return {tag["TagKey"]: tag["TagValue"] for tag in tags}

    @property
    def profile(self) -> Profile:
        """The profile the stack was deployed with (its Profile tag), so expectations follow dev or prod."""
        return profile_named(self.tags["Profile"])


@dataclass
class Deployment:
    """All deployed stacks, from the flat outputs file (``"<Stack>.<OutputKey>": value``)."""

    stacks: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, path: Path = FLAT_OUTPUTS) -> Deployment:
        if not path.exists():
            raise DeploymentMissingError(HOW_TO_DEPLOY)
        try:
            flat = json.loads(path.read_text() or "{}")
        except json.JSONDecodeError as error:
            raise DeploymentMissingError(f"{path} is not JSON ({error}).\n{HOW_TO_DEPLOY}") from None
        if not flat:
            raise DeploymentMissingError(HOW_TO_DEPLOY)
        stacks: dict[str, dict[str, Any]] = {}
        for key, value in flat.items():
            stack, _, output = key.partition(".")
            stacks.setdefault(stack, {})[output] = value
        return cls(stacks)

    def stack(self, construct_id: str) -> DeployedStack:
        if construct_id not in self.stacks:
            raise DeploymentMissingError(
                f"{construct_id} is not in {FLAT_OUTPUTS.name} (deployed: {sorted(self.stacks)}).\n{HOW_TO_DEPLOY}"
            )
        return DeployedStack(construct_id, self.stacks[construct_id])
