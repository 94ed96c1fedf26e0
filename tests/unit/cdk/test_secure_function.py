"""SecureFunction: encrypted log group and environment, VPC with HTTPS-only egress, tracing, least-privilege role,
dead letters and alarms."""

from __future__ import annotations

import functools
import json
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match, Template

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.secure_function import SecureFunction, lambda_runtime
from constructs_lib.cdk.secure_queue import DeadLetterQueue
from constructs_lib.policy import ConfigurationError, alarms, compute, naming, retention, services

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")


class Built(NamedTuple):
    stack: cdk.Stack
    template: Template
    resources: dict[str, Any]
    consumer: SecureFunction
    tuned: SecureFunction
    topic: sns.Topic

    def props(self, construct: Any) -> dict[str, Any]:
        return self.resources[self.stack.get_logical_id(construct.node.default_child)]["Properties"]

    def ref(self, value: Any) -> Any:
        return self.stack.resolve(value)


@functools.cache
def build(profile: str) -> Built:
    app = cdk.App(context={"profile": profile, "environmentSuffix": f"t-{profile}"})
    stack = cdk.Stack(app, "Functions")
    topic = sns.Topic(stack, "Alarms")
    consumer = SecureFunction(
        stack,
        "Processor",
        code=CODE,
        handler="index.handler",
        environment={"MODE": "strict"},
        alarm_topic=topic,
    )
    tuned = SecureFunction(
        stack,
        "Tuned",
        code=CODE,
        handler="index.handler",
        vpc=consumer.vpc,
        encryption_key=consumer.encryption_key,
        memory_size=1024,
        dead_letter_queue=sqs.Queue(stack, "PlainDlq", enforce_ssl=True),
    )
    template = Template.from_stack(stack)
    return Built(stack, template, template.to_json()["Resources"], consumer, tuned, topic)


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request: pytest.FixtureRequest) -> Built:
    return build(request.param)


def function(b: Built, fn: SecureFunction) -> dict[str, Any]:
    return b.props(fn)


def role_statements(b: Built, fn: SecureFunction) -> list[dict[str, Any]]:
    policy = fn.role.policy
    return b.props(policy)["PolicyDocument"]["Statement"]


def test_runtime_size_concurrency_and_tracing_come_from_the_policy(built: Built) -> None:
    props = function(built, built.consumer)
    assert props["Runtime"] == services.LAMBDA_RUNTIME
    assert (props["MemorySize"], props["Timeout"]) == (services.LAMBDA_MEMORY_MB, services.LAMBDA_TIMEOUT_SECONDS)
    assert props["ReservedConcurrentExecutions"] == services.LAMBDA_RESERVED_CONCURRENCY
    assert props["TracingConfig"] == {"Mode": "Active"}
    suffix = built.stack.node.try_get_context("environmentSuffix")
    assert props["FunctionName"] == naming.resource_name("lambda_function", "processor", suffix)


def test_logs_go_to_an_explicit_encrypted_log_group_and_no_log_retention_custom_resource_exists(built: Built) -> None:
    props = function(built, built.consumer)
    log_group = built.consumer.log_group
    assert props["LoggingConfig"] == {
        "LogFormat": compute.LAMBDA_LOG_FORMAT,
        "LogGroup": built.ref(log_group.log_group_name),
    }
    group = built.props(log_group)
    assert group["KmsKeyId"] == built.ref(built.consumer.encryption_key.key_arn)
    assert group["RetentionInDays"] == retention.log_retention_days(compute.LAMBDA_LOG_PURPOSE)
    assert not [r for r in built.resources.values() if r["Type"] == "Custom::LogRetention"]


def test_environment_is_encrypted_with_the_stacks_key(built: Built) -> None:
    props = function(built, built.consumer)
    assert props["KmsKeyArn"] == built.ref(built.consumer.encryption_key.key_arn)
    assert props["Environment"] == {"Variables": {"MODE": "strict"}}


def test_function_runs_in_the_private_subnets_with_its_own_security_group(built: Built) -> None:
    config = function(built, built.consumer)["VpcConfig"]
    assert config["SubnetIds"] == built.ref(built.consumer.vpc.select_subnets(subnet_group_name="private").subnet_ids)
    (group_id,) = config["SecurityGroupIds"]
    assert built.resources[group_id["Fn::GetAtt"][0]]["Type"] == "AWS::EC2::SecurityGroup"
    assert group_id != function(built, built.tuned)["VpcConfig"]["SecurityGroupIds"][0]


def test_failed_async_invocations_go_to_the_functions_own_secure_queue(built: Built) -> None:
    dead_letter_queue = built.consumer.dead_letter_queue
    assert isinstance(dead_letter_queue, DeadLetterQueue)
    assert function(built, built.consumer)["DeadLetterConfig"] == {"TargetArn": built.ref(dead_letter_queue.queue_arn)}


def test_the_dead_letter_queue_alarms_to_the_topic(built: Built) -> None:
    alarm = built.props(built.consumer.dead_letter_queue.messages_visible_alarm)
    assert alarm["AlarmActions"] == [built.ref(built.topic.topic_arn)]


def test_without_a_topic_the_function_creates_one_alarm_topic(built: Built) -> None:
    assert isinstance(built.tuned.alarm_topic, AlarmTopic)
    assert built.consumer.alarm_topic is built.topic


FUNCTION_ALARMS = [("errors_alarm", alarms.FUNCTION_ERRORS), ("throttles_alarm", alarms.FUNCTION_THROTTLES)]


