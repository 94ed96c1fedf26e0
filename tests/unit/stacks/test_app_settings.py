"""The app's settings: bad input fails at synth, before anything deploys, with the field and what is allowed."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from app import build_app
from constructs_lib.cdk.compliance import acknowledgements
from constructs_lib.policy import ConfigurationError
from stacks.healthcare_pipeline.stack import HealthcarePipelineProps, HealthcarePipelineStack


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"environmentSuffix": "My_Env"}, r"environment_suffix='My_Env' is not allowed: lower-case letters"),
        ({"profile": "staging"}, r"profile='staging' is not allowed: dev, prod"),
        (
            {"environmentSuffix": "x" * 31},
            r"elasticache_replication_group name 'iot-cache-x+' would be 41 .* allows 40",
        ),
        ({"region": "mx-central-1"}, r"region='mx-central-1' is not allowed: aurora-postgresql 17.9 is offered in"),
    ],
)
def test_bad_input_fails_at_synth_naming_the_field(context: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build_app(cdk.App(context={"profile": "dev", **context}))


def test_healthcare_region_is_checked_against_the_engine_at_synth() -> None:
    app = cdk.App(context={"profile": "dev"})
    with pytest.raises(ConfigurationError, match=r"region='ap-southeast-7' is not allowed: postgres 17.9"):
        HealthcarePipelineStack(app, "Hc", props=HealthcarePipelineProps(region="ap-southeast-7"))


def test_healthcare_props_size_the_stream() -> None:
    app = cdk.App(context={"profile": "dev"})
    stack = HealthcarePipelineStack(app, "Hc", props=HealthcarePipelineProps(stream_shards=3))
    assert stack.node.find_child("PatientStream").node.default_child.shard_count == 3


def test_every_acknowledgement_carries_a_specific_reason(dev_app, prod_app) -> None:
    for app in (dev_app, prod_app):
        for stack in app.stacks.values():
            for construct in stack.node.find_all():
                for entry in construct.node.metadata:
                    if entry.type == "hardened:acknowledgement":
                        assert len(entry.data["reason"]) >= 40, entry.data


def test_prod_acknowledges_nothing_that_dev_alone_may_skip(prod_app) -> None:
    for stack in prod_app.stacks.values():
        rules = {rule for rule, _ in acknowledgements(stack)}
        assert not rules & {
            "AwsSolutions-RDS10",
            "AwsSolutions-RDS3",
            "HIPAA.Security-RDSMultiAZSupport",
            "HIPAA.Security-RDSInstanceDeletionProtectionEnabled",
            "AwsSolutions-AEC4",
        }
