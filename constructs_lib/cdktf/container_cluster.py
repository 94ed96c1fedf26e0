"""ECS on Fargate: ContainerCluster (Container Insights, audited exec), FargateTask (split roles, encrypted logs),
processing services that scale on their queue's backlog, and ImageRepository (the ECR repository of their image)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cdktf_cdktf_provider_aws import appautoscaling_policy as scaling
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository, EcrRepositoryEncryptionConfiguration
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from cdktf_cdktf_provider_aws.ecs_service import EcsService
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from constructs_lib.cdktf.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdktf.deployment import account_context, deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.iam import secret_read_statements
from constructs_lib.cdktf.log_group import EncryptedLogGroup
from constructs_lib.cdktf.network import ANYWHERE
from constructs_lib.cdktf.service_role import ServiceRole
from constructs_lib.policy import compute, images, naming, services, storage

#: Scratch space for a container whose root filesystem is read-only.
SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"


class ContainerCluster(Construct):
    """ECS cluster for Fargate tasks, secure with no arguments (the cdktf twin of ``ContainerCluster``).

    Container Insights on; ``ecs execute-command`` sessions encrypted with the key and logged to an encrypted log
    group kept for the audit retention; Fargate as the default capacity provider (no instances to patch).

    Example::

        cluster = ContainerCluster(self, "processing", name_prefix="video-processing", encryption_key=key)
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
                        "cloud_watch_encryption_enabled": compute.EXEC_LOG_ENCRYPTION,
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

    def add_processing_service(
        self,
        construct_id: str,
        task: FargateTask,
        *,
        security_group_ids: Sequence[str],
        subnet_ids: Sequence[str],
        name_prefix: str | None = None,
        **overrides: Any,
    ) -> EcsService:
        """A Fargate service that keeps ``task`` running on this cluster (twin of the CDK cluster's method).

        Tasks from the profile (``processing_tasks``) in ``subnet_ids`` with no public IP, in ``security_group_ids``;
        deployments start new tasks before stopping old ones and roll back when the new ones keep failing; the
        latest Fargate platform; tags propagate to the tasks. ``EcsService`` arguments may be passed; overriding a
        hardened default is reported as a synth warning.
        """
        settings = deployment_settings(self)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        defaults: dict[str, Any] = {
            "desired_count": settings.profile.processing_tasks,
            "launch_type": "FARGATE",
            "platform_version": compute.FARGATE_PLATFORM_VERSION,
            "propagate_tags": "SERVICE",
            "deployment_minimum_healthy_percent": compute.SERVICE_MIN_HEALTHY_PERCENT,
            "deployment_maximum_percent": compute.SERVICE_MAX_HEALTHY_PERCENT,
            "deployment_circuit_breaker": {
                "enable": True,
                "rollback": compute.SERVICE_CIRCUIT_BREAKER_ROLLBACK,
            },
            "network_configuration": {
                "subnets": list(subnet_ids),
                "security_groups": list(security_group_ids),
                "assign_public_ip": compute.SERVICE_ASSIGN_PUBLIC_IP,
            },
        }
        props, changed = merge_with_defaults(defaults, overrides)
        service = EcsService(
            self,
            construct_id,
            name=naming.resource_name("ecs_service", prefix, settings.environment_suffix),
            cluster=self.cluster.arn,
            task_definition=task.arn,
            **props,
        )
        warn_overrides(service, changed)
        return service


