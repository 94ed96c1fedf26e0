"""Each construct that exists in both renderings enforces the same controls: built with no (or only required)
arguments in a CDK stack and a cdktf stack, in each profile, read through ``constructs_lib.model``, reduced to the
controls a reviewer asks about, and compared field by field.

A difference fails unless :data:`ACCEPTED_DIFFERENCES` names it with the reason it is right; an accepted difference
that no longer differs in any profile fails too, so the table never outlives the drift it explains.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdktf
import pytest
from aws_cdk.assertions import Template

from constructs_lib.model import Resource, Stack
from constructs_lib.model.cloudformation import stack_from_template
from constructs_lib.model.terraform import stack_from_configuration
from constructs_lib.model.tokens import render

PROFILES = ("dev", "prod")
HANDLER_DIR = Path(__file__).resolve().parents[3] / "stacks" / "pci_platform" / "handler"

Controls = dict[str, Any]
#: What the service-role pair is built with: a service to trust and one permission.
SERVICE = "states.amazonaws.com"
PERMISSION: dict[str, Any] = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}

#: construct -> control -> why the two renderings may differ there. Every other difference fails the test.
_TERRAFORM_HAS_NO_RETAIN = (
    "prod: CloudFormation retains the resource when the stack is deleted (DeletionPolicy Retain); Terraform has no "
    "retain-on-destroy for it, and prevent_destroy would make the prod stack impossible to tear down at all"
)
_TERRAFORM_BUCKET_NOT_EMPTIED = (
    "prod: CloudFormation retains the bucket; Terraform's destroy is refused while it holds objects "
    "(force_destroy=false), so the data stays either way"
)
_DLQ_TOPIC_GIVEN = (
    "the CDK DeadLetterQueue creates its own AlarmTopic; the cdktf DeadLetterQueue is only built inside a "
    "construct that passes it that construct's topic (a stray topic per DLQ would go unsubscribed)"
)
ACCEPTED_DIFFERENCES: dict[str, dict[str, str]] = {
    "bucket": {
        "on_delete": _TERRAFORM_BUCKET_NOT_EMPTIED,
        "access_log_bucket.on_delete": _TERRAFORM_BUCKET_NOT_EMPTIED,
    },
    "access_log_bucket": {"on_delete": _TERRAFORM_BUCKET_NOT_EMPTIED},
    "stream": {"on_delete": _TERRAFORM_HAS_NO_RETAIN},
    "encryption_key": {
        "on_delete": _TERRAFORM_HAS_NO_RETAIN + "; the key's 30-day deletion window (prod) leaves time to cancel",
    },
    "dead_letter_queue": {
        "on_delete": _TERRAFORM_HAS_NO_RETAIN,
        "alarm_notifies": _DLQ_TOPIC_GIVEN,
    },
    "secure_queue": {"on_delete": _TERRAFORM_HAS_NO_RETAIN, "alarm_notifies": _DLQ_TOPIC_GIVEN},
    "network_firewall": {
        "customer_managed_key": "CloudFormation's NetworkFirewall Firewall, FirewallPolicy and RuleGroup have no "
        "encryption setting, so the CDK twin's are encrypted with an AWS-owned key; Terraform's "
        "encryption_configuration uses the customer-managed key. Both encrypt the alert and flow log groups with it",
    },
}


# --- synthesizing each construct alone, once per module ---------------------------------------------------------


def _cdk_builders() -> dict[str, Callable[[cdk.Stack], object]]:
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda as lambda_

    from constructs_lib.cdk.alarm_topic import AlarmTopic
    from constructs_lib.cdk.aurora_cluster import AuroraServerlessCluster
    from constructs_lib.cdk.container_cluster import ImageRepository
    from constructs_lib.cdk.encryption_key import EncryptionKey
    from constructs_lib.cdk.kinesis_stream import KinesisDataStream
    from constructs_lib.cdk.log_group import EncryptedLogGroup
    from constructs_lib.cdk.network import Network
    from constructs_lib.cdk.network_firewall import NetworkFirewall
    from constructs_lib.cdk.secure_bucket import AccessLogBucket, SecureBucket
    from constructs_lib.cdk.secure_function import SecureFunction
    from constructs_lib.cdk.secure_queue import DeadLetterQueue, SecureQueue
    from constructs_lib.cdk.service_role import ServiceRole
    from constructs_lib.cdk.stream_consumer import StreamConsumerFunction

    def code() -> lambda_.Code:
        return lambda_.Code.from_asset(str(HANDLER_DIR))

    def stream_consumer(stack: cdk.Stack) -> object:
        stream = KinesisDataStream(stack, "Source")
        return StreamConsumerFunction(stack, "Fn", stream=stream, code=code(), handler="app.handler")

    def service_role(stack: cdk.Stack) -> object:
        role = ServiceRole(stack, "Role", service=SERVICE)
        role.add_to_principal_policy(iam.PolicyStatement(actions=list(PERMISSION["Action"]), resources=["*"]))
        return role

    return {
        "bucket": lambda s: SecureBucket(s, "Data"),
        "access_log_bucket": lambda s: AccessLogBucket(s, "Logs"),
        "stream": lambda s: KinesisDataStream(s, "Stream"),
        "dead_letter_queue": lambda s: DeadLetterQueue(s, "Dlq"),
        "secure_queue": lambda s: SecureQueue(s, "Jobs"),
        "encryption_key": lambda s: EncryptionKey(s, "Key"),
        "log_group": lambda s: EncryptedLogGroup(s, "Logs"),
        "aurora_cluster": lambda s: AuroraServerlessCluster(s, "Db"),
        "alarm_topic": lambda s: AlarmTopic(s, "Topic"),
        "network": lambda s: Network(s, "Net"),
        "secure_function": lambda s: SecureFunction(s, "Fn", code=code(), handler="app.handler"),
        "stream_consumer": stream_consumer,
        "service_role": service_role,
        "network_firewall": lambda s: NetworkFirewall(s, "Egress", network=Network(s, "Net")),
        "image_repository": lambda s: ImageRepository(s, "Images"),
        "queue_depth_scaling": _cdk_queue_depth_scaling,
    }


def _cdk_queue_depth_scaling(stack: cdk.Stack) -> object:
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_sqs as sqs

    from constructs_lib.cdk.container_cluster import ContainerCluster, QueueDepthScaling

    cluster = ContainerCluster(stack, "Cluster")
    tasks = ec2.SecurityGroup(stack, "Tasks", vpc=cluster.vpc)
    service = cluster.add_processing_service("Service", cluster.add_processing_task("Task"), security_groups=[tasks])
    return QueueDepthScaling(stack, "Scaling", service=service, queue=sqs.Queue(stack, "Jobs"))


def _tf_builders() -> dict[str, Callable[[cdktf.TerraformStack], object]]:
    from constructs_lib.cdktf.alarm_topic import AlarmTopic
    from constructs_lib.cdktf.aurora_cluster import AuroraServerlessCluster
    from constructs_lib.cdktf.container_cluster import ImageRepository
    from constructs_lib.cdktf.encryption_key import EncryptionKey
    from constructs_lib.cdktf.kinesis_stream import KinesisDataStream
    from constructs_lib.cdktf.log_group import EncryptedLogGroup
    from constructs_lib.cdktf.network import Network
    from constructs_lib.cdktf.network_firewall import NetworkFirewall
    from constructs_lib.cdktf.secure_bucket import AccessLogBucket, SecureBucket
    from constructs_lib.cdktf.secure_function import SecureFunction
    from constructs_lib.cdktf.secure_queue import DeadLetterQueue, SecureQueue
    from constructs_lib.cdktf.service_role import ServiceRole
    from constructs_lib.cdktf.stream_consumer import StreamConsumerFunction

    def stream_consumer(stack: cdktf.TerraformStack) -> object:
        stream = KinesisDataStream(stack, "source")
        return StreamConsumerFunction(stack, "fn", stream=stream, code_path=str(HANDLER_DIR), handler="app.handler")

    return {
        "bucket": lambda s: SecureBucket(s, "data"),
        "access_log_bucket": lambda s: AccessLogBucket(s, "logs"),
        "stream": lambda s: KinesisDataStream(s, "stream"),
        "dead_letter_queue": lambda s: DeadLetterQueue(s, "dlq"),
        "secure_queue": lambda s: SecureQueue(s, "jobs"),
        "encryption_key": lambda s: EncryptionKey(s, "key"),
        "log_group": lambda s: EncryptedLogGroup(s, "logs"),
        "aurora_cluster": lambda s: AuroraServerlessCluster(s, "db"),
        "alarm_topic": lambda s: AlarmTopic(s, "topic"),
        "network": lambda s: Network(s, "net"),
        "secure_function": lambda s: SecureFunction(s, "fn", code_path=str(HANDLER_DIR), handler="app.handler"),
        "stream_consumer": stream_consumer,
        "service_role": lambda s: ServiceRole(s, "role", service=SERVICE, statements=[PERMISSION]),
        "network_firewall": lambda s: NetworkFirewall(
            s, "egress", network=Network(s, "net", public_default_route=False)
        ),
        "image_repository": lambda s: ImageRepository(s, "images"),
        "queue_depth_scaling": _tf_queue_depth_scaling,
    }


def _tf_queue_depth_scaling(stack: cdktf.TerraformStack) -> object:
    from constructs_lib.cdktf.container_cluster import ContainerCluster, FargateTask, QueueDepthScaling

    cluster = ContainerCluster(stack, "cluster")
    service = cluster.add_processing_service(
        "service", FargateTask(stack, "task"), security_group_ids=["sg-0"], subnet_ids=["subnet-0"]
    )
    return QueueDepthScaling(stack, "scaling", cluster=cluster, service=service, queue_name="jobs")


def cdk_stacks(profile: str) -> dict[str, Stack]:
    """Each CDK construct alone in its own stack, read into the model."""
    app = cdk.App(context={"profile": profile, "environmentSuffix": "t1"})
    stacks = {name: cdk.Stack(app, f"Parity-{name.replace('_', '-')}") for name in _cdk_builders()}
    for name, build in _cdk_builders().items():
        build(stacks[name])
    return {
        name: stack_from_template(Template.from_stack(stack).to_json(), name=name, path=Path(f"{name}.template.json"))
        for name, stack in stacks.items()
    }


def tf_stacks(profile: str) -> dict[str, Stack]:
    """Each cdktf construct alone in its own stack, read into the model."""
    app = cdktf.Testing.app(context={"profile": profile, "environmentSuffix": "t1"})
    stacks = {name: cdktf.TerraformStack(app, f"parity-{name.replace('_', '-')}") for name in _tf_builders()}
    for name, build in _tf_builders().items():
        build(stacks[name])
    return {
        name: stack_from_configuration(
            json.loads(cdktf.Testing.synth(stack)), name=name, path=Path(f"{name}/cdk.tf.json")
        )
        for name, stack in stacks.items()
    }


@pytest.fixture(scope="module")
def controls() -> dict[str, dict[str, tuple[Controls, Controls]]]:
    """profile -> construct -> (CDK controls, cdktf controls); every stack synthesized once per module."""
    found: dict[str, dict[str, tuple[Controls, Controls]]] = {}
    for profile in PROFILES:
        cdk_side, tf_side = cdk_stacks(profile), tf_stacks(profile)
        found[profile] = {
            name: (_flat(extract(cdk_side[name])), _flat(extract(tf_side[name])))
            for name, extract in EXTRACTORS.items()
        }
    return found


def _flat(controls: Controls, prefix: str = "") -> Controls:
    """Nested control groups (a bucket's own access-log bucket) as ``group.field`` keys."""
    flat: Controls = {}
    for name, value in controls.items():
        if isinstance(value, dict) and name.endswith("_bucket"):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


# --- reading controls out of either format -----------------------------------------------------------------------


def _cfn(stack: Stack) -> bool:
    return stack.source_format == "cloudformation"


def _one(stack: Stack, kind: str) -> Resource:
    found = stack.of_kind(kind)
    assert len(found) == 1, f"{stack.name}: expected one {kind}, found {len(found)}"
    return found[0]


def _attached(stack: Stack, target: Resource, kind: str) -> Resource:
    """The one resource of ``kind`` that references ``target`` (a Terraform bucket's side resources)."""
    found = stack.referrers(target.address, kind)
    assert len(found) == 1, f"{stack.name}: expected one {kind} on {target.address}, found {len(found)}"
    return found[0]


def _customer_managed(stack: Stack, resource: Resource, at: str | None = None) -> bool:
    """``resource`` (under property path ``at``) points at a KMS key this stack creates."""
    return bool(stack.referenced(resource, at, "kms_key"))


def _statements(document: Any) -> list[Mapping[str, Any]]:
    parsed = json.loads(document) if isinstance(document, str) else document
    statements = parsed["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _policy_of(stack: Stack, target: Resource, kind: str) -> list[Mapping[str, Any]]:
    """Statements of the resource policy of ``kind`` attached to ``target``."""
    attached_at = {"s3_bucket_policy": "bucket", "queue_policy": "queue_url", "topic_policy": "arn"}[kind]
    if _cfn(stack):
        attached_at = {"s3_bucket_policy": "Bucket", "queue_policy": "Queues", "topic_policy": "Topics"}[kind]
    found = [p for p in stack.referrers(target.address, kind) if p.refs_to(target.address, at=attached_at)]
    assert len(found) == 1, f"{stack.name}: expected one {kind} on {target.address}, found {len(found)}"
    (policy,) = found
    return _statements(policy.get("PolicyDocument") if _cfn(stack) else policy.get("policy"))


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(sorted(str(v) for v in (value if isinstance(value, list) else [value])))


def _denials(statements: list[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Each Deny statement as (actions, conditions): principals are ``*`` either way."""
    return sorted(
        (
            _as_tuple(s["Action"]),
            tuple(
                sorted(
                    (operator, key, str(value))
                    for operator, pairs in s.get("Condition", {}).items()
                    for key, value in pairs.items()
                )
            ),
        )
        for s in statements
        if s["Effect"] == "Deny"
    )


def _sids(statements: list[Mapping[str, Any]]) -> list[str]:
    """Sids of the Allow statements written from policy data (the key's account-root statement aside)."""
    return sorted(s["Sid"] for s in statements if s["Effect"] == "Allow" and s.get("Sid") and s["Action"] != "kms:*")


def _alarms(stack: Stack) -> dict[str, tuple[Any, ...]]:
    """Every alarm by metric: statistic, comparator, threshold, period, evaluation periods, missing data."""
    found: dict[str, tuple[Any, ...]] = {}
    for alarm in stack.of_kind("metric_alarm"):
        names = (
            ("MetricName", "Statistic", "ComparisonOperator", "Threshold", "Period", "EvaluationPeriods")
            if _cfn(stack)
            else ("metric_name", "statistic", "comparison_operator", "threshold", "period", "evaluation_periods")
        )
        metric, *rest = (alarm.get(name) for name in names)
        missing = alarm.get("TreatMissingData" if _cfn(stack) else "treat_missing_data")
        found[metric] = (rest[0], rest[1], float(rest[2]), int(rest[3]), int(rest[4]), missing)
    return found


def _alarm_notifies(stack: Stack) -> bool:
    """Every alarm announces breach and recovery on a topic this stack creates."""
    actions = ("AlarmActions", "OKActions") if _cfn(stack) else ("alarm_actions", "ok_actions")
    alarms = stack.of_kind("metric_alarm")
    assert alarms, f"{stack.name}: no alarm"
    return all(alarm.get(action) and stack.referenced(alarm, action, "topic") for alarm in alarms for action in actions)


def _deletion(resource: Resource) -> dict[str, Any]:
    return {"on_delete": str(resource.deletion.on_delete), "protected": resource.deletion.protected}


# --- per construct -----------------------------------------------------------------------------------------------


def _bucket_controls(stack: Stack, bucket: Resource) -> Controls:
    if _cfn(stack):
        encryption = bucket.get("BucketEncryption.ServerSideEncryptionConfiguration")
        by_default = encryption[0]["ServerSideEncryptionByDefault"]
        rule = bucket.get("LifecycleConfiguration.Rules")
        assert len(rule) == 1
        rule = rule[0]
        public = bucket.get("PublicAccessBlockConfiguration")
        controls = {
            "encryption": by_default["SSEAlgorithm"],
            "customer_managed_key": _customer_managed(stack, bucket, "BucketEncryption"),
            "bucket_key": encryption[0].get("BucketKeyEnabled"),
            "versioning": bucket.get("VersioningConfiguration.Status"),
            "public_access_blocked": all(
                public.get(flag) is True
                for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
            ),
            "object_ownership": bucket.get("OwnershipControls.Rules.ObjectOwnership"),
            "lifecycle_rule_id": rule.get("Id"),
            "lifecycle_status": rule.get("Status"),
            "transitions": sorted((t["StorageClass"], t["TransitionInDays"]) for t in rule.get("Transitions", [])),
            "noncurrent_expiration_days": (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
            "abort_incomplete_upload_days": (rule.get("AbortIncompleteMultipartUpload") or {}).get(
                "DaysAfterInitiation"
            ),
            "expiration_days": rule.get("ExpirationInDays"),
            "access_log_prefix": bucket.get("LoggingConfiguration.LogFilePrefix"),
        }
    else:
        encryption = _attached(stack, bucket, "s3_bucket_encryption")
        by_default = encryption.get("rule.apply_server_side_encryption_by_default")
        public = _attached(stack, bucket, "s3_bucket_public_access_block")
        rules = _attached(stack, bucket, "s3_bucket_lifecycle").get("rule")
        assert len(rules) == 1
        rule = rules[0]
        logging = stack.referrers(bucket.address, "s3_bucket_logging")
        logging = [r for r in logging if r.refs_to(bucket.address, at="bucket")]
        controls = {
            "encryption": by_default["sse_algorithm"],
            "customer_managed_key": _customer_managed(stack, encryption),
            "bucket_key": encryption.get("rule.bucket_key_enabled"),
            "versioning": _attached(stack, bucket, "s3_bucket_versioning").get("versioning_configuration.status"),
            "public_access_blocked": all(
                public.get(flag) is True
                for flag in (
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                )
            ),
            "object_ownership": _attached(stack, bucket, "s3_bucket_ownership").get("rule.object_ownership"),
            "lifecycle_rule_id": rule.get("id"),
            "lifecycle_status": rule.get("status"),
            "transitions": sorted((t["storage_class"], t["days"]) for t in rule.get("transition") or []),
            "noncurrent_expiration_days": (rule.get("noncurrent_version_expiration") or [{}])[0].get("noncurrent_days"),
            "abort_incomplete_upload_days": (rule.get("abort_incomplete_multipart_upload") or [{}])[0].get(
                "days_after_initiation"
            ),
            "expiration_days": (rule.get("expiration") or [{}])[0].get("days"),
            "access_log_prefix": logging[0].get("target_prefix") if logging else None,
        }
    statements = _policy_of(stack, bucket, "s3_bucket_policy")
    return {
        **controls,
        "denied": _denials(statements),
        "empties_on_delete": bucket.deletion.empties_bucket,
        **_deletion(bucket),
    }


def _buckets(stack: Stack) -> tuple[Resource, Resource]:
    """The data bucket (the one whose access is logged) and the access-log bucket it created."""
    buckets = stack.of_kind("s3_bucket")
    assert len(buckets) == 2, f"{stack.name}: expected a data bucket and its log bucket, found {len(buckets)}"
    if _cfn(stack):
        logged = [b for b in buckets if b.get("LoggingConfiguration")]
    else:
        logged = [
            b for b in buckets if any(r.refs_to(b.address, at="bucket") for r in stack.of_kind("s3_bucket_logging"))
        ]
    assert len(logged) == 1
    (data,) = logged
    (logs,) = [b for b in buckets if b is not data]
    return data, logs


def bucket(stack: Stack) -> Controls:
    data, logs = _buckets(stack)
    # Service grants only: CDK's auto-delete role (dev teardown, Terraform's force_destroy) is compared as deletion.
    delivery = [
        s for s in _policy_of(stack, logs, "s3_bucket_policy") if s["Effect"] == "Allow" and "Service" in s["Principal"]
    ]
    return {
        **_bucket_controls(stack, data),
        "access_log_bucket": _bucket_controls(stack, logs),
        "access_log_delivery": sorted((str(s["Principal"]), _as_tuple(s["Action"])) for s in delivery),
    }


def access_log_bucket(stack: Stack) -> Controls:
    return _bucket_controls(stack, _one(stack, "s3_bucket"))


def stream(stack: Stack) -> Controls:
    resource = _one(stack, "stream")
    if _cfn(stack):
        controls = {
            "encryption": resource.get("StreamEncryption.EncryptionType"),
            "customer_managed_key": _customer_managed(stack, resource, "StreamEncryption"),
            "shards": resource.get("ShardCount"),
            "retention_hours": resource.get("RetentionPeriodHours"),
            "mode": resource.get("StreamModeDetails.StreamMode"),
        }
    else:
        controls = {
            "encryption": resource.get("encryption_type"),
            "customer_managed_key": _customer_managed(stack, resource, "kms_key_id"),
            "shards": resource.get("shard_count"),
            "retention_hours": resource.get("retention_period"),
            "mode": resource.get("stream_mode_details.stream_mode"),
        }
    return {**controls, "alarms": _alarms(stack), "alarm_notifies": _alarm_notifies(stack), **_deletion(resource)}


def dead_letter_queue(stack: Stack) -> Controls:
    queue = _one(stack, "queue")
    retention = queue.get("MessageRetentionPeriod" if _cfn(stack) else "message_retention_seconds")
    return {
        "customer_managed_key": _customer_managed(
            stack, queue, "KmsMasterKeyId" if _cfn(stack) else "kms_master_key_id"
        ),
        "retention_seconds": retention,
        "denied": _denials(_policy_of(stack, queue, "queue_policy")),
        "alarms": _alarms(stack),
        "alarm_notifies": _alarm_notifies(stack),
        **_deletion(queue),
    }


def _redrive_allowed_from(stack: Stack, dead_letter: Resource, work: Resource) -> tuple[Any, ...]:
    """The dead-letter queue's redrive-allow policy: (permission, whether its one source is the work queue)."""
    if _cfn(stack):
        policy = dead_letter.get("RedriveAllowPolicy")
        (source,) = policy["sourceQueueArns"]
        names_work = str(render(source)).endswith(f":{work.get('QueueName')}")
    else:
        policy = json.loads(_attached(stack, dead_letter, "queue_redrive_allow_policy").get("redrive_allow_policy"))
        (source,) = policy["sourceQueueArns"]
        names_work = f"{work.address}.arn" in source
    return policy["redrivePermission"], names_work


def secure_queue(stack: Stack) -> Controls:
    """The work queue, and the dead-letter queue its redrive policy names."""
    at = "RedrivePolicy" if _cfn(stack) else "redrive_policy"
    (work,) = [q for q in stack.of_kind("queue") if q.get(at)]
    (dead_letter,) = [q for q in stack.of_kind("queue") if q is not work]
    redrive = work.get(at)
    redrive = json.loads(redrive) if isinstance(redrive, str) else redrive
    key_at = "KmsMasterKeyId" if _cfn(stack) else "kms_master_key_id"
    retention_at = "MessageRetentionPeriod" if _cfn(stack) else "message_retention_seconds"
    return {
        "customer_managed_key": _customer_managed(stack, work, key_at),
        "retention_seconds": work.get(retention_at),
        "denied": _denials(_policy_of(stack, work, "queue_policy")),
        "max_receive_count": int(redrive["maxReceiveCount"]),
        "redrives_to_its_dead_letter_queue": dead_letter.address in str(render(redrive["deadLetterTargetArn"])),
        "redrive_allowed_from": _redrive_allowed_from(stack, dead_letter, work),
        "dead_letter_customer_managed_key": _customer_managed(stack, dead_letter, key_at),
        "dead_letter_retention_seconds": dead_letter.get(retention_at),
        "dead_letter_denied": _denials(_policy_of(stack, dead_letter, "queue_policy")),
        "alarms": _alarms(stack),
        "alarm_notifies": _alarm_notifies(stack),
        **_deletion(work),
    }


def encryption_key(stack: Stack) -> Controls:
    key = _one(stack, "kms_key")
    if _cfn(stack):
        statements = _statements(key.get("KeyPolicy"))
        rotation, window = key.get("EnableKeyRotation"), key.get("PendingWindowInDays")
    else:
        statements = _statements(key.get("policy"))
        rotation, window = key.get("enable_key_rotation"), key.get("deletion_window_in_days")
    account_root = [s for s in statements if s["Effect"] == "Allow" and s["Action"] == "kms:*"]
    return {
        "rotation": rotation,
        "pending_window_days": window,
        "account_root_administers": len(account_root) == 1,
        "service_statements": _sids(statements),
        **_deletion(key),
    }


def _log_group_controls(stack: Stack, group: Resource) -> Controls:
    return {
        "retention_days": group.get("retention_days"),
        "customer_managed_key": _customer_managed(stack, group, "KmsKeyId" if _cfn(stack) else "kms_key_id"),
        **_deletion(group),
    }


def log_group(stack: Stack) -> Controls:
    return _log_group_controls(stack, _one(stack, "log_group"))


def aurora_cluster(stack: Stack) -> Controls:
    cluster = _one(stack, "db_cluster")
    instances = stack.of_kind("db_cluster_instance")
    names = (
        {
            "storage_encrypted": "StorageEncrypted",
            "iam_auth": "EnableIAMDatabaseAuthentication",
            "copy_tags_to_snapshot": "CopyTagsToSnapshot",
            "backup_retention_days": "BackupRetentionPeriod",
            "log_exports": "EnableCloudwatchLogsExports",
            "database_name": "DatabaseName",
            "master_username": "MasterUsername",
            "max_capacity": "ServerlessV2ScalingConfiguration.MaxCapacity",
            "seconds_until_auto_pause": "ServerlessV2ScalingConfiguration.SecondsUntilAutoPause",
        }
        if _cfn(stack)
        else {
            "storage_encrypted": "storage_encrypted",
            "iam_auth": "iam_database_authentication_enabled",
            "copy_tags_to_snapshot": "copy_tags_to_snapshot",
            "backup_retention_days": "backup_retention_period",
            "log_exports": "enabled_cloudwatch_logs_exports",
            "database_name": "database_name",
            "master_username": "master_username",
            "max_capacity": "serverlessv2_scaling_configuration.max_capacity",
            "seconds_until_auto_pause": "serverlessv2_scaling_configuration.seconds_until_auto_pause",
        }
    )
    instance_names = (
        (
            "DBInstanceClass",
            "PubliclyAccessible",
            "EnablePerformanceInsights",
            "PerformanceInsightsRetentionPeriod",
            "MonitoringInterval",
            "CACertificateIdentifier",
            "AutoMinorVersionUpgrade",
            "PromotionTier",
        )
        if _cfn(stack)
        else (
            "instance_class",
            "publicly_accessible",
            "performance_insights_enabled",
            "performance_insights_retention_period",
            "monitoring_interval",
            "ca_cert_identifier",
            "auto_minor_version_upgrade",
            "promotion_tier",
        )
    )
    parameter_group = _one(stack, "db_cluster_parameter_group")
    if _cfn(stack):
        parameters = dict(parameter_group.get("Parameters"))
        secret_key = _customer_managed(stack, cluster, "MasterUserSecret")
    else:
        parameters = {p["name"]: p["value"] for p in parameter_group.get("parameter")}
        secret_key = _customer_managed(stack, cluster, "master_user_secret_kms_key_id")
    return {
        **{control: cluster.get(name) for control, name in names.items()},
        "engine": cluster.get("engine"),
        "engine_version": cluster.get("engine_version"),
        "port": cluster.get("port"),
        "managed_master_password": cluster.get("managed_master_secret"),
        "no_literal_password": cluster.get("master_secret") is None,
        "deletion_protection": cluster.get("deletion_protection"),
        "min_capacity": cluster.get("serverless_min_capacity"),
        "customer_managed_key": _customer_managed(stack, cluster, "KmsKeyId" if _cfn(stack) else "kms_key_id"),
        "secret_customer_managed_key": secret_key,
        "parameters": parameters,
        "subnet_tiers": _subnet_tiers(stack, cluster),
        "instances": sorted(tuple(i.get(name) for name in instance_names) for i in instances),
        "instances_performance_insights_cmk": all(
            _customer_managed(
                stack, i, "PerformanceInsightsKMSKeyId" if _cfn(stack) else "performance_insights_kms_key_id"
            )
            for i in instances
        ),
        "log_groups": sorted(tuple(_log_group_controls(stack, g).items()) for g in stack.of_kind("log_group")),
        **_deletion(cluster),
    }


def alarm_topic(stack: Stack) -> Controls:
    topic = _one(stack, "topic")
    statements = _policy_of(stack, topic, "topic_policy")
    return {
        "customer_managed_key": _customer_managed(
            stack, topic, "KmsMasterKeyId" if _cfn(stack) else "kms_master_key_id"
        ),
        "signature_version": str(topic.get("SignatureVersion" if _cfn(stack) else "signature_version")),
        "denied": _denials(statements),
        "allowed": _sids(statements),
    }


def _tier(stack: Stack, subnet: Resource) -> str | None:
    """The subnet's tier: the CDK ``Vpc``'s subnet-group name, the cdktf ``Network``'s ``Tier`` tag."""
    return subnet.tags.get("aws-cdk:subnet-name" if _cfn(stack) else "Tier")


def _routes_out(stack: Stack, subnet: Resource) -> tuple[str, ...]:
    """What the subnet's route table routes to (gateway kinds); empty when it has no route but the VPC's local one."""
    associations = stack.referrers(subnet.address, "route_table_association")
    tables = [t for a in associations for t in stack.referenced(a, None, "route_table")]
    assert len(tables) == 1, f"{stack.name}: {subnet.label} has {len(tables)} route tables"
    routes = stack.referrers(tables[0].address, "route")
    return tuple(
        sorted(
            target.kind
            for route in routes
            for target in stack.referenced(route)
            if target.kind != "route_table" and not any(r.via == "depends_on" for r in route.refs_to(target.address))
        )
    )


def _subnet_tiers(stack: Stack, resource: Resource) -> list[str | None]:
    """Tiers of the subnets ``resource`` is placed in through its DB or cache subnet group."""
    groups = stack.referenced(resource, None, "db_subnet_group", "cache_subnet_group")
    assert len(groups) == 1, f"{stack.name}: {resource.label} has {len(groups)} subnet groups"
    return sorted({_tier(stack, s) for s in stack.referenced(groups[0], None, "subnet")})


def network(stack: Stack) -> Controls:
    vpc = _one(stack, "vpc")
    subnets = stack.of_kind("subnet")
    flow_log = _one(stack, "flow_log")
    tiers = sorted({_tier(stack, s) for s in subnets})
    if _cfn(stack):
        public = [s for s in subnets if s.tags.get("aws-cdk:subnet-type") == "Public"]
        default_sg_closed = bool(stack.of_kind("restrict_default_security_group"))
        controls = {
            "cidr": vpc.get("CidrBlock"),
            "dns": (vpc.get("EnableDnsHostnames"), vpc.get("EnableDnsSupport")),
            "public_ip_on_launch": sorted({bool(s.get("MapPublicIpOnLaunch")) for s in public}),
            "flow_log_traffic": flow_log.get("TrafficType"),
        }
    else:
        public = [s for s in subnets if s.tags.get("Tier") == "public"]
        default_sgs = stack.of_kind("default_security_group")
        default_sg_closed = (
            len(default_sgs) == 1 and not default_sgs[0].get("ingress") and not default_sgs[0].get("egress")
        )
        controls = {
            "cidr": vpc.get("cidr_block"),
            "dns": (vpc.get("enable_dns_hostnames"), vpc.get("enable_dns_support")),
            "public_ip_on_launch": sorted({bool(s.get("map_public_ip_on_launch")) for s in public}),
            "flow_log_traffic": flow_log.get("traffic_type"),
        }
    return {
        **controls,
        "tiers": tiers,
        "subnets_per_tier": len(subnets) // len(tiers),
        "routes_out": {
            tier: sorted({_routes_out(stack, s) for s in subnets if _tier(stack, s) == tier}) for tier in tiers
        },
        "nat_gateways": len(stack.of_kind("nat_gateway")),
        "default_security_group_closed": default_sg_closed,
        "flow_log_group": _log_group_controls(stack, _one(stack, "log_group")),
    }


def _rule_group_controls(stack: Stack, group: Resource) -> tuple[Any, ...]:
    """What one stateful rule group does: its type, capacity, rule order and its rules (Suricata or allow-list)."""
    if _cfn(stack):
        body, names = group.get("RuleGroup"), ("Type", "Capacity")
        source, order = body["RulesSource"], body["StatefulRuleOptions"]["RuleOrder"]
        listed = source.get("RulesSourceList")
        rules = (
            (listed["GeneratedRulesType"], tuple(listed["TargetTypes"]), tuple(listed["Targets"]))
            if listed
            else source["RulesString"]
        )
    else:
        body, names = group.get("rule_group"), ("type", "capacity")
        source, order = body["rules_source"], body["stateful_rule_options"]["rule_order"]
        listed = source.get("rules_source_list")
        rules = (
            (listed["generated_rules_type"], tuple(listed["target_types"]), tuple(listed["targets"]))
            if listed
            else source["rules_string"]
        )
    return (*(group.get(name) for name in names), order, rules)


def _internet_routes(stack: Stack) -> dict[str, Any]:
    """How many routes send traffic to the internet through each target, and how many come back via an endpoint."""
    keys = (
        ("DestinationCidrBlock", "GatewayId", "NatGatewayId", "VpcEndpointId")
        if _cfn(stack)
        else ("destination_cidr_block", "gateway_id", "nat_gateway_id", "vpc_endpoint_id")
    )
    destination, gateway, nat, endpoint = keys
    routes = stack.of_kind("route")
    outbound = [r for r in routes if r.get(destination) == "0.0.0.0/0"]
    if _cfn(stack):
        edge = [r for r in stack if r.type == "AWS::EC2::GatewayRouteTableAssociation"]
    else:
        edge = [r for r in stack.of_kind("route_table_association") if r.get("gateway_id")]
    return {
        "internet_routes_via_gateway": sum(1 for r in outbound if stack.referenced(r, gateway, "internet_gateway")),
        "internet_routes_via_nat": sum(1 for r in outbound if stack.referenced(r, nat, "nat_gateway")),
        "internet_routes_via_endpoint": sum(1 for r in outbound if r.get(endpoint)),
        "return_routes_via_endpoint": sum(1 for r in routes if r not in outbound and r.get(endpoint)),
        "gateway_edge_route_tables": len(edge),
    }


def network_firewall(stack: Stack) -> Controls:
    firewall, policy = _one(stack, "network_firewall"), _one(stack, "network_firewall_policy")
    logging = _one(stack, "network_firewall_logging")
    groups = stack.of_kind("network_firewall_rule_group")
    if _cfn(stack):
        body = policy.get("FirewallPolicy")
        engine, references = body["StatefulEngineOptions"], body["StatefulRuleGroupReferences"]
        engine = (engine["RuleOrder"], engine["StreamExceptionPolicy"])
        actions = (
            body["StatelessDefaultActions"],
            body["StatelessFragmentDefaultActions"],
            body["StatefulDefaultActions"],
        )
        at, priority = "FirewallPolicy.StatefulRuleGroupReferences", "Priority"
        protection = ("DeleteProtection", "FirewallPolicyChangeProtection", "SubnetChangeProtection")
        subnets, names = len(firewall.get("SubnetMappings")), ("FirewallName", "FirewallPolicyName", "RuleGroupName")
        destinations = logging.get("LoggingConfiguration.LogDestinationConfigs")
        destinations = sorted((d["LogType"], d["LogDestinationType"]) for d in destinations)
        encryption = "EncryptionConfiguration"
    else:
        body = policy.get("firewall_policy")
        engine, references = body["stateful_engine_options"], body["stateful_rule_group_reference"]
        engine = (engine["rule_order"], engine["stream_exception_policy"])
        actions = (
            body["stateless_default_actions"],
            body["stateless_fragment_default_actions"],
            body["stateful_default_actions"],
        )
        at, priority = "firewall_policy.stateful_rule_group_reference", "priority"
        protection = ("delete_protection", "firewall_policy_change_protection", "subnet_change_protection")
        subnets, names = len(firewall.get("subnet_mapping")), ("name", "name", "name")
        destinations = logging.get("logging_configuration.log_destination_config")
        destinations = sorted((d["log_type"], d["log_destination_type"]) for d in destinations)
        encryption = "encryption_configuration"
    ordered = sorted(range(len(references)), key=lambda index: references[index][priority])
    evaluated = [stack.referenced(policy, f"{at}[{index}]", "network_firewall_rule_group") for index in ordered]
    assert all(len(found) == 1 for found in evaluated) and len(evaluated) == len(groups) == 2
    firewall_name, policy_name, group_name = names
    log_groups = stack.referenced(logging, None, "log_group")
    assert len(log_groups) == 2
    return {
        "rule_order_and_stream_exceptions": engine,
        "default_actions": actions,
        "rule_groups_in_order": [_rule_group_controls(stack, found[0]) for found in evaluated],
        "names": (
            firewall.get(firewall_name),
            policy.get(policy_name),
            sorted(group.get(group_name) for group in groups),
        ),
        "customer_managed_key": all(
            _customer_managed(stack, resource, encryption) for resource in (firewall, policy, *groups)
        ),
        "protection": tuple(firewall.get(name) for name in protection),
        "firewall_subnets": subnets,
        "log_destinations": destinations,
        "log_groups": sorted(tuple(_log_group_controls(stack, group).items()) for group in log_groups),
        **_internet_routes(stack),
    }


def _function(stack: Stack) -> Resource:
    """The function built from the handler (CDK adds helper functions of its own to some stacks)."""
    found = [f for f in stack.of_kind("function") if f.get("Handler" if _cfn(stack) else "handler") == "app.handler"]
    assert len(found) == 1, f"{stack.name}: expected one app.handler function, found {len(found)}"
    return found[0]


def _egress(stack: Stack, fn: Resource) -> list[tuple[Any, ...]]:
    """The function's security groups' egress rules as (protocol, from port, to port, CIDR), inline or separate."""
    groups = stack.referenced(fn, "VpcConfig" if _cfn(stack) else "vpc_config", "security_group")
    assert groups, f"{stack.name}: the function has no security group"
    rules: list[tuple[Any, ...]] = []
    for group in groups:
        if _cfn(stack):
            inline = group.get("SecurityGroupEgress") or []
            rules += [(r["IpProtocol"], r.get("FromPort"), r.get("ToPort"), r.get("CidrIp")) for r in inline]
        separate = stack.referrers(group.address, "security_group_egress")
        names = ("IpProtocol", "FromPort", "ToPort", "CidrIp") if _cfn(stack) else (
            "ip_protocol", "from_port", "to_port", "cidr_ipv4"
        )  # fmt: skip
        rules += [tuple(r.get(name) for name in names) for r in separate]
    return sorted(
        (str(p), int(f) if f is not None else None, int(t) if t is not None else None, c) for p, f, t, c in rules
    )


def secure_function(stack: Stack) -> Controls:
    fn = _function(stack)
    names = (
        (
            "Runtime",
            "MemorySize",
            "Timeout",
            "ReservedConcurrentExecutions",
            "TracingConfig.Mode",
            "LoggingConfig.LogFormat",
            "VpcConfig.SubnetIds",
            "DeadLetterConfig.TargetArn",
            "KmsKeyArn",
        )
        if _cfn(stack)
        else (
            "runtime",
            "memory_size",
            "timeout",
            "reserved_concurrent_executions",
            "tracing_config.mode",
            "logging_config.log_format",
            "vpc_config.subnet_ids",
            "dead_letter_config.target_arn",
            "kms_key_arn",
        )
    )
    runtime, memory, timeout, concurrency, tracing, log_format, subnets, dead_letter, key = names
    function_log_groups = [
        g
        for g in stack.of_kind("log_group")
        if "lambda" in json.dumps(g.get("log_group_name") or g.get("LogGroupName") or g.get("name") or "")
    ]
    assert len(function_log_groups) == 1
    return {
        "runtime": fn.get(runtime),
        "memory_mb": fn.get(memory),
        "timeout_seconds": fn.get(timeout),
        "reserved_concurrency": fn.get(concurrency),
        "tracing": str(fn.get(tracing)).upper(),
        "log_format": fn.get(log_format),
        "in_vpc": bool(fn.get(subnets)),
        "dead_letter_queue_cmk": any(_customer_managed(stack, q) for q in stack.referenced(fn, dead_letter, "queue")),
        "environment_cmk": _customer_managed(stack, fn, key),
        "log_group": _log_group_controls(stack, function_log_groups[0]),
        "egress": _egress(stack, fn),
        "alarm_notifies": _alarm_notifies(stack),
        "alarm_metrics": sorted(
            alarm.get("MetricName" if _cfn(stack) else "metric_name")
            for alarm in stack.of_kind("metric_alarm")
            if alarm.get("Namespace" if _cfn(stack) else "namespace") == "AWS/Lambda"
        ),
    }


def stream_consumer(stack: Stack) -> Controls:
    mapping = _one(stack, "event_source_mapping")
    names = (
        {
            "starting_position": "StartingPosition",
            "batch_size": "BatchSize",
            "bisect_on_error": "BisectBatchOnFunctionError",
            "retries": "MaximumRetryAttempts",
            "max_record_age_seconds": "MaximumRecordAgeInSeconds",
        }
        if _cfn(stack)
        else {
            "starting_position": "starting_position",
            "batch_size": "batch_size",
            "bisect_on_error": "bisect_batch_on_function_error",
            "retries": "maximum_retry_attempts",
            "max_record_age_seconds": "maximum_record_age_in_seconds",
        }
    )
    destination = "DestinationConfig" if _cfn(stack) else "destination_config"
    failure_queues = stack.referenced(mapping, destination, "queue")
    return {
        **secure_function(stack),
        **{control: mapping.get(name) for control, name in names.items()},
        "reads_stream": bool(
            stack.referenced(mapping, "EventSourceArn" if _cfn(stack) else "event_source_arn", "stream")
        ),
        "invokes_function": bool(
            stack.referenced(mapping, "FunctionName" if _cfn(stack) else "function_name", "function")
        ),
        "failure_queue_cmk": len(failure_queues) == 1 and _customer_managed(stack, failure_queues[0]),
    }


def service_role(stack: Stack) -> Controls:
    role = _one(stack, "iam_role")
    trust = _statements(role.get("AssumeRolePolicyDocument" if _cfn(stack) else "assume_role_policy"))
    managed = [p for p in stack.of_kind("iam_policy") if p.type in ("AWS::IAM::ManagedPolicy", "aws_iam_policy")]
    documents = [p.get("PolicyDocument" if _cfn(stack) else "policy") for p in managed]
    inline = [p for p in stack.of_kind("iam_policy") if p.type in ("AWS::IAM::Policy", "aws_iam_role_policy")]
    return {
        "trusted": sorted((str(s["Principal"]), _as_tuple(s["Action"])) for s in trust),
        "source_account_condition": all(
            "aws:SourceAccount" in s.get("Condition", {}).get("StringEquals", {}) for s in trust
        ),
        "inline_policies": len(inline) + len(role.get("Policies" if _cfn(stack) else "inline_policy") or []),
        "aws_managed_policies": len(role.get("ManagedPolicyArns" if _cfn(stack) else "managed_policy_arns") or []),
        "customer_managed_permissions": sorted(
            _as_tuple(s["Action"]) for document in documents for s in _statements(document)
        ),
    }


def image_repository(stack: Stack) -> Controls:
    repository = _one(stack, "ecr_repository")
    if _cfn(stack):
        lifecycle = repository.get("LifecyclePolicy.LifecyclePolicyText")
        controls = {
            "encryption": repository.get("EncryptionConfiguration.EncryptionType"),
            "customer_managed_key": _customer_managed(stack, repository, "EncryptionConfiguration"),
            "tag_mutability": repository.get("ImageTagMutability"),
            "scan_on_push": repository.get("ImageScanningConfiguration.ScanOnPush"),
            "empties_on_delete": repository.get("EmptyOnDelete"),
        }
    else:
        lifecycle = _attached(stack, repository, "ecr_lifecycle_policy").get("policy")
        controls = {
            "encryption": repository.get("encryption_configuration.encryption_type"),
            "customer_managed_key": _customer_managed(stack, repository, "encryption_configuration"),
            "tag_mutability": repository.get("image_tag_mutability"),
            "scan_on_push": repository.get("image_scanning_configuration.scan_on_push"),
            "empties_on_delete": repository.get("force_delete"),
        }
    return {**controls, "lifecycle_rules": json.loads(lifecycle)["rules"], **_deletion(repository)}


def _metric_query(query: Mapping[str, Any], cfn: bool) -> tuple[Any, ...]:
    """One query of a target-tracking metric: id, metric (namespace, name, dimension names, statistic) or
    expression, and whether it is the tracked value."""
    names = ("Id", "MetricStat", "Metric", "Namespace", "MetricName", "Dimensions", "Name", "Stat", "Expression")
    if not cfn:
        names = ("id", "metric_stat", "metric", "namespace", "metric_name", "dimensions", "name", "stat", "expression")
    query_id, stat_at, metric_at, namespace, metric_name, dimensions, name, stat, expression = names
    measured = query.get(stat_at)
    metric = None
    if measured:
        found = measured[metric_at]
        dimension_names = tuple(d[name] for d in found[dimensions])
        metric = (found[namespace], found[metric_name], dimension_names, measured[stat])
    return query[query_id], metric, query.get(expression), query.get("ReturnData" if cfn else "return_data")


def queue_depth_scaling(stack: Stack) -> Controls:
    target, policy = _one(stack, "scaling_target"), _one(stack, "scaling_policy")
    if _cfn(stack):
        config = policy.get("TargetTrackingScalingPolicyConfiguration")
        metrics = config["CustomizedMetricSpecification"]["Metrics"]
        controls = {
            "capacity": (target.get("MinCapacity"), target.get("MaxCapacity")),
            "scaled": (target.get("ServiceNamespace"), target.get("ScalableDimension")),
            "service_linked_role": target.get("RoleARN") is None,
            "policy_type": policy.get("PolicyType"),
            "policy_on_target": bool(policy.refs_to(target.address, at="ScalingTargetId")),
            "tracking": (config["TargetValue"], config["ScaleInCooldown"], config["ScaleOutCooldown"]),
        }
    else:
        config = policy.get("target_tracking_scaling_policy_configuration")
        metrics = config["customized_metric_specification"]["metrics"]
        controls = {
            "capacity": (target.get("min_capacity"), target.get("max_capacity")),
            "scaled": (target.get("service_namespace"), target.get("scalable_dimension")),
            "service_linked_role": target.get("role_arn") is None,
            "policy_type": policy.get("policy_type"),
            "policy_on_target": bool(policy.refs_to(target.address, at="resource_id")),
            "tracking": (config["target_value"], config["scale_in_cooldown"], config["scale_out_cooldown"]),
        }
    return {**controls, "metrics": [_metric_query(query, _cfn(stack)) for query in metrics]}


EXTRACTORS: dict[str, Callable[[Stack], Controls]] = {
    "bucket": bucket,
    "access_log_bucket": access_log_bucket,
    "stream": stream,
    "dead_letter_queue": dead_letter_queue,
    "secure_queue": secure_queue,
    "encryption_key": encryption_key,
    "log_group": log_group,
    "aurora_cluster": aurora_cluster,
    "alarm_topic": alarm_topic,
    "network": network,
    "secure_function": secure_function,
    "stream_consumer": stream_consumer,
    "service_role": service_role,
    "network_firewall": network_firewall,
    "image_repository": image_repository,
    "queue_depth_scaling": queue_depth_scaling,
}


# --- the comparison ----------------------------------------------------------------------------------------------


def test_every_twin_is_compared() -> None:
    assert set(EXTRACTORS) == set(_cdk_builders()) == set(_tf_builders())
    assert len(EXTRACTORS) == 16
    for construct, fields in ACCEPTED_DIFFERENCES.items():
        assert construct in EXTRACTORS, f"accepted differences for unknown construct {construct}"
        assert all(reason.strip() for reason in fields.values())


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("construct", sorted(EXTRACTORS))
def test_both_renderings_enforce_the_same_controls(controls, construct: str, profile: str) -> None:
    cdk_side, tf_side = controls[profile][construct]
    assert set(cdk_side) == set(tf_side)
    accepted = ACCEPTED_DIFFERENCES.get(construct, {})
    differences = {
        field: {"cdk": cdk_side[field], "cdktf": tf_side[field]}
        for field in cdk_side
        if cdk_side[field] != tf_side[field] and field not in accepted
    }
    assert not differences, f"{construct}: the renderings disagree (fix one, or accept it with a reason): {differences}"


@pytest.mark.parametrize("construct", sorted(ACCEPTED_DIFFERENCES))
def test_every_accepted_difference_still_differs(controls, construct: str) -> None:
    for field in ACCEPTED_DIFFERENCES[construct]:
        sides = [controls[profile][construct] for profile in PROFILES]
        assert all(field in cdk_side for cdk_side, _ in sides), f"{construct}: no control named {field}"
        assert any(cdk_side[field] != tf_side[field] for cdk_side, tf_side in sides), (
            f"{construct}.{field} is the same in both renderings now: drop it from ACCEPTED_DIFFERENCES"
        )