@pytest.mark.parametrize(("attribute", "spec"), FUNCTION_ALARMS, ids=[a for a, _ in FUNCTION_ALARMS])
def test_function_alarms_on_its_first_error_and_first_throttle_to_the_topic_both_ways(
    built: Built, attribute: str, spec: alarms.AlarmSpec
) -> None:
    props = built.props(getattr(built.consumer, attribute))
    topic = [built.ref(built.topic.topic_arn)]
    assert props["AlarmActions"] == props["OKActions"] == topic
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": built.ref(built.consumer.function_name)}]
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == ("AWS/Lambda", spec.metric_name, "Sum")
    assert (props["ComparisonOperator"], props["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert (props["Period"], props["EvaluationPeriods"]) == (spec.period_seconds, spec.evaluation_periods)
    suffix = built.stack.node.try_get_context("environmentSuffix")
    assert props["AlarmName"] == naming.resource_name("cloudwatch_alarm", f"processor-{spec.name_suffix}", suffix)


def test_without_a_topic_the_function_alarms_tell_the_consumers_own_topic(built: Built) -> None:
    own_topic = [built.ref(built.tuned.alarm_topic.topic_arn)]
    for construct in (built.tuned.errors_alarm, built.tuned.throttles_alarm):
        assert built.props(construct)["AlarmActions"] == built.props(construct)["OKActions"] == own_topic


def test_role_has_no_aws_managed_and_no_inline_policy(built: Built) -> None:
    role_id = built.stack.get_logical_id(built.consumer.role.node.default_child)
    role = built.resources[role_id]["Properties"]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    inline = [
        r
        for r in built.resources.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
    ]
    assert inline == []
    assert built.props(built.consumer.role.policy)["Roles"] == [{"Ref": role_id}]


def test_role_writes_only_its_log_group_and_sends_to_its_queue_with_only_the_key_actions_needed(built: Built) -> None:
    statements = role_statements(built, built.consumer)
    text = json.dumps(statements)
    assert "logs:CreateLogGroup" not in text
    assert "kms:ReEncrypt" not in text and "kms:Encrypt" not in text
    key_arn = built.ref(built.consumer.encryption_key.key_arn)
    assert {
        "Action": list(compute.LAMBDA_LOG_ACTIONS),
        "Effect": "Allow",
        "Resource": built.ref(built.consumer.log_group.log_group_arn),
    } in statements
    queue_arn = built.ref(built.consumer.dead_letter_queue.queue_arn)
    assert {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": queue_arn} in statements
    assert {"Action": list(compute.SQS_SEND_KMS_ACTIONS), "Effect": "Allow", "Resource": key_arn} in statements


def test_overrides_are_applied_and_reported(built: Built) -> None:
    assert function(built, built.tuned)["MemorySize"] == 1024
    annotations = Annotations.from_stack(built.stack)
    for prop in ("memory_size", "dead_letter_queue"):
        annotations.has_warning(f"/{built.tuned.node.path}", Match.string_like_regexp(f"'{prop}' overrides"))


def test_log_retention_is_refused_because_it_deploys_a_custom_resource_lambda() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "Refused")
    with pytest.raises(ConfigurationError, match="log_retention"):
        SecureFunction(stack, "Fn", code=CODE, handler="index.handler", log_retention=logs.RetentionDays.ONE_WEEK)


def test_a_runtime_cdk_does_not_know_is_refused() -> None:
    assert lambda_runtime(services.LAMBDA_RUNTIME).name == services.LAMBDA_RUNTIME
    with pytest.raises(ConfigurationError, match="runtime"):
        lambda_runtime("cobol85")


def test_a_replaced_dead_letter_queue_without_a_key_gets_only_the_send_grant(built: Built) -> None:
    statements = role_statements(built, built.tuned)
    plain_queue_arn = built.ref(built.tuned.dead_letter_queue.queue_arn)
    assert {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": plain_queue_arn} in statements
    assert function(built, built.tuned)["DeadLetterConfig"] == {"TargetArn": plain_queue_arn}


def test_the_function_dead_letter_queue_can_be_switched_off_with_a_warning() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "NoDlq")
    fn = SecureFunction(stack, "Fn", code=CODE, handler="index.handler", dead_letter_queue=None)
    assert fn.dead_letter_queue is None
    Annotations.from_stack(stack).has_warning(
        f"/{fn.node.path}", Match.string_like_regexp("'dead_letter_queue' overrides")
    )


def test_the_security_group_allows_https_out_and_nothing_else(built: Built) -> None:
    (group_id,) = function(built, built.consumer)["VpcConfig"]["SecurityGroupIds"]
    group = built.resources[group_id["Fn::GetAtt"][0]]["Properties"]
    https = {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": compute.HTTPS_PORT, "ToPort": compute.HTTPS_PORT}
    assert [{k: rule[k] for k in https} for rule in group["SecurityGroupEgress"]] == [https]
    assert "SecurityGroupIngress" not in group


def test_only_the_lambda_service_may_assume_the_role(built: Built) -> None:
    role = built.props(built.consumer.role)
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": compute.LAMBDA_PRINCIPAL}
    assert statement["Action"] == "sts:AssumeRole"


def test_log_purpose_sets_the_log_groups_retention() -> None:
    stack = cdk.Stack(cdk.App(context={"profile": "dev"}), "Audited")
    fn = SecureFunction(stack, "Fn", code=CODE, handler="index.handler", log_purpose="audit")
    group = Template.from_stack(stack).to_json()["Resources"][stack.get_logical_id(fn.log_group.node.default_child)]
    assert group["Properties"]["RetentionInDays"] == retention.log_retention_days("audit")