class FargateTask(Construct):
    """Fargate task definition with least-privilege roles, secure with no arguments.

    - Two roles: the *execution* role (ECS itself) may only write this task's log group and read the listed
      ``secrets`` (their key only through Secrets Manager); the *task* role (the application) gets exactly
      ``task_statements``. Both keep their permissions in customer-managed policies.
    - ``image`` (default: the policy's processing image) as a non-root user on a read-only root filesystem with a
      scratch volume at /tmp, never privileged; logs to a KMS-encrypted log group (``log_group`` or its own); CPU and
      memory from the policy; ARM64 (Graviton).
    - Secrets belong in ``secrets`` (injected from Secrets Manager), never in ``environment`` (plain text).
    - ``image_repository_arn``: the ECR repository ``image`` comes from; the execution role may pull from it only.

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
        image_repository_arn: str | None = None,
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
        if image_repository_arn is not None:
            execution_statements += [
                {"Sid": "PullImage", "Effect": "Allow", "Action": list(compute.IMAGE_PULL_ACTIONS),
                 "Resource": image_repository_arn},
                {"Sid": "RegistryLogin", "Effect": "Allow", "Action": compute.IMAGE_REGISTRY_LOGIN_ACTION,
                 "Resource": "*"},
            ]  # fmt: skip
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
            "privileged": compute.CONTAINER_PRIVILEGED,
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


_CUSTOMIZED = "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetrics"
MetricQuery = getattr(scaling, _CUSTOMIZED)
Stat = getattr(scaling, f"{_CUSTOMIZED}MetricStat")
Metric = getattr(scaling, f"{_CUSTOMIZED}MetricStatMetric")
Dimension = getattr(scaling, f"{_CUSTOMIZED}MetricStatMetricDimensions")


class QueueDepthScaling(Construct):
    """Scales an ECS service on its queue's backlog: ``compute.QUEUE_BACKLOG_PER_TASK`` visible messages per task.

    Between the profile's ``processing_tasks`` and ``processing_max_tasks`` (a cost ceiling), by target tracking on
    the jobs queue's visible messages divided by the service's running tasks (``compute.SCALING_EXPRESSION``),
    ``compute.SCALING_COOLDOWN_SECONDS`` between scaling actions either way.

    Example::

        QueueDepthScaling(self, "worker-scaling", cluster=cluster, service=service, queue_name=jobs.name)

    ``min_capacity``, ``max_capacity``, ``target_value``, ``scale_in_cooldown`` and ``scale_out_cooldown`` may be
    passed; overriding a hardened default is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ContainerCluster,
        service: EcsService,
        queue_name: str,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        profile = deployment_settings(self).profile
        defaults: dict[str, Any] = {
            "min_capacity": profile.processing_tasks,
            "max_capacity": profile.processing_max_tasks,
            "target_value": compute.QUEUE_BACKLOG_PER_TASK,
            "scale_in_cooldown": compute.SCALING_COOLDOWN_SECONDS,
            "scale_out_cooldown": compute.SCALING_COOLDOWN_SECONDS,
        }
        unknown = sorted(set(overrides) - set(defaults))
        if unknown:
            raise TypeError(f"QueueDepthScaling got unexpected arguments {unknown}; it takes {sorted(defaults)}")
        props, changed = merge_with_defaults(defaults, overrides)
        self.target = AppautoscalingTarget(
            self,
            "target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster.name}/{service.name}",
            min_capacity=props["min_capacity"],
            max_capacity=props["max_capacity"],
        )
        dimensions = {
            "backlog": {"QueueName": queue_name},
            "tasks": {"ClusterName": cluster.name, "ServiceName": service.name},
        }
        queries = [
            MetricQuery(id=query_id, return_data=False, metric_stat=Stat(stat=stat, metric=Metric(
                namespace=namespace, metric_name=metric_name,
                dimensions=[Dimension(name=name, value=value) for name, value in dimensions[query_id].items()],
            )))
            for query_id, (namespace, metric_name, stat) in compute.SCALING_METRICS.items()
        ]  # fmt: skip
        self.policy = scaling.AppautoscalingPolicy(
            self,
            "backlog-per-task",
            name=f"{queue_name}-backlog-per-task",
            policy_type="TargetTrackingScaling",
            service_namespace=self.target.service_namespace,
            scalable_dimension=self.target.scalable_dimension,
            resource_id=self.target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": props["target_value"],
                "scale_in_cooldown": props["scale_in_cooldown"],
                "scale_out_cooldown": props["scale_out_cooldown"],
                "customized_metric_specification": {
                    "metrics": [
                        *queries,
                        MetricQuery(
                            id=compute.SCALING_EXPRESSION_ID, expression=compute.SCALING_EXPRESSION, return_data=True
                        ),
                    ]
                },
            },
        )
        warn_overrides(self, changed)


def processing_image(
    scope: Construct, repository: ImageRepository, dockerfile: Path, context: Path
) -> tuple[str, str | None]:
    """(image, ECR repository ARN to pull from, None outside ECR) of a processing service (twin of the CDK function):
    the prebuilt image the deployment names (context ``processorImage`` or ``$PROCESSOR_IMAGE``), else the one
    ``dockerfile`` builds from ``context``, pushed to ``repository`` (README: build and push)."""
    prebuilt = images.prebuilt_image(scope.node.try_get_context)
    if prebuilt:
        return prebuilt, images.ecr_repository_arn(prebuilt)
    return repository.image_uri(dockerfile, context), repository.arn


