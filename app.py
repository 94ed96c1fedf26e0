"""The AWS CDK app: the three CDK systems, gated by cdk-nag at synth.

    cdk ls
    cdk synth -c profile=dev -c environmentSuffix=pr-7
    cdk deploy HealthcarePipeline-prod

Settings (context first, then environment): ``profile`` / DEPLOY_PROFILE (dev | prod, default prod),
``environmentSuffix`` / ENVIRONMENT_SUFFIX (default: the profile's name), ``region`` / STACK_REGION (IoT and stream
processor are region-agnostic unless set; the healthcare pipeline defaults to eu-west-2).
"""

from __future__ import annotations

import os

import aws_cdk as cdk

from constructs_lib.cdk.compliance import enable_compliance_checks
from stacks.healthcare_pipeline.stack import HealthcarePipelineProps, HealthcarePipelineStack
from stacks.iot_platform.stack import IotPlatformStack
from stacks.stream_processor.stack import StreamProcessorStack


def build_app(app: cdk.App) -> cdk.App:
    """Add the three stacks and the compliance gates to ``app``."""
    region = app.node.try_get_context("region") or os.environ.get("STACK_REGION")
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    env = cdk.Environment(account=account, region=region) if region else None
    IotPlatformStack(app, "IotPlatform", env=env)
    HealthcarePipelineStack(
        app,
        "HealthcarePipeline",
        props=HealthcarePipelineProps(account=account, **({"region": region} if region else {})),
    )
    StreamProcessorStack(app, "StreamProcessor", env=env)
    enable_compliance_checks(app)
    return app


if __name__ == "__main__":
    build_app(cdk.App()).synth()
