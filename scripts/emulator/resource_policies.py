"""Resource policies on topics, queues and buckets as CloudFormation models, and the TLS-only bucket policy
condition moto's evaluation ignored."""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from scripts.emulator.cfn_resource import Replaceable, WrapperModel, physical_name
from scripts.emulator.registry import addition, model


def policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


@model
class TopicPolicy(Replaceable, WrapperModel, CloudFormationModel):
    """SNS topic policies (TLS-only publishing, CloudWatch alarms only): no model in moto, so never applied."""

    def __init__(self, name: str, topic_arns: list[str]) -> None:
        super().__init__(name)
        self.topic_arns = topic_arns

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> TopicPolicy:
        from moto.sns.models import sns_backends

        properties = cloudformation_json["Properties"]
        for topic_arn in properties["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(
                topic_arn, "policy", policy_text(properties["PolicyDocument"])
            )
        return cls(resource_name, list(properties["Topics"]))

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sns.models import sns_backends

        backend = sns_backends[account_id][region_name]
        for topic_arn in self.topic_arns:
            topic = backend.topics.get(topic_arn)
            if topic is not None:
                topic._policy_json = topic._create_default_topic_policy(region_name, account_id, topic.name)


@model
class QueuePolicy(Replaceable, WrapperModel, CloudFormationModel):
    """SQS queue policies (deny requests without TLS): no model in moto, so never applied."""

    def __init__(self, name: str, queue_urls: list[str]) -> None:
        super().__init__(name)
        self.queue_urls = queue_urls

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> QueuePolicy:
        from moto.sqs.models import sqs_backends

        properties = cloudformation_json["Properties"]
        for queue_url in properties["Queues"]:
            sqs_backends[account_id][region_name].set_queue_attributes(
                queue_url.rsplit("/", 1)[-1], {"Policy": policy_text(properties["PolicyDocument"])}
            )
        return cls(resource_name, list(properties["Queues"]))

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[account_id][region_name]
        for queue_url in self.queue_urls:
            name = queue_url.rsplit("/", 1)[-1]
            if name in backend.queues:
                backend.set_queue_attributes(name, {"Policy": ""})


@model
class BucketPolicy(Replaceable, WrapperModel, CloudFormationModel):
    """S3 bucket policies: no model in moto, so the CDK bootstrap bucket (and any stack bucket) had none."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> BucketPolicy:
        from moto.s3.models import s3_backends

        properties = cloudformation_json["Properties"]
        bucket = physical_name(properties["Bucket"])
        s3_backends[account_id]["aws"].put_bucket_policy(bucket, policy_text(properties["PolicyDocument"]).encode())
        return cls(bucket)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.s3.models import s3_backends

        backend = s3_backends[account_id]["aws"]
        if self.physical_resource_id in backend.buckets:
            backend.delete_bucket_policy(self.physical_resource_id)


@addition(
    "aws:SecureTransport in bucket policies",
    "fix",
    "moto evaluates bucket policies without request context, ignores Bool conditions and treats a Deny whose "
    "condition does not match as a Deny, so the standard TLS-only Deny (aws:SecureTransport = false) denied every "
    "object request; the emulator's endpoint stands in for the TLS one",
)
def _patch_bucket_policy_transport() -> None:
    from moto.iam import policy_conditions
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def bool_operation(expected: list[str] | str, actual: str) -> bool:
        wanted = [expected] if isinstance(expected, str) else expected
        return str(actual).lower() in [str(value).lower() for value in wanted]

    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", bool_operation)
    original_statement = IAMPolicyStatement.is_action_permitted

    def statement_permits(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        result = original_statement(self, action, resource, principal, incoming_condition_values)
        conditional_deny = self._statement.get("Effect") == "Deny" and self._statement.get("Condition")
        if (
            result == PermissionResult.DENIED
            and conditional_deny
            and not self._check_conditions(incoming_condition_values)
        ):
            return PermissionResult.NEUTRAL
        return result

    IAMPolicyStatement.is_action_permitted = statement_permits

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        return IAMPolicy(self.policy.decode()).is_action_permitted(
            action, resource, incoming_condition_values={"aws:SecureTransport": "true"}
        )

    FakeBucket.get_permission = get_permission
