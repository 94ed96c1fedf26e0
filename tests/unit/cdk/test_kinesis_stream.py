"""KinesisDataStream: CMK encryption, provisioned shards, retention, removal per profile, and its two alarms."""

from __future__ import annotations

from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesis as kinesis
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, PCIDSS321Checks
from constructs import IConstruct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.compliance import acknowledgements
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.kinesis_stream import KinesisDataStream
from constructs_lib.policy import ConfigurationError


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    stream: KinesisDataStream

    def logical_id(self, construct: IConstruct) -> str:
        return self.stack.resolve(construct.node.default_child.logical_id)

    def resource(self, construct: IConstruct) -> dict[str, Any]:
        return self.template.to_json()["Resources"][self.logical_id(construct)]


def app(profile: str) -> cdk.App:
    return cdk.App(context={"profile": profile, "environmentSuffix": profile})


@pytest.fixture(scope="module")
def dev() -> Built:
    """Secure with no arguments but a name: its own key and its own alarm topic."""
    stack = cdk.Stack(app("dev"), "Stream")
    stream = KinesisDataStream(stack, "Telemetry", name_prefix="iot-telemetry")
    return Built(stack, Template.from_stack(stack), stream)


@pytest.fixture(scope="module")
def prod() -> Built:
    """As a stack composes it: a shared key, a shared alarm topic, more shards."""
    stack = cdk.Stack(app("prod"), "Stream")
    key = EncryptionKey(stack, "Key")
    alarms = AlarmTopic(stack, "Alarms", encryption_key=key)
    stream = KinesisDataStream(
        stack, "Telemetry", name_prefix="iot-telemetry", encryption_key=key, shard_count=2, alarm_topic=alarms
    )
    return Built(stack, Template.from_stack(stack), stream)


@pytest.fixture(params=["dev", "prod"])
def each(request: pytest.FixtureRequest) -> Built:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def overridden() -> Built:
    stack = cdk.Stack(app("dev"), "Overridden")
    stream = KinesisDataStream(
        stack,
        "OnDemand",
        stream_mode=kinesis.StreamMode.ON_DEMAND,
        retention_period=cdk.Duration.hours(48),
        encryption=kinesis.StreamEncryption.MANAGED,
    )
    return Built(stack, Template.from_stack(stack), stream)


def nag_findings(stack: cdk.Stack) -> set[tuple[str, str, str]]:
    """(rule, severity, construct path) for every finding of the three packs the stacks run."""
    return {
        (violation.rule_name, violation.severity, resource.construct_path)
        for pack in (AwsSolutionsChecks(), HIPAASecurityChecks(), PCIDSS321Checks())
        for violation in pack.validate_scope(stack).violations
        for resource in violation.violating_resources
    }


# --- the stream ----------------------------------------------------------------------------------------------------


def test_stream_is_encrypted_with_the_stacks_key(each: Built) -> None:
    key_id = each.logical_id(each.stream.encryption_key)
    assert each.resource(each.stream)["Properties"]["StreamEncryption"] == {
        "EncryptionType": "KMS",
        "KeyId": {"Fn::GetAtt": [key_id, "Arn"]},
    }


def test_stream_without_a_key_gets_its_own_customer_managed_key(dev: Built) -> None:
    assert dev.stack.node.try_find_child("TelemetryKey") is dev.stream.encryption_key
    assert dev.resource(dev.stream.encryption_key)["Properties"]["EnableKeyRotation"] is True


def test_stream_is_provisioned_with_the_policy_shards_unless_sized(dev: Built, prod: Built) -> None:
    assert dev.resource(dev.stream)["Properties"]["ShardCount"] == 1
    assert prod.resource(prod.stream)["Properties"]["ShardCount"] == 2
    for built in (dev, prod):
        assert built.resource(built.stream)["Properties"]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}


def test_stream_keeps_records_24_hours_and_is_named_with_the_suffix(each: Built) -> None:
    properties = each.resource(each.stream)["Properties"]
    assert properties["RetentionPeriodHours"] == 24
    assert properties["Name"] == f"iot-telemetry-{each.stack.node.try_get_context('profile')}"


def test_dev_stream_is_deleted_prod_stream_is_retained(dev: Built, prod: Built) -> None:
    assert dev.resource(dev.stream)["DeletionPolicy"] == "Delete"
    assert prod.resource(prod.stream)["DeletionPolicy"] == "Retain"


# --- the alarms ----------------------------------------------------------------------------------------------------


def alarm(built: Built, construct: cloudwatch.Alarm) -> dict[str, Any]:
    return built.template.to_json()["Resources"][built.stack.resolve(construct.node.default_child.logical_id)]


