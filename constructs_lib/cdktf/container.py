"""FargateCluster and FargateTask: ECS on Fargate with Container Insights, encrypted logs and split roles."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
)
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import account_context, deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.iam import ServiceRole, secret_read_statements
from constructs_lib.cdktf.log_group import EncryptedLogGroup
from constructs_lib.policy import compute, naming, services, storage

#: Scratch space for a container whose root filesystem is read-only.
SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"


class FargateCluster(Construct):
    """ECS cluster for Fargate tasks, secure with no arguments (the cdktf twin of ``ContainerCluster``).

    Container Insights on; ``ecs execute-command`` sessions encrypted with the key and logged to an encrypted log
    group kept for the audit retention; Fargate as the default capacity provider (no instances to patch).

    Example::

        cluster = FargateCluster(self, "processing", name_prefix="video-processing", encryption_key=key)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"cluster {self.node.path}")
        self.encryption_key = encryption_key
        self.exec_log_group = EncryptedLogGroup(
            self, "exec-logs", purpose=compute.EXEC_LOG_PURPOSE, encryption_key=encryption_key
        )
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=naming.resource_name("ecs_cluster", prefix, settings.environment_suffix),
            setting=[EcsClusterSetting(name="containerInsights", value=compute.CONTAINER_INSIGHTS)],
            configuration={
                "execute_command_configuration": {
                    "kms_key_id": encryption_key.arn,
                    "logging": "OVERRIDE",
                    "log_configuration": {
                        "cloud_watch_encryption_enabled": True,
                        "cloud_watch_log_group_name": self.exec_log_group.name,
                    },
                }
            },
        )
        EcsClusterCapacityProviders(
            self,
            "capacity",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE"],
            default_capacity_provider_strategy=[
                EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(capacity_provider="FARGATE", weight=1)
            ],
        )

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def arn(self) -> str:
        return self.cluster.arn


class FargateTask(Construct):
    """Fargate task definition with least-privilege roles, secure with no arguments.

    - Two roles: the *execution* role (ECS itself) may only write this task's log group and read the listed
      ``secrets`` (their key only through Secrets Manager); the *task* role (the application) gets exactly
      ``task_statements``. Both keep their permissions in customer-managed policies.
    - ``image`` (default: the policy's processing image) as a non-root user on a read-only root filesystem with a
      scratch volume at /tmp, never privileged; logs to a KMS-encrypted log group (``log_group`` or its own); CPU and
      memory from the policy; ARM64 (Graviton).
    - Secrets belong in ``secrets`` (injected from Secrets Manager), never in ``environment`` (plain text).

    Example::

        task = FargateTask(self, "processor", secrets={"DB_SECRET": db.secret_arn}, secrets_key=key,
                           task_statements=[{"Effect": "Allow", "Action": "kinesis:GetRecords", "Resource": arn}])
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: str = compute.PROCESSING_TASK_IMAGE,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        secrets_key: EncryptionKey | None = None,
        task_statements: Sequence[dict[str, Any]] = (),
        command: Sequence[str] | None = None,
        log_group: EncryptedLogGroup | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        account = account_context(self)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"task {self.node.path}")
        self.log_group = log_group or EncryptedLogGroup(
            self, "logs", purpose=compute.CONTAINER_LOG_PURPOSE, encryption_key=encryption_key
        )
        secrets = dict(secrets or {})
        execution_statements: list[dict[str, Any]] = [
            {
                "Sid": "WriteTaskLogs",
                "Effect": "Allow",
                "Action": list(compute.LAMBDA_LOG_ACTIONS),
                "Resource": f"{self.log_group.arn}:*",
            }
        ]
        if secrets:
            key_arn = (secrets_key or encryption_key).arn
            execution_statements += secret_read_statements(sorted(set(secrets.values())), key_arn, account)
        self.execution_role = ServiceRole(
            self,
            "execution-role",
            service=compute.ECS_TASKS_PRINCIPAL,
            name_prefix=f"{prefix}-execution",
            statements=execution_statements,
        )
        self.task_role = ServiceRole(
            self,
            "task-role",
            service=compute.ECS_TASKS_PRINCIPAL,
            name_prefix=f"{prefix}-task",
            statements=task_statements,
        )
        container: dict[str, Any] = {
            "name": prefix,
            "image": image,
            "essential": True,
            "readonlyRootFilesystem": compute.CONTAINER_READONLY_ROOT_FILESYSTEM,
            "privileged": False,
            "user": compute.CONTAINER_USER,
            "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH, "readOnly": False}],
            "environment": [{"name": k, "value": v} for k, v in sorted((environment or {}).items())],
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": self.log_group.name,
                    "awslogs-region": account.region,
                    "awslogs-stream-prefix": prefix,
                    "mode": "non-blocking",
                },
            },
        }
        if command:
            container["command"] = list(command)
        defaults: dict[str, Any] = {
            "cpu": str(services.FARGATE_TASK_CPU),
            "memory": str(services.FARGATE_TASK_MEMORY_MB),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.task_definition = EcsTaskDefinition(
            self,
            "definition",
            # Task-definition families share the ECS name limit (255).
            family=naming.resource_name("ecs_cluster", prefix, settings.environment_suffix),
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture=compute.FARGATE_CPU_ARCHITECTURE
            ),
            volume=[EcsTaskDefinitionVolume(name=SCRATCH_VOLUME)],
            container_definitions=json.dumps([container]),
            **props,
        )
        warn_overrides(self, changed)

    @property
    def arn(self) -> str:
        return self.task_definition.arn
