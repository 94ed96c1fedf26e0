"""API calls the Terraform provider makes that moto answers wrongly: SQS and SNS attributes, S3 access logging,
VPC flow logs, Kinesis and Application Auto Scaling tags, rule descriptions and IAM policy conditions."""

from __future__ import annotations

import inspect
import json
from typing import Any

from botocore.session import get_session

from scripts.emulator.cfn_resource import coerce
from scripts.emulator.registry import addition


@addition(
    "SQS attributes a call does not name are kept; RedriveAllowPolicy",
    "fix",
    "moto's SetQueueAttributes drops the queue policy whenever a call does not repeat it (setting a dead-letter "
    "queue's RedriveAllowPolicy silently removed its TLS-only policy), never reports RedriveAllowPolicy (Terraform "
    "waited for it for ever), and spaces out RedrivePolicy where AWS returns compact JSON (a diff on every plan)",
)
def _patch_sqs_attributes() -> None:
    from moto.sqs.models import Queue

    original = Queue._set_attributes

    def _set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        kept = getattr(self, "policy", None)
        original(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = kept
        elif not attributes["Policy"]:
            self.policy = None
        if attributes.get("RedriveAllowPolicy") == "":
            self.redrive_allow_policy = None

    Queue._set_attributes = _set_attributes
    Queue.redrive_allow_policy = None
    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    original_attributes = Queue.attributes.fget

    def attributes(self: Any) -> dict[str, Any]:
        result = original_attributes(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)


@addition(
    "S3 access logging into a bucket with ACLs disabled",
    "fix",
    "moto refuses PutBucketLogging unless the target bucket's policy already allows logging.s3.amazonaws.com; for a "
    "target with ACLs disabled (BucketOwnerEnforced, the default for new buckets) AWS checks no grants and applies "
    "the policy when it delivers, so a bucket and its log bucket's policy may be created in either order",
)
def _patch_s3_logging() -> None:
    from moto.s3.models import FakeBucket

    original = FakeBucket._log_permissions_enabled_policy

    def _log_permissions_enabled_policy(target_bucket: Any, target_prefix: str | None) -> bool:
        if getattr(target_bucket, "ownership_rule", None) in (None, "BucketOwnerEnforced"):
            return True
        return original(target_bucket, target_prefix)

    FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)


def flow_log_group_name(log_destination: str | None) -> str | None:
    """The log group an ``arn:...:logs:...:log-group:<name>[:*]`` destination names (None for anything else)."""
    if not log_destination or ":log-group:" not in log_destination:
        return None
    return log_destination.split(":log-group:", 1)[1].removesuffix(":*")