def test_iterator_age_alarm_fires_when_the_oldest_record_is_over_a_minute_old(each: Built) -> None:
    properties = alarm(each, each.stream.iterator_age_alarm)["Properties"]
    assert {k: properties[k] for k in properties if k not in ("AlarmActions", "OKActions", "AlarmDescription")} == {
        "AlarmName": f"iot-telemetry-iterator-age-{each.stack.node.try_get_context('profile')}",
        "Namespace": "AWS/Kinesis",
        "MetricName": "GetRecords.IteratorAgeMilliseconds",
        "Dimensions": [{"Name": "StreamName", "Value": {"Ref": each.logical_id(each.stream)}}],
        "Statistic": "Maximum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 60000,
        "TreatMissingData": "notBreaching",
    }


def test_throttle_alarm_fires_on_any_throttled_write_in_five_minutes(each: Built) -> None:
    properties = alarm(each, each.stream.throttle_alarm)["Properties"]
    assert {k: properties[k] for k in properties if k not in ("AlarmActions", "OKActions", "AlarmDescription")} == {
        "AlarmName": f"iot-telemetry-write-throttled-{each.stack.node.try_get_context('profile')}",
        "Namespace": "AWS/Kinesis",
        "MetricName": "WriteProvisionedThroughputExceeded",
        "Dimensions": [{"Name": "StreamName", "Value": {"Ref": each.logical_id(each.stream)}}],
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1,
        "TreatMissingData": "notBreaching",
    }


def test_both_alarms_notify_the_given_topic_on_breach_and_recovery(prod: Built) -> None:
    topic = {"Ref": prod.logical_id(prod.stream.alarm_topic)}
    assert prod.stack.node.try_find_child("Alarms") is prod.stream.alarm_topic
    for construct in (prod.stream.iterator_age_alarm, prod.stream.throttle_alarm):
        properties = alarm(prod, construct)["Properties"]
        assert properties["AlarmActions"] == [topic]
        assert properties["OKActions"] == [topic]


def test_without_a_topic_alarms_notify_an_encrypted_topic_of_the_streams_own(dev: Built) -> None:
    topic = dev.stream.alarm_topic
    assert isinstance(topic, AlarmTopic)
    topic_properties = dev.resource(topic)["Properties"]
    assert topic_properties["TopicName"] == "iot-telemetry-alarms-dev"
    assert topic_properties["KmsMasterKeyId"] == {"Fn::GetAtt": [dev.logical_id(dev.stream.encryption_key), "Arn"]}
    for construct in (dev.stream.iterator_age_alarm, dev.stream.throttle_alarm):
        assert alarm(dev, construct)["Properties"]["AlarmActions"] == [{"Ref": dev.logical_id(topic)}]


# --- overrides and bad input -------------------------------------------------------------------------------------


def test_default_stream_reports_no_override(each: Built) -> None:
    Annotations.from_stack(each.stack).has_no_warning("*", Match.string_like_regexp("overrides the hardened default"))


@pytest.mark.parametrize("prop", ["stream_mode", "retention_period", "encryption"])
def test_overriding_a_hardened_default_is_warned(overridden: Built, prop: str) -> None:
    Annotations.from_stack(overridden.stack).has_warning(
        "/Overridden/OnDemand", Match.string_like_regexp(f"'{prop}' overrides the hardened default")
    )


def test_on_demand_override_drops_shards_and_managed_encryption_creates_no_key(overridden: Built) -> None:
    properties = overridden.resource(overridden.stream)["Properties"]
    assert "ShardCount" not in properties
    assert properties["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert properties["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
    assert properties["RetentionPeriodHours"] == 48
    assert overridden.stack.node.try_find_child("OnDemandKey") is None
    # Its alarm topic then has a key of its own.
    assert overridden.stack.node.try_find_child("OnDemandAlarmsKey") is not None


def test_bad_suffix_fails_naming_environment_suffix() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev", "environmentSuffix": "Bad_Suffix"}), "Bad")
    with pytest.raises(ConfigurationError, match="environment_suffix") as error:
        KinesisDataStream(stack, "Telemetry")
    assert error.value.field == "environment_suffix"


def test_name_prefix_kinesis_cannot_use_fails() -> None:
    stack = cdk.Stack(app("dev"), "Bad")
    with pytest.raises(ConfigurationError) as error:
        KinesisDataStream(stack, "Telemetry", name_prefix="Raw Telemetry")
    assert error.value.field == "name_prefix"


# --- cdk-nag -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_nag_finds_nothing_once_the_cmk_cost_warning_is_accepted(profile: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(profile)
    assert nag_findings(built.stack) == set()
    assert ("AwsSolutions-KDS3", "Stream/Telemetry") in acknowledgements(built.stack)
