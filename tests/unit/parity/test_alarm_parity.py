"""The CDK and cdktf renderings raise the same alarms: same metric, statistic, comparator, threshold and periods."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import cdktf
import pytest
from aws_cdk.assertions import Template

from constructs_lib.policy import alarms
from constructs_lib.policy.alarms import AlarmSpec

CONTEXT = {"profile": "dev", "environmentSuffix": "t1"}


def cdk_alarms(template: Template) -> dict[str, dict[str, Any]]:
    """Each CloudFormation alarm of the template by metric name, as the fields compared."""
    return {
        props["MetricName"]: {
            "namespace": props["Namespace"],
            "metric": props["MetricName"],
            "statistic": props["Statistic"],
            "comparator": props["ComparisonOperator"],
            "threshold": props["Threshold"],
            "period": props["Period"],
            "evaluation_periods": props["EvaluationPeriods"],
            "treat_missing_data": props["TreatMissingData"],
            "name": props["AlarmName"],
            "description": props["AlarmDescription"],
        }
        for props in (r["Properties"] for r in template.find_resources("AWS::CloudWatch::Alarm").values())
    }


def tf_alarms(synthesized: str) -> dict[str, dict[str, Any]]:
    """Each Terraform metric alarm of the synthesized stack by metric name, as the fields compared."""
    found = json.loads(synthesized)["resource"]["aws_cloudwatch_metric_alarm"].values()
    return {
        alarm["metric_name"]: {
            "namespace": alarm["namespace"],
            "metric": alarm["metric_name"],
            "statistic": alarm["statistic"],
            "comparator": alarm["comparison_operator"],
            "threshold": alarm["threshold"],
            "period": alarm["period"],
            "evaluation_periods": alarm["evaluation_periods"],
            "treat_missing_data": alarm["treat_missing_data"],
            "name": alarm["alarm_name"],
            "description": alarm["alarm_description"],
        }
        for alarm in found
    }


@pytest.fixture(scope="module")
def twins() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The stream and the dead-letter queue in each rendering, built with no arguments."""
    from constructs_lib.cdk.kinesis_stream import KinesisDataStream
    from constructs_lib.cdk.secure_queue import DeadLetterQueue
    from constructs_lib.cdktf.kinesis_stream import KinesisDataStream as TfKinesisDataStream
    from constructs_lib.cdktf.secure_queue import DeadLetterQueue as TfDeadLetterQueue

    stack = cdk.Stack(cdk.App(context=CONTEXT), "Twins")
    KinesisDataStream(stack, "Stream")
    DeadLetterQueue(stack, "Dlq")
    tf_stack = cdktf.TerraformStack(cdktf.Testing.app(context=CONTEXT), "twins")
    TfKinesisDataStream(tf_stack, "stream")
    TfDeadLetterQueue(tf_stack, "dlq")
    return cdk_alarms(Template.from_stack(stack)), tf_alarms(cdktf.Testing.synth(tf_stack))


@pytest.mark.parametrize(
    "metric",
    ["GetRecords.IteratorAgeMilliseconds", "WriteProvisionedThroughputExceeded", "ApproximateNumberOfMessagesVisible"],
)
def test_twin_constructs_raise_the_same_alarm(twins, metric: str) -> None:
    cdk_side, tf_side = twins
    assert len(cdk_side) == len(tf_side) == 3
    compared = ("namespace", "metric", "statistic", "comparator", "threshold", "period", "evaluation_periods")
    assert {k: cdk_side[metric][k] for k in compared} == {k: tf_side[metric][k] for k in compared}


def as_specified(spec: AlarmSpec) -> dict[str, Any]:
    return {
        "namespace": spec.namespace,
        "metric": spec.metric_name,
        "statistic": spec.statistic,
        "comparator": spec.comparison_operator,
        "threshold": spec.threshold,
        "period": spec.period_seconds,
        "evaluation_periods": spec.evaluation_periods,
        "treat_missing_data": spec.treat_missing_data,
        "name": f"watched-{spec.name_suffix}-t1",
        "description": spec.description,
    }


@pytest.fixture(scope="module")
def helpers() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """One alarm per spec from each rendering's helper, on a resource named ``watched``."""
    from constructs_lib.cdk.alarm_topic import AlarmTopic
    from constructs_lib.cdk.alarms import alarm
    from constructs_lib.cdktf.alarm_topic import AlarmTopic as TfAlarmTopic
    from constructs_lib.cdktf.alarms import metric_alarm

    stack = cdk.Stack(cdk.App(context=CONTEXT), "Helpers")
    topic = AlarmTopic(stack, "Topic")
    tf_stack = cdktf.TerraformStack(cdktf.Testing.app(context=CONTEXT), "helpers")
    tf_topic = TfAlarmTopic(tf_stack, "topic")
    for index, spec in enumerate(alarms.ALL):
        alarm(stack, f"Alarm{index}", spec, resource="watched", name_prefix="watched", topic=topic)
        metric_alarm(tf_stack, f"alarm-{index}", spec, resource="watched", name_prefix="watched", topic=tf_topic)
    return cdk_alarms(Template.from_stack(stack)), tf_alarms(cdktf.Testing.synth(tf_stack))


def test_every_spec_has_its_own_metric() -> None:
    assert len(alarms.ALL) == len({spec.metric_name for spec in alarms.ALL}) == 8


@pytest.mark.parametrize("spec", alarms.ALL, ids=lambda spec: spec.name_suffix)
def test_both_helpers_render_the_spec_alike(helpers, spec: AlarmSpec) -> None:
    cdk_side, tf_side = helpers
    assert len(cdk_side) == len(tf_side) == len(alarms.ALL)
    assert cdk_side[spec.metric_name] == tf_side[spec.metric_name] == as_specified(spec)
