"""Resource policies on topics, queues and buckets as CloudFormation models (one generic model, three
declarations), and the TLS-only bucket policy condition moto's evaluation ignored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from moto.core.common_models import CloudFormationModel

from scripts.emulator.cfn_resource import Replaceable, WrapperModel, physical_name
from scripts.emulator.registry import addition, model


def policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


class ResourcePolicy(Replaceable, WrapperModel):
    """A policy document applied to each target the property :attr:`TARGETS` names; on delete, each target that
    still exists gets its default policy back. A declaration names its type, the property, and two functions:
    ``set_policy(account_id, region_name, target, document)`` and ``clear_policy(account_id, region_name, target)``.
    """

    TYPE: ClassVar[str]
    TARGETS: ClassVar[str]
    #: Whether the resource is known by its one target's name (a bucket policy) rather than its logical id.
    NAMED_BY_TARGET: ClassVar[bool] = False
    set_policy: ClassVar[Callable[[str, str, str, str], None]]
    clear_policy: ClassVar[Callable[[str, str, str], None]]

    def __init__(self, name: str, targets: list[str]) -> None:
        super().__init__(name)
        self.targets = targets

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> ResourcePolicy:
        properties = cloudformation_json["Properties"]
        named = properties[cls.TARGETS]
        targets = [physical_name(target) for target in (named if isinstance(named, list) else [named])]
        for target in targets:
            cls.set_policy(account_id, region_name, target, policy_text(properties["PolicyDocument"]))
        return cls(targets[0] if cls.NAMED_BY_TARGET else resource_name, targets)

    def delete(self, account_id: str, region_name: str) -> None:
        for target in self.targets:
            self.clear_policy(account_id, region_name, target)


def _set_topic_policy(account_id: str, region_name: str, topic_arn: str, document: str) -> None:
    from moto.sns.models import sns_backends

    sns_backends[account_id][region_name].set_topic_attribute(topic_arn, "policy", document)


def _restore_topic_policy(account_id: str, region_name: str, topic_arn: str) -> None:
    from moto.sns.models import sns_backends

    topic = sns_backends[account_id][region_name].topics.get(topic_arn)
    if topic is not None:
        topic._policy_json = topic._create_default_topic_policy(region_name, account_id, topic.name)


def _set_queue_policy(account_id: str, region_name: str, queue_url: str, document: str) -> None:
    from moto.sqs.models import sqs_backends

    sqs_backends[account_id][region_name].set_queue_attributes(queue_url.rsplit("/", 1)[-1], {"Policy": document})


def _clear_queue_policy(account_id: str, region_name: str, queue_url: str) -> None:
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[account_id][region_name]
    name = queue_url.rsplit("/", 1)[-1]
    if name in backend.queues:
        backend.set_queue_attributes(name, {"Policy": ""})


def _set_bucket_policy(account_id: str, region_name: str, bucket: str, document: str) -> None:
    from moto.s3.models import s3_backends

    s3_backends[account_id]["aws"].put_bucket_policy(bucket, document.encode())


def _clear_bucket_policy(account_id: str, region_name: str, bucket: str) -> None:
    from moto.s3.models import s3_backends

    backend = s3_backends[account_id]["aws"]
    if bucket in backend.buckets:
        backend.delete_bucket_policy(bucket)


@model
class TopicPolicy(ResourcePolicy, CloudFormationModel):
    """SNS topic policies (TLS-only publishing, CloudWatch alarms only): no model in moto, so never applied."""

    TYPE, TARGETS = "AWS::SNS::TopicPolicy", "Topics"
    set_policy, clear_policy = staticmethod(_set_topic_policy), staticmethod(_restore_topic_policy)


@model
class QueuePolicy(ResourcePolicy, CloudFormationModel):
    """SQS queue policies (deny requests without TLS): no model in moto, so never applied."""

    TYPE, TARGETS = "AWS::SQS::QueuePolicy", "Queues"
    set_policy, clear_policy = staticmethod(_set_queue_policy), staticmethod(_clear_queue_policy)


@model
class BucketPolicy(ResourcePolicy, CloudFormationModel):
    """S3 bucket policies: no model in moto, so the CDK bootstrap bucket (and any stack bucket) had none."""

    TYPE, TARGETS, NAMED_BY_TARGET = "AWS::S3::BucketPolicy", "Bucket", True
    set_policy, clear_policy = staticmethod(_set_bucket_policy), staticmethod(_clear_bucket_policy)


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
