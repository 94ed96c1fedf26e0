"""ContainerCluster: an ECS cluster with Container Insights and audited, encrypted ECS Exec sessions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import IgnoreMode
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.log_group import EncryptedLogGroup
from constructs_lib.cdk.network import Network
from constructs_lib.cdk.service_role import ServiceRole
from constructs_lib.policy import accepted_findings, compute, images, naming, services, storage


def processing_image(scope: Construct, dockerfile: Path, context: Path) -> ecs.ContainerImage:
    """The image of a processing service: the prebuilt one the deployment names (context ``processorImage`` or
    ``$PROCESSOR_IMAGE``), else built at deploy from ``dockerfile`` as an image asset for ARM64 (Graviton).

    The asset holds only what the Dockerfile copies from ``context``, so unrelated changes do not rebuild it.
    """
    prebuilt = images.prebuilt_image(scope.node.try_get_context)
    if prebuilt:
        return _prebuilt_image(scope, f"{dockerfile.parent.name.title()}PrebuiltImage", prebuilt)
    kept = ["!" + source for source in images.copied_sources(dockerfile)]
    return ecs.ContainerImage.from_asset(
        str(context),
        file=dockerfile.relative_to(context).as_posix(),
        exclude=["*", *kept, "**/__pycache__"],
        ignore_mode=IgnoreMode.DOCKER,
        platform=getattr(ecr_assets.Platform, f"LINUX_{compute.FARGATE_CPU_ARCHITECTURE}"),
    )


def _prebuilt_image(scope: Construct, construct_id: str, reference: str) -> ecs.ContainerImage:
    """An ECR image through its repository (so the execution role is granted the pull), any other by reference."""
    registry, repository_arn = images.ecr_registry(reference), images.ecr_repository_arn(reference)
    if registry is None or repository_arn is None:
        return ecs.ContainerImage.from_registry(reference)
    _, _, repository, tag_or_digest = registry
    repo = ecr.Repository.from_repository_attributes(
        scope, construct_id, repository_arn=repository_arn, repository_name=repository
    )
    return ecs.ContainerImage.from_ecr_repository(repo, tag_or_digest)


class ContainerCluster(ecs.Cluster):
    """ECS cluster, secure with no arguments.

    - Container Insights on (``container_insights_v2``; the boolean ``container_insights`` is deprecated).
    - ECS Exec sessions are encrypted with the CMK and every session's output is logged to an encrypted log group
      kept for the ``audit`` retention: commands typed into a running container leave a trail.
    - Fargate capacity providers enabled; name ``<name_prefix>-<suffix>``.
    - With no ``vpc`` the cluster gets a :class:`Network`, and with no ``encryption_key`` an :class:`EncryptionKey`,
      created beside it (``<id>Network``, ``<id>Key``): an ``ecs.Cluster`` needs its VPC before it exists.

    - :meth:`add_processing_task` adds a Fargate task definition with the same hardening, and
      :meth:`add_processing_service` keeps it running as a service (both optional).

    Example::

        cluster = ContainerCluster(self, "Cluster", vpc=network, encryption_key=key, name_prefix="iot")
        task = cluster.add_processing_task("Processor", image=image, environment={"STREAM_NAME": stream.stream_name})
        stream.grant_read(task.task_role)
        cluster.add_processing_service("ProcessorService", task, security_groups=[tasks_group])

    Any ``ecs.Cluster`` prop may be passed; overriding a hardened default is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc | None = None,
        encryption_key: kms.IKey | None = None,
        name_prefix: str | None = None,
        **overrides: Any,
    ) -> None:
        settings = deployment_settings(scope)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        name = naming.resource_name("ecs_cluster", prefix, settings.environment_suffix)
        if encryption_key is None:
            encryption_key = EncryptionKey(scope, f"{construct_id}Key", description=f"ECS cluster {name}")
        if vpc is None:
            vpc = Network(scope, f"{construct_id}Network", encryption_key=encryption_key)
        exec_log_group = EncryptedLogGroup(
            scope,
            f"{construct_id}ExecLogs",
            purpose=compute.EXEC_LOG_PURPOSE,
            encryption_key=encryption_key,
            log_group_name=f"/aws/ecs/{name}/exec",
        )
        defaults: dict[str, Any] = {
            "cluster_name": name,
            "container_insights_v2": ecs.ContainerInsights[compute.CONTAINER_INSIGHTS.upper()],
            "enable_fargate_capacity_providers": True,
            "execute_command_configuration": ecs.ExecuteCommandConfiguration(
                kms_key=encryption_key,
                logging=ecs.ExecuteCommandLogging.OVERRIDE,
                log_configuration=ecs.ExecuteCommandLogConfiguration(
                    cloud_watch_log_group=exec_log_group, cloud_watch_encryption_enabled=True
                ),
            ),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        super().__init__(scope, construct_id, vpc=vpc, **props)
        warn_overrides(self, changed)
        self.encryption_key = encryption_key
        self.execute_command_log_group = exec_log_group

    def add_processing_task(
        self,
        construct_id: str,
        *,
        image: ecs.ContainerImage | None = None,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        command: Sequence[str] | None = None,
        **overrides: Any,
    ) -> ecs.FargateTaskDefinition:
        """A Fargate task definition for a processing service on this cluster, secure with no arguments.

        - CPU and memory from the policy, Graviton (ARM64), one essential container from ``image`` (default: the
          policy's image) running as a non-root user on a read-only root filesystem.
        - Container output to an encrypted log group (the cluster's key, ``application`` retention), non-blocking.
        - Task and execution roles keep their grants in customer-managed policies (:class:`ServiceRole`).
        - Secrets belong in ``secrets`` (injected from Secrets Manager by the execution role, which gets read
          access to each), never in ``environment`` (plain text in the definition).

        ``FargateTaskDefinition`` props may be passed; overriding a hardened default is reported as a synth warning.
        """
        log_group = EncryptedLogGroup(
            self, f"{construct_id}Logs", purpose=compute.CONTAINER_LOG_PURPOSE, encryption_key=self.encryption_key
        )
        defaults: dict[str, Any] = {
            "cpu": services.FARGATE_TASK_CPU,
            "memory_limit_mib": services.FARGATE_TASK_MEMORY_MB,
            "runtime_platform": ecs.RuntimePlatform(
                cpu_architecture=getattr(ecs.CpuArchitecture, compute.FARGATE_CPU_ARCHITECTURE),
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        }
        props, changed = merge_with_defaults(defaults, overrides)
        task = ecs.FargateTaskDefinition(
            self,
            construct_id,
            task_role=ServiceRole(self, f"{construct_id}TaskRole", service=compute.ECS_TASKS_PRINCIPAL),
            execution_role=ServiceRole(self, f"{construct_id}ExecutionRole", service=compute.ECS_TASKS_PRINCIPAL),
            **props,
        )
        task.add_container(
            "App",
            image=image or ecs.ContainerImage.from_registry(compute.PROCESSING_TASK_IMAGE),
            environment=dict(environment or {}),
            secrets=dict(secrets or {}),
            command=list(command) if command else None,
            essential=True,
            user=compute.CONTAINER_USER,
            readonly_root_filesystem=compute.CONTAINER_READONLY_ROOT_FILESYSTEM,
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix=construct_id, log_group=log_group, mode=ecs.AwsLogDriverMode.NON_BLOCKING
            ),
        )
        if isinstance(image, ecs.AssetImage | ecs.EcrImage):
            accept(task.obtain_execution_role(), accepted_findings.IMAGE_PULL_AUTHORIZATION)
        warn_overrides(task, changed)
        return task

    def add_processing_service(
        self,
        construct_id: str,
        task_definition: ecs.FargateTaskDefinition,
        *,
        security_groups: Sequence[ec2.ISecurityGroup],
        **overrides: Any,
    ) -> ecs.FargateService:
        """A Fargate service that keeps ``task_definition`` running on this cluster, secure with no other arguments.

        - Tasks from the profile (``processing_tasks``), in the VPC's private subnets with no public IP, in
          ``security_groups`` (the groups the data stores admit).
        - Deployments start new tasks before stopping old ones and roll back when the new ones keep failing
          (circuit breaker); the latest Fargate platform; tags propagate from the service to its tasks.

        ``FargateService`` props may be passed; overriding a hardened default is reported as a synth warning.
        """
        profile = deployment_settings(self).profile
        defaults: dict[str, Any] = {
            "desired_count": profile.processing_tasks,
            "assign_public_ip": compute.SERVICE_ASSIGN_PUBLIC_IP,
            "circuit_breaker": ecs.DeploymentCircuitBreaker(rollback=compute.SERVICE_CIRCUIT_BREAKER_ROLLBACK),
            "min_healthy_percent": compute.SERVICE_MIN_HEALTHY_PERCENT,
            "max_healthy_percent": compute.SERVICE_MAX_HEALTHY_PERCENT,
            "platform_version": ecs.FargatePlatformVersion[compute.FARGATE_PLATFORM_VERSION],
            "propagate_tags": ecs.PropagatedTagSource.SERVICE,
        }
        props, changed = merge_with_defaults(defaults, overrides)
        service = ecs.FargateService(
            self, construct_id, cluster=self, task_definition=task_definition, security_groups=list(security_groups),
            **props,
        )  # fmt: skip
        warn_overrides(service, changed)
        return service