class TasksSecurityGroup(Construct):
    """The security group of a service's tasks: HTTPS out (AWS APIs, the image registry) and nothing else until
    :meth:`allow_to` opens a port to a peer group (the database's).

    Example::

        tasks = TasksSecurityGroup(self, "tasks", vpc_id=network.vpc.id, name_prefix="streamflix-tasks")
        tasks.allow_to(database.security_group.id, services.DATABASE_PORT, "PostgreSQL to the metadata cluster")
        database.allow_from(tasks.group, "processing tasks")
    """

    def __init__(self, scope: Construct, construct_id: str, *, vpc_id: str, name_prefix: str, description: str) -> None:
        super().__init__(scope, construct_id)
        suffix = deployment_settings(self).environment_suffix
        self.group = SecurityGroup(
            self, "group", name=naming.resource_name("security_group", name_prefix, suffix), description=description,
            vpc_id=vpc_id,
        )  # fmt: skip
        VpcSecurityGroupEgressRule(
            self, "https-egress", security_group_id=self.group.id, cidr_ipv4=ANYWHERE, ip_protocol="tcp",
            from_port=compute.HTTPS_PORT, to_port=compute.HTTPS_PORT,
            description="HTTPS to AWS APIs and the image registry",
        )  # fmt: skip

    @property
    def id(self) -> str:
        return self.group.id

    def allow_to(self, peer_group_id: str, port: int, description: str) -> None:
        """Let the tasks open TCP ``port`` to members of ``peer_group_id``."""
        VpcSecurityGroupEgressRule(
            self, f"egress-{port}", security_group_id=self.group.id, referenced_security_group_id=peer_group_id,
            ip_protocol="tcp", from_port=port, to_port=port, description=description,
        )  # fmt: skip


class ImageRepository(Construct):
    """The ECR repository a stack's processing image is pushed to, secure with no arguments.

    - Encrypted with the customer-managed key; tags immutable (a tag names one build); every push scanned.
    - Keeps the last ``compute.IMAGES_KEPT`` tagged images, expires untagged ones; a destroy deletes it with its
      images in every profile (they are rebuilt from the repository at the same tag).
    - :meth:`image_uri` gives the reference of the image built from a Dockerfile (tagged with a digest of what it
      copies, ``policy.images.content_tag``), which a :class:`FargateTask` runs and README's build-and-push command
      pushes.

    Example::

        repository = ImageRepository(self, "worker-images", name_prefix="streamflix-worker", encryption_key=key)
        task = FargateTask(self, "worker", image=repository.image_uri(dockerfile, context),
                           image_repository_arn=repository.arn)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: EncryptionKey | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = deployment_settings(self)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        if encryption_key is None:
            encryption_key = EncryptionKey(self, "key", description=f"images {self.node.path}")
        defaults: dict[str, Any] = {
            "image_tag_mutability": compute.IMAGE_TAG_MUTABILITY,
            "image_scanning_configuration": {"scan_on_push": compute.IMAGE_SCAN_ON_PUSH},
            "encryption_configuration": [
                EcrRepositoryEncryptionConfiguration(
                    encryption_type=compute.IMAGE_REPOSITORY_ENCRYPTION, kms_key=encryption_key.arn
                )
            ],
            "force_delete": compute.IMAGE_REPOSITORY_FORCE_DELETE,
        }
        props, changed = merge_with_defaults(defaults, overrides)
        self.repository = EcrRepository(
            self, "repository", name=naming.resource_name("ecr_repository", prefix, settings.environment_suffix),
            **props,
        )  # fmt: skip
        EcrLifecyclePolicy(
            self, "lifecycle", repository=self.repository.name,
            policy=json.dumps({"rules": list(compute.IMAGE_LIFECYCLE_RULES)}),
        )  # fmt: skip
        warn_overrides(self, changed)

    @property
    def arn(self) -> str:
        return self.repository.arn

    @property
    def url(self) -> str:
        return self.repository.repository_url

    def image_uri(self, dockerfile: Path, context: Path) -> str:
        """``<repository url>:<tag>`` of the image ``dockerfile`` builds from ``context``."""
        return f"{self.url}:{images.content_tag(context, dockerfile)}"