@addition(
    "VPC flow logs: log group by ARN, destination options",
    "fix",
    "moto finds a flow log's CloudWatch log group by LogGroupName only, so given the group's ARN as LogDestination "
    "(how Terraform sends it) it reported delivery FAILED for a group that exists; and it drops DestinationOptions "
    "(Parquet, hourly partitions), so Terraform planned to replace the S3 flow log after every apply",
)
def _patch_flow_logs() -> None:
    from moto.ec2.models.flow_logs import FlowLogsBackend
    from moto.ec2.responses.flow_logs import FlowLogs as FlowLogsResponse

    original = FlowLogsBackend.create_flow_logs
    parameters = list(inspect.signature(original).parameters)[1:]

    def create_flow_logs(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = dict(zip(parameters, args, strict=False)) | kwargs
        if (call.get("log_destination_type") or "cloud-watch-logs") == "cloud-watch-logs" and not call.get(
            "log_group_name"
        ):
            call["log_group_name"] = flow_log_group_name(call.get("log_destination"))
        return original(self, **call)

    FlowLogsBackend.create_flow_logs = create_flow_logs
    original_response = FlowLogsResponse.create_flow_logs
    options_shape = get_session().get_service_model("ec2").shape_for("DestinationOptionsResponse")

    def create_flow_logs_response(self: Any) -> Any:
        result = original_response(self)
        options = self._get_param("DestinationOptions")
        if options:
            for flow_log_id in result.result["FlowLogIds"]:
                self.ec2_backend.flow_logs[flow_log_id].destination_options = coerce(options, options_shape)
        return result

    FlowLogsResponse.create_flow_logs = create_flow_logs_response


@addition(
    "SNS topic attributes SignatureVersion and TracingConfig",
    "fix",
    "moto stores SignatureVersion and TracingConfig but GetTopicAttributes never reports them: a topic set to sign "
    "with SHA256 (version 2) read back unset, and Terraform planned a change after every apply",
)
def _patch_sns_attributes() -> None:
    from moto.sns.responses import SNSResponse

    original = SNSResponse.get_topic_attributes

    def get_topic_attributes(self: Any) -> Any:
        result = original(self)
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        attributes = result.result["Attributes"]
        attributes["SignatureVersion"] = str(getattr(topic, "signature_version", None) or "1")
        if getattr(topic, "tracing_config", None):
            attributes["TracingConfig"] = topic.tracing_config
        return result

    SNSResponse.get_topic_attributes = get_topic_attributes


@addition(
    "Kinesis CreateStream tags",
    "fix",
    "moto's CreateStream ignores its Tags parameter (tags at creation, how Terraform sends the provider's default "
    "tags): the stream had no tags and Terraform planned to add them after every apply",
)
def _patch_kinesis_create_tags() -> None:
    from moto.kinesis.responses import KinesisResponse

    original = KinesisResponse.create_stream

    def create_stream(self: Any) -> Any:
        result = original(self)
        tags = self._get_param("Tags")
        if tags:
            self.kinesis_backend.add_tags_to_stream(None, self._get_param("StreamName"), tags)
        return result

    KinesisResponse.create_stream = create_stream


@addition(
    "description of a security group rule that references a group",
    "fix",
    "moto reports a rule's description from its CIDR range only, so a rule whose peer is another security group "
    "(the database's ingress from the tasks' group) read back without its description",
)
def _patch_security_group_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    original = SecurityGroupRule.description.fget

    def description(self: Any) -> str | None:
        return original(self) or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    """One ``operator: {key: expected}`` policy condition against a request's context keys, as IAM evaluates it.

    A key the request does not carry makes the condition false, except under a ``...IfExists`` operator (true) and
    ``Null`` (true when it expects the key to be absent). An operator moto does not implement keeps moto's answer
    (the condition holds).
    """
    from moto.iam.policy_conditions import CONDITION_OPERATIONS

    wanted = expected if isinstance(expected, list) else [expected]
    if key not in context:
        if operator == "Null":
            return "true" in [str(value).lower() for value in wanted]
        return operator.endswith("IfExists")
    if operator == "Null":
        return "false" in [str(value).lower() for value in wanted]
    verify = CONDITION_OPERATIONS.get(operator.removesuffix("IfExists"))
    return True if verify is None else bool(verify(expected, context[key]))


@addition(
    "policy conditions on keys a request does not carry",
    "fix",
    "moto counts a condition on a context key the request lacks as met, so a bucket's standard Deny of TLS older "
    "than 1.2 (NumericLessThan s3:TlsVersion) denied every request to it; IAM counts such a condition as not met "
    "(unless ...IfExists, or Null), and the emulator's requests carry no TLS version. A statement whose conditions "
    "are not met does not apply, whatever its effect (moto answered Deny for a conditional Allow)",
)
def _patch_policy_conditions() -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    def _check_conditions(self: Any, incoming_condition_values: dict[str, str] | None) -> bool:
        context = incoming_condition_values or {}
        for operator, block in (self._statement.get("Condition") or {}).items():
            for key, expected in block.items():
                if not condition_holds(operator, key, expected, context):
                    return False
        return True

    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        result = original(self, action, resource, principal, incoming_condition_values)
        if (
            result == PermissionResult.DENIED
            and self._statement.get("Condition")
            and not self._check_conditions(incoming_condition_values)
        ):
            return PermissionResult.NEUTRAL
        return result

    IAMPolicyStatement._check_conditions = _check_conditions
    IAMPolicyStatement.is_action_permitted = is_action_permitted


@addition(
    "Application Auto Scaling tags",
    "fix",
    "moto has no TagResource, UntagResource or ListTagsForResource for scalable targets and drops RegisterScalable"
    "Target's Tags: Terraform reads a target's tags after creating it and failed on the 500 (no service could scale "
    "on its queue)",
)
def _patch_scaling_target_tags() -> None:
    from moto.applicationautoscaling.models import FakeScalableTarget
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    FakeScalableTarget.tags = {}  # type: ignore[attr-defined]
    original_register = ApplicationAutoScalingResponse.register_scalable_target

    def target_by_arn(response: Any, arn: str) -> Any:
        for by_resource in response.applicationautoscaling_backend.targets.values():
            for target in by_resource.values():
                if target.arn == arn:
                    return target
        from moto.applicationautoscaling.exceptions import AWSValidationException

        raise AWSValidationException(f"No scalable target found for ARN {arn}")

    def register_scalable_target(self: Any) -> str:
        answer = original_register(self)
        tags = self._get_param("Tags")
        if tags:
            target = target_by_arn(self, json.loads(answer)["ScalableTargetARN"])
            target.tags = {**target.tags, **tags}
        return answer

    def tag_resource(self: Any) -> str:
        target = target_by_arn(self, self._get_param("ResourceARN"))
        target.tags = {**target.tags, **(self._get_param("Tags") or {})}
        return "{}"

    def untag_resource(self: Any) -> str:
        target = target_by_arn(self, self._get_param("ResourceARN"))
        dropped = set(self._get_param("TagKeys") or [])
        target.tags = {key: value for key, value in target.tags.items() if key not in dropped}
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        return json.dumps({"Tags": target_by_arn(self, self._get_param("ResourceARN")).tags})

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource


@addition(
    "ECS service AvailabilityZoneRebalancing",
    "fix",
    "moto drops CreateService's and UpdateService's availabilityZoneRebalancing, which the Terraform provider sends "
    "and reads back: every apply of a stack with a service planned the same change again (drift)",
)
def _patch_service_rebalancing() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    for name in ("create_service", "update_service"):
        original = getattr(EC2ContainerServiceResponse, name)

        def keep_rebalancing(self: Any, _original: Any = original) -> Any:
            result = _original(self)
            value = self._get_param("availabilityZoneRebalancing")
            service = result.result.get("service") if hasattr(result, "result") else None
            if value and service is not None:
                service.availability_zone_rebalancing = value
            return result

        setattr(EC2ContainerServiceResponse, name, keep_rebalancing)
