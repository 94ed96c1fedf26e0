"""ContainerCluster: an ECS cluster with Container Insights and audited, encrypted ECS Exec sessions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.log_group import EncryptedLogGroup
from constructs_lib.cdk.managed_policy_role import ManagedPolicyRole
from constructs_lib.cdk.network import Network
from constructs_lib.policy import compute, naming, services, storage


class ContainerCluster(ecs.Cluster):
    """ECS cluster, secure with no arguments.

    - Container Insights on (``container_insights_v2``; the boolean ``container_insights`` is deprecated).
    - ECS Exec sessions are encrypted with the CMK and every session's output is logged to an encrypted log group
      kept for the ``audit`` retention: commands typed into a running container leave a trail.
    - Fargate capacity providers enabled; name ``<name_prefix>-<suffix>``.
    - With no ``vpc`` the cluster gets a :class:`Network`, and with no ``encryption_key`` an :class:`EncryptionKey`,
      created beside it (``<id>Network``, ``<id>Key``): an ``ecs.Cluster`` needs its VPC before it exists.

    - :meth:`add_processing_task` adds a Fargate task definition with the same hardening (optional).

    Example::

        cluster = ContainerCluster(self, "Cluster", vpc=network, encryption_key=key, name_prefix="iot")
        task = cluster.add_processing_task("Processor", image=image, environment={"STREAM_NAME": stream.stream_name})
        stream.grant_read(task.task_role)

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
        command: Sequence[str] | None = None,
        **overrides: Any,
    ) -> ecs.FargateTaskDefinition:
        """A Fargate task definition for a processing service on this cluster, secure with no arguments.

        - CPU and memory from the policy, Graviton (ARM64), one essential container from ``image`` (default: the
          policy's image) running as a non-root user on a read-only root filesystem.
        - Container output to an encrypted log group (the cluster's key, ``application`` retention), non-blocking.
        - Task and execution roles keep their grants in customer-managed policies (:class:`ManagedPolicyRole`).
        - Secrets belong in ``secrets`` of a container, never in ``environment`` (plain text in the definition).

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
        principal = iam.ServicePrincipal(compute.ECS_TASKS_PRINCIPAL)
        task = ecs.FargateTaskDefinition(
            self,
            construct_id,
            task_role=ManagedPolicyRole(self, f"{construct_id}TaskRole", assumed_by=principal),
            execution_role=ManagedPolicyRole(self, f"{construct_id}ExecutionRole", assumed_by=principal),
            **props,
        )
        task.add_container(
            "App",
            image=image or ecs.ContainerImage.from_registry(compute.PROCESSING_TASK_IMAGE),
            environment=dict(environment or {}),
            command=list(command) if command else None,
            essential=True,
            user=compute.CONTAINER_USER,
            readonly_root_filesystem=compute.CONTAINER_READONLY_ROOT_FILESYSTEM,
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix=construct_id, log_group=log_group, mode=ecs.AwsLogDriverMode.NON_BLOCKING
            ),
        )
        warn_overrides(task, changed)
        return task
