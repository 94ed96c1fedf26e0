"""Alarms: the one way a cdktf construct raises an alarm, from a spec (the topic is ``alarm_topic.AlarmTopic``)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from constructs import Construct

from constructs_lib.cdktf.alarm_topic import AlarmTopic
from constructs_lib.cdktf.deployment import deployment_settings
from constructs_lib.policy import naming
from constructs_lib.policy.alarms import AlarmSpec


def metric_alarm(
    scope: Construct,
    construct_id: str,
    spec: AlarmSpec,
    *,
    resource: str,
    name_prefix: str,
    topic: AlarmTopic | None = None,
) -> CloudwatchMetricAlarm:
    """The alarm ``spec`` describes on the resource named ``resource`` (the value of the spec's dimension), named
    ``<name_prefix>-<spec.name_suffix>-<suffix>``, announcing breach and recovery on ``topic`` (no actions without
    one).

    Example::

        metric_alarm(self, "errors", alarms.FUNCTION_ERRORS, resource=fn.name, name_prefix=prefix, topic=topic)
    """
    actions = [topic.arn] if topic is not None else []
    settings = deployment_settings(scope)
    return CloudwatchMetricAlarm(
        scope,
        construct_id,
        alarm_name=naming.resource_name(
            "cloudwatch_alarm", f"{name_prefix}-{spec.name_suffix}", settings.environment_suffix
        ),
        alarm_description=spec.description,
        namespace=spec.namespace,
        metric_name=spec.metric_name,
        dimensions={spec.dimension: resource},
        statistic=spec.statistic,
        period=spec.period_seconds,
        evaluation_periods=spec.evaluation_periods,
        threshold=spec.threshold,
        comparison_operator=spec.comparison_operator,
        treat_missing_data=spec.treat_missing_data,
        alarm_actions=actions,
        ok_actions=actions,
    )
