"""alarm: the one way a CDK construct raises an alarm, from a ``policy.alarms`` spec."""

from __future__ import annotations

import re

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.policy import naming
from constructs_lib.policy.alarms import AlarmSpec


def _member(cloudwatch_name: str) -> str:
    """CDK's enum member for CloudWatch's own spelling: ``GreaterThanThreshold`` -> ``GREATER_THAN_THRESHOLD``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", cloudwatch_name).upper()


def alarm(
    scope: Construct, construct_id: str, spec: AlarmSpec, *, resource: str, name_prefix: str, topic: sns.ITopic
) -> cloudwatch.Alarm:
    """The alarm ``spec`` describes on the resource named ``resource`` (the value of the spec's dimension), named
    ``<name_prefix>-<spec.name_suffix>-<suffix>``, announcing breach and recovery on ``topic``.

    Example::

        alarm(self, "ErrorsAlarm", alarms.FUNCTION_ERRORS, resource=self.function_name, name_prefix=prefix,
              topic=alarm_topic)
    """
    suffix = deployment_settings(scope).environment_suffix
    created = cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=naming.resource_name("cloudwatch_alarm", f"{name_prefix}-{spec.name_suffix}", suffix),
        alarm_description=spec.description,
        metric=cloudwatch.Metric(
            namespace=spec.namespace,
            metric_name=spec.metric_name,
            dimensions_map={spec.dimension: resource},
            statistic=spec.statistic,
            period=Duration.seconds(spec.period_seconds),
        ),
        threshold=spec.threshold,
        comparison_operator=cloudwatch.ComparisonOperator[_member(spec.comparison_operator)],
        evaluation_periods=spec.evaluation_periods,
        treat_missing_data=cloudwatch.TreatMissingData[_member(spec.treat_missing_data)],
    )
    action = cloudwatch_actions.SnsAction(topic)
    created.add_alarm_action(action)
    created.add_ok_action(action)
    return created
