"""SecureFunction: a Lambda function in the VPC with its own encrypted log group, a dead-letter queue and alarms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_lib.cdk import network
from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.alarms import alarm
from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.log_group import EncryptedLogGroup
from constructs_lib.cdk.secure_queue import DeadLetterQueue
from constructs_lib.cdk.service_role import ServiceRole
from constructs_lib.policy import accepted_findings, alarms, compute, naming, services, storage
from constructs_lib.policy.errors import ConfigurationError

_RUNTIMES: dict[str, lambda_.Runtime] = {
    runtime.name: runtime
    for runtime in (getattr(lambda_.Runtime, attr) for attr in dir(lambda_.Runtime) if attr.isupper())
    if isinstance(runtime, lambda_.Runtime)
}


def lambda_runtime(name: str) -> lambda_.Runtime:
    """The CDK runtime called ``name`` (e.g. ``python3.12``), or a ConfigurationError listing a few there are."""
    try:
        return _RUNTIMES[name]
    except KeyError:
        raise ConfigurationError("runtime", name, sorted(_RUNTIMES)) from None


def grant_send_to_queue(queue: sqs.IQueue, grantee: iam.IGrantable) -> iam.Grant:
    """sqs:SendMessage on ``queue`` and, if it has a CMK, kms:GenerateDataKey + kms:Decrypt on that key only."""
    grant = iam.Grant.add_to_principal(
        grantee=grantee, actions=list(compute.SQS_SEND_ACTIONS), resource_arns=[queue.queue_arn]
    )
    if queue.encryption_master_key is not None:
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(compute.SQS_SEND_KMS_ACTIONS),
                resource_arns=[queue.encryption_master_key.key_arn],
            )
        )
    return grant


class SecureFunction(lambda_.Function):
    """Lambda function, secure with only its code and handler given.

    - Runtime, memory, timeout and reserved concurrency from the policy (concurrency capped so a burst cannot
      exhaust database connections); X-Ray tracing active; JSON logs.
    - Logs go to an explicit :class:`EncryptedLogGroup` (retention by ``log_purpose``). Never ``log_retention``: it
      deploys a custom-resource Lambda to set retention after the fact, which is rejected here.
    - Environment variables encrypted with the CMK. Private subnets of the VPC with the function's own security
      group, whose only egress is HTTPS (a data store's ``allow_from`` opens its own port). A :class:`ServiceRole`
      with only what it needs: write to its log group, manage its network interfaces, plus the grants the queues
      and tracing add (no AWS managed policy, no ``logs:CreateLogGroup`` on ``*``).
    - A failed asynchronous invocation goes to ``dead_letter_queue``, a :class:`DeadLetterQueue` (CMK, TLS only, alarm
      on the first message) notifying ``alarm_topic``, else one :class:`AlarmTopic` ``<id>Alarms``.
    - Two alarms of the function itself to the same topic, on breach and recovery: ``errors_alarm``
      (``alarms.FUNCTION_ERRORS``) and ``throttles_alarm`` (``alarms.FUNCTION_THROTTLES``), each on the first one.
    - Siblings created beside the function (``<id>Key``, ``<id>Network``, ``<id>Logs``, ``<id>Role``, the queue):
      a ``lambda.Function`` needs them before it exists.

    Example::

        fn = SecureFunction(
            self, "Processor", code=lambda_.Code.from_asset("lambda"), handler="app.handler",
            vpc=network, encryption_key=key, name_prefix="card-processor", alarm_topic=alarms,
        )
        bucket.grant_read(fn)

    Any ``lambda.Function`` prop may be passed; overriding a hardened default is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        environment: Mapping[str, str] | None = None,
        alarm_topic: sns.ITopic | None = None,
        vpc: ec2.IVpc | None = None,
        encryption_key: kms.IKey | None = None,
        name_prefix: str | None = None,
        log_purpose: str = compute.LAMBDA_LOG_PURPOSE,
        **overrides: Any,
    ) -> None:
        if "log_retention" in overrides:
            raise ConfigurationError(
                "log_retention",
                overrides["log_retention"],
                "nothing: it deploys a custom-resource Lambda; "
                "pass log_group=EncryptedLogGroup(...) with retention_days instead",
            )
        settings = deployment_settings(scope)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        name = naming.resource_name("lambda_function", prefix, settings.environment_suffix)
        if encryption_key is None:
            encryption_key = EncryptionKey(scope, f"{construct_id}Key", description=f"Lambda {name}")
        if vpc is None:
            vpc = network.Network(scope, f"{construct_id}Network", encryption_key=encryption_key)
        log_group = EncryptedLogGroup(
            scope,
            f"{construct_id}Logs",
            purpose=log_purpose,
            encryption_key=encryption_key,
            log_group_name=f"/aws/lambda/{name}",
        )
        if alarm_topic is None:
            alarm_topic = AlarmTopic(
                scope,
                f"{construct_id}Alarms",
                name_prefix=f"{prefix}-{storage.ALARM_TOPIC_BASE_SUFFIX}",
                encryption_key=encryption_key,
            )
        dead_letter_queue = DeadLetterQueue(
            scope,
            f"{construct_id}DeadLetterQueue",
            encryption_key=encryption_key,
            name_prefix=f"{prefix}-async-dlq",
            alarm_topic=alarm_topic,
        )
        role = ServiceRole(
            scope,
            f"{construct_id}Role",
            service=compute.LAMBDA_PRINCIPAL,
            source_account_condition=False,
            description=f"Execution role of {name}",
        )

        defaults: dict[str, Any] = {
            "function_name": name,
            "runtime": lambda_runtime(services.LAMBDA_RUNTIME),
            "memory_size": services.LAMBDA_MEMORY_MB,
            "timeout": Duration.seconds(services.LAMBDA_TIMEOUT_SECONDS),
            "reserved_concurrent_executions": services.LAMBDA_RESERVED_CONCURRENCY,
            "tracing": lambda_.Tracing[compute.LAMBDA_TRACING],
            "logging_format": lambda_.LoggingFormat[compute.LAMBDA_LOG_FORMAT],
            "log_group": log_group,
            "environment_encryption": encryption_key,
            "vpc": vpc,
            "vpc_subnets": ec2.SubnetSelection(subnet_group_name=network.PRIVATE),
            "allow_all_outbound": False,
            "dead_letter_queue": dead_letter_queue,
            "role": role,
        }
        props, changed = merge_with_defaults(defaults, overrides)
        if props.get("security_groups"):
            # Egress is the supplied groups' own setting; CDK refuses allow_all_outbound beside them.
            props.pop("allow_all_outbound")
        # On whichever role and log group the function ends up with (a caller may pass their own).
        props["role"].add_to_principal_policy(
            iam.PolicyStatement(actions=list(compute.LAMBDA_LOG_ACTIONS), resources=[props["log_group"].log_group_arn])
        )
        props["role"].add_to_principal_policy(
            iam.PolicyStatement(actions=list(compute.LAMBDA_VPC_ACTIONS), resources=["*"])
        )
        super().__init__(scope, construct_id, code=code, handler=handler, environment=dict(environment or {}), **props)
        if props.get("allow_all_outbound") is False:
            self.connections.allow_to(
                ec2.Peer.any_ipv4(),
                ec2.Port.tcp(compute.HTTPS_PORT),
                "HTTPS to AWS APIs (through NAT and any egress inspection)",
            )
        # CDK grants sqs:SendMessage on the dead-letter queue but not the key it is encrypted with.
        if self.dead_letter_queue is not None:
            grant_send_to_queue(self.dead_letter_queue, self)
        warn_overrides(self, changed)
        # The L2 function makes itself depend on its whole role construct, which CDK renders as a DependsOn on the
        # role it already GetAtts; that construct-level dependency cannot be removed, so cfn-lint is told this one.
        self.node.default_child.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        accept(role, accepted_findings.VPC_FUNCTION_WILDCARDS)
        accept(self, accepted_findings.PINNED_LAMBDA_RUNTIME)
        self.name_prefix = prefix
        self.encryption_key = encryption_key
        self.vpc = vpc
        self.alarm_topic = alarm_topic
        self.errors_alarm = alarm(
            self,
            "ErrorsAlarm",
            alarms.FUNCTION_ERRORS,
            resource=self.function_name,
            name_prefix=prefix,
            topic=alarm_topic,
        )
        self.throttles_alarm = alarm(
            self,
            "ThrottlesAlarm",
            alarms.FUNCTION_THROTTLES,
            resource=self.function_name,
            name_prefix=prefix,
            topic=alarm_topic,
        )
