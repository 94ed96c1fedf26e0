"""Report test helpers: small in-memory stacks in either format, and the real stacks synthesized once per profile.

The CDK stacks come from the session fixtures of ``tests/unit/conftest.py`` (one synth per profile, shared with the
CDK tests); the cdktf stacks are synthesized here once per profile into a temporary folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from report_cases import PROFILES, CfnBuilder, TfBuilder

from constructs_lib.model import Stack, load_stacks
from constructs_lib.model.cloudformation import stack_from_template
from constructs_lib.model.terraform import stack_from_configuration

#: Variables that would leak the developer's shell into a synth.
DEPLOYMENT_ENV = ("ENVIRONMENT_SUFFIX", "DEPLOY_PROFILE", "AWS_REGION", "TF_STATE_BUCKET", "AWS_ENDPOINT_URL")


def profile_tags(profile: str | None, system: str = "test-system") -> list[dict[str, str]]:
    """CloudFormation ``Tags`` saying which profile and system a resource belongs to."""
    tags = [{"Key": "System", "Value": system}]
    return tags + ([{"Key": "Profile", "Value": profile}] if profile else [])


@pytest.fixture(scope="session")
def cfn() -> CfnBuilder:
    """A CloudFormation stack from a ``Resources`` mapping, tagged with ``profile`` through a marker resource."""

    def build(
        resources: Mapping[str, Any], *, profile: str | None = "dev", region: str | None = "us-east-1", **sections: Any
    ) -> Stack:
        marker = {"Marker": {"Type": "AWS::CDK::Metadata", "Properties": {"Tags": profile_tags(profile)}}}
        template = {"Resources": {**marker, **resources}, **sections}
        return stack_from_template(template, name="Inline", path=Path("Inline.template.json"), region=region)

    return build


@pytest.fixture(scope="session")
def tf() -> TfBuilder:
    """A Terraform JSON stack from ``{type: {name: body}}``, every resource tagged by the provider's default tags."""

    def build(
        resources: Mapping[str, Mapping[str, Any]], *, profile: str | None = "dev", region: str = "us-east-1"
    ) -> Stack:
        tags = {t["Key"]: t["Value"] for t in profile_tags(profile)}
        configuration = {
            "provider": {"aws": [{"region": region, "default_tags": [{"tags": tags}]}]},
            "resource": {"aws_kms_alias": {"marker": {"name": "alias/marker"}}, **resources},
        }
        return stack_from_configuration(configuration, name="inline", path=Path("stacks/inline/cdk.tf.json"))

    return build


@pytest.fixture(scope="session")
def cdktf_outdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``tf_app``'s two stacks synthesized once per profile (the provider bindings load once, ~20 s)."""
    import cdktf

    import tf_app

    outdirs = {}
    for profile in PROFILES:
        outdir = tmp_path_factory.mktemp(f"report-cdktf-{profile}")
        with pytest.MonkeyPatch.context() as patch:
            for name in DEPLOYMENT_ENV:
                patch.delenv(name, raising=False)
            app = cdktf.App(outdir=str(outdir), context={"profile": profile, "environmentSuffix": profile})
            tf_app.build_app(app)
            app.synth()
        outdirs[profile] = outdir
    return outdirs


@pytest.fixture(scope="session")
def synthesized_dirs(dev_app: Any, prod_app: Any, cdktf_outdirs: dict[str, Path]) -> dict[str, list[Path]]:
    """Per profile, the cdk.out and cdktf.out folders of the real stacks."""
    return {
        "dev": [Path(dev_app.app.outdir), cdktf_outdirs["dev"]],
        "prod": [Path(prod_app.app.outdir), cdktf_outdirs["prod"]],
    }


@pytest.fixture(scope="session")
def real_stacks(synthesized_dirs: dict[str, list[Path]]) -> dict[tuple[str, str], Stack]:
    """Every real stack by (system, profile)."""
    stacks = {}
    for profile, dirs in synthesized_dirs.items():
        for stack in load_stacks(dirs):
            stacks[(stack.system, profile)] = stack
    return stacks
