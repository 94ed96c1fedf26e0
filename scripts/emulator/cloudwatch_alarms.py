"""CloudWatch metric alarms as a CloudFormation model (moto has the API, not the model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel

from scripts.emulator.cfn_resource import Replaceable, WrapperModel, api_kwargs
from scripts.emulator.registry import model


@model
class MetricAlarm(Replaceable, WrapperModel, CloudFormationModel):
    """Metric alarms: moto has PutMetricAlarm but no CloudFormation model, so no alarm of a stack existed."""

    ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {"Arn": lambda self: self.arn}

    def __init__(self, name: str, arn: str) -> None:
        super().__init__(name)
        self.arn = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> MetricAlarm:
        from moto.cloudwatch.models import cloudwatch_backends

        properties = dict(cloudformation_json["Properties"])
        if "Metrics" in properties:
            raise ValidationError(message="metric-math alarms (Metrics) are not emulated")
        given = api_kwargs("cloudwatch", "PutMetricAlarm", properties)
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=given.get("namespace"),
            metric_name=given.get("metric_name"),
            comparison_operator=given.get("comparison_operator"),
            evaluation_periods=given.get("evaluation_periods"),
            period=given.get("period"),
            threshold=given.get("threshold"),
            statistic=given.get("statistic"),
            description=given.get("alarm_description"),
            dimensions=given.get("dimensions") or [],
            alarm_actions=given.get("alarm_actions") or [],
            ok_actions=given.get("ok_actions") or [],
            insufficient_data_actions=given.get("insufficient_data_actions") or [],
            datapoints_to_alarm=given.get("datapoints_to_alarm"),
            extended_statistic=given.get("extended_statistic"),
            unit=given.get("unit"),
            actions_enabled=given.get("actions_enabled", True),
            treat_missing_data=given.get("treat_missing_data"),
            evaluate_low_sample_count_percentile=given.get("evaluate_low_sample_count_percentile"),
            threshold_metric_id=given.get("threshold_metric_id"),
            tags=properties.get("Tags"),
        )
        return cls(alarm.name, alarm.alarm_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.cloudwatch.models import cloudwatch_backends

        cloudwatch_backends[account_id][region_name].delete_alarms([self.physical_resource_id])
