"""SecureFunction: a Lambda function in the VPC with its own encrypted log group, a dead-letter queue and alarms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf import Annotations, AssetType, Fn, TerraformAsset
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionDeadLetterConfig,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from constructs_lib.cdktf.alarm_topic import AlarmTopic
from constructs_lib.cdktf.alarms import metric_alarm
from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.log_group import EncryptedLogGroup
from constructs_lib.cdktf.network import ANYWHERE, Network
from constructs_lib.cdktf.secure_queue import DeadLetterQueue
from constructs_lib.cdktf.service_role import ServiceRole
from constructs_lib.policy import alarms, cdktf_backend, compute, naming, services, storage

#: Terraform's spelling of the policy's tracing modes.
TRACING_MODES: dict[str, str] = {"ACTIVE": "Active", "PASS_THROUGH": "PassThrough"}


class SecureFunction(Construct):
    """Lambda function from a code directory, secure with the code and its handler named.

    - An explicit, KMS-encrypted log group (``/aws/lambda/<name>``, retention by ``log_purpose``) wired through
      ``logging_config``, so Lambda never creates an unencrypted, never-expiring group; JSON log format.
    - ``role`` may come from elsewhere (a security module); the function grants it only what the function itself
      needs, in a customer-managed policy: write its log group, send to its DLQ (and use that queue's key), decrypt
      its environment, trace, and manage its network interfaces.
    - Environment encrypted with ``encryption_key``; X-Ray active tracing; runtime, memory, timeout and reserved
      concurrency from the policy; failed asynchronous events go to a KMS-encrypted dead-letter queue that alarms.
    - ``errors_alarm`` and ``throttles_alarm`` on the first error or throttle, to ``alarm_topic`` (else an
      :class:`AlarmTopic` of its own, which the dead-letter queue's alarm tells too).
    - Private subnets of ``network`` (or a network of its own) and a security group whose only egress is HTTPS.

    Example::

        fn = SecureFunction(self, "processor", code_path="handler", handler="app.handler", network=network,
                            encryption_key=key, role=security.processing_role)

    Any ``LambdaFunction`` argument may be passed; replacing a hardened value is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_path: str,
        handler: str,
        name_prefix: str | None = None,
        role: ServiceRole | None = None,
        encryption_key: EncryptionKey | None = None,
        network: Network | None = None,
        environment: Mapping[str, str] | None = None,
        alarm_topic: AlarmTopic | None = None,
        log_purpose: str = compute.LAMBDA_LOG_PURPOSE,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        suffix = settings.environment_suffix
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        function_name = naming.resource_name("lambda_function", prefix, suffix)
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"Lambda {function_name}")
        if network is None:
            network = Network(self, "network", encryption_key=encryption_key)
        if role is None:
            role = ServiceRole(
                self, "role", service=compute.LAMBDA_PRINCIPAL, name_prefix=prefix, source_account_condition=False
            )
        if alarm_topic is None:
            alarm_topic = AlarmTopic(
                self, "alarms", name_prefix=f"{prefix}-{storage.ALARM_TOPIC_BASE_SUFFIX}", encryption_key=encryption_key
            )
        self.name_prefix = prefix
        self.encryption_key = encryption_key
        self.network = network
        self.alarm_topic = alarm_topic
        self.role = role
        self.log_group = EncryptedLogGroup(
            self,
            "logs",
            log_group_name=f"/aws/lambda/{function_name}",
            purpose=log_purpose,
            encryption_key=encryption_key,
        )
        self.dead_letter = DeadLetterQueue(
            self, "dlq", name_prefix=f"{prefix}-async-dlq", encryption_key=encryption_key, alarm_topic=alarm_topic
        )
        runtime_grant = role.add_statements(
            f"{prefix}-runtime",
            [
                {
                    "Sid": "WriteOwnLogGroup",
                    "Effect": "Allow",
                    "Action": list(compute.LAMBDA_LOG_ACTIONS),
                    "Resource": f"{self.log_group.arn}:*",
                },
                {
                    "Sid": "DeadLetterFailedEvents",
                    "Effect": "Allow",
                    "Action": list(compute.SQS_SEND_ACTIONS),
                    "Resource": self.dead_letter.arn,
                },
                {
                    "Sid": "UseOwnKey",
                    "Effect": "Allow",
                    "Action": list(compute.SQS_SEND_KMS_ACTIONS),
                    "Resource": encryption_key.arn,
                },
                {"Sid": "Trace", "Effect": "Allow", "Action": list(compute.XRAY_WRITE_ACTIONS), "Resource": "*"},
                {
                    "Sid": "ManageNetworkInterfaces",
                    "Effect": "Allow",
                    "Action": list(compute.LAMBDA_VPC_ACTIONS),
                    "Resource": "*",
                },
            ],
        )
        self.security_group = SecurityGroup(
            self,
            "security-group",
            name=naming.resource_name("security_group", f"{prefix}-fn", suffix),
            description=f"Lambda {function_name}: HTTPS egress only, no ingress",
            vpc_id=network.vpc.id,
        )
        VpcSecurityGroupEgressRule(
            self,
            "https-egress",
            security_group_id=self.security_group.id,
            cidr_ipv4=ANYWHERE,
            ip_protocol="tcp",
            from_port=compute.HTTPS_PORT,
            to_port=compute.HTTPS_PORT,
            description="HTTPS to AWS APIs (through NAT and any egress inspection)",
        )

        self.asset = TerraformAsset(self, "code", path=code_path, type=AssetType.ARCHIVE)
        runtime = cdktf_backend.provider_lambda_runtime(services.LAMBDA_RUNTIME)
        if runtime != services.LAMBDA_RUNTIME:
            Annotations.of(self).add_warning(
                f"[hardened:runtime] SecureFunction '{self.node.path}': the policy runtime {services.LAMBDA_RUNTIME} "
                f"is not accepted by the pinned AWS provider; using {runtime}"
            )
        defaults: dict[str, Any] = {
            "function_name": function_name,
            "role": role.arn,
            "runtime": runtime,
            "memory_size": services.LAMBDA_MEMORY_MB,
            "timeout": services.LAMBDA_TIMEOUT_SECONDS,
            "reserved_concurrent_executions": services.LAMBDA_RESERVED_CONCURRENCY,
            "kms_key_arn": encryption_key.arn,
            "tracing_config": LambdaFunctionTracingConfig(mode=TRACING_MODES[compute.LAMBDA_TRACING]),
            "dead_letter_config": LambdaFunctionDeadLetterConfig(target_arn=self.dead_letter.arn),
            "logging_config": LambdaFunctionLoggingConfig(
                log_format=compute.LAMBDA_LOG_FORMAT, log_group=self.log_group.name
            ),
            "vpc_config": LambdaFunctionVpcConfig(
                subnet_ids=network.private_subnet_ids, security_group_ids=[self.security_group.id]
            ),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.function = LambdaFunction(
            self,
            "function",
            handler=handler,
            filename=self.asset.path,
            source_code_hash=Fn.filebase64sha256(self.asset.path),
            environment=LambdaFunctionEnvironment(variables=dict(environment)) if environment else None,
            depends_on=[self.log_group.log_group, runtime_grant],
            **props,
        )
        warn_overrides(self, changed)
        self.errors_alarm = metric_alarm(
            self, "errors-alarm", alarms.FUNCTION_ERRORS, resource=self.name, name_prefix=prefix, topic=alarm_topic
        )
        self.throttles_alarm = metric_alarm(
            self, "throttles-alarm", alarms.FUNCTION_THROTTLES, resource=self.name, name_prefix=prefix,
            topic=alarm_topic,
        )  # fmt: skip

    @property
    def arn(self) -> str:
        return self.function.arn

    @property
    def name(self) -> str:
        return self.function.function_name
