"""ContainerCluster: an ECS cluster with Container Insights and audited, encrypted ECS Exec sessions; processing
services that scale on their queue's backlog (QueueDepthScaling); ImageRepository, the ECR repository of their image."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, IgnoreMode, RemovalPolicy
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.defaults import merge_with_defaults, warn_overrides
from constructs_lib.cdk.deployment import deployment_settings, storage_removal_policy
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
                    cloud_watch_log_group=exec_log_group, cloud_watch_encryption_enabled=compute.EXEC_LOG_ENCRYPTION
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
            privileged=compute.CONTAINER_PRIVILEGED,
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


class QueueDepthScaling(Construct):
    """Scales a Fargate service on its queue's backlog: ``compute.QUEUE_BACKLOG_PER_TASK`` visible messages per task.

    Target tracking between the profile's ``processing_tasks`` and ``processing_max_tasks`` (a cost ceiling) on the
    queue's visible messages divided by the service's running tasks (``compute.SCALING_EXPRESSION``; the task count
    comes from Container Insights, which :class:`ContainerCluster` turns on), ``compute.SCALING_COOLDOWN_SECONDS``
    between scaling actions either way. The CDK's own target tracking takes no metric math, so the target and the
    policy are written as CloudFormation declares them.

    Example::

        service = cluster.add_processing_service("Worker", task, security_groups=[tasks])
        QueueDepthScaling(self, "WorkerScaling", service=service, queue=jobs)

    ``min_capacity``, ``max_capacity``, ``target_value``, ``scale_in_cooldown`` and ``scale_out_cooldown`` may be
    passed; overriding a hardened default is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: ecs.FargateService,
        queue: sqs.IQueue,
        **overrides: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        profile = deployment_settings(self).profile
        defaults: dict[str, Any] = {
            "min_capacity": profile.processing_tasks,
            "max_capacity": profile.processing_max_tasks,
            "target_value": compute.QUEUE_BACKLOG_PER_TASK,
            "scale_in_cooldown": Duration.seconds(compute.SCALING_COOLDOWN_SECONDS),
            "scale_out_cooldown": Duration.seconds(compute.SCALING_COOLDOWN_SECONDS),
        }
        unknown = sorted(set(overrides) - set(defaults))
        if unknown:
            raise TypeError(f"QueueDepthScaling got unexpected arguments {unknown}; it takes {sorted(defaults)}")
        props, changed = merge_with_defaults(defaults, overrides)
        # No role: Application Auto Scaling uses its service-linked role for ECS (the L2 target would add a role).
        self.target = appscaling.CfnScalableTarget(
            self,
            "Target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{service.cluster.cluster_name}/{service.service_name}",
            min_capacity=props["min_capacity"],
            max_capacity=props["max_capacity"],
        )
        dimensions = {
            "backlog": {"QueueName": queue.queue_name},
            "tasks": {"ClusterName": service.cluster.cluster_name, "ServiceName": service.service_name},
        }
        policy = appscaling.CfnScalingPolicy
        queries = [
            policy.TargetTrackingMetricDataQueryProperty(
                id=query_id,
                return_data=False,
                metric_stat=policy.TargetTrackingMetricStatProperty(
                    stat=stat,
                    metric=policy.TargetTrackingMetricProperty(
                        namespace=namespace,
                        metric_name=metric_name,
                        dimensions=[
                            policy.TargetTrackingMetricDimensionProperty(name=name, value=value)
                            for name, value in dimensions[query_id].items()
                        ],
                    ),
                ),
            )
            for query_id, (namespace, metric_name, stat) in compute.SCALING_METRICS.items()
        ]
        per_task = policy.TargetTrackingMetricDataQueryProperty(
            id=compute.SCALING_EXPRESSION_ID, expression=compute.SCALING_EXPRESSION, return_data=True
        )
        self.policy = policy(
            self,
            "BacklogPerTask",
            policy_name=f"{queue.queue_name}-backlog-per-task",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.target.ref,
            target_tracking_scaling_policy_configuration=policy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=props["target_value"],
                scale_in_cooldown=props["scale_in_cooldown"].to_seconds(),
                scale_out_cooldown=props["scale_out_cooldown"].to_seconds(),
                customized_metric_specification=policy.CustomizedMetricSpecificationProperty(
                    metrics=[*queries, per_task]
                ),
            ),
        )
        warn_overrides(self, changed)


class ImageRepository(ecr.Repository):
    """The ECR repository a stack's processing image is pushed to, secure with no arguments.

    - Encrypted with a customer-managed key (``encryption_key``, else its own :class:`EncryptionKey` beside it,
      ``<id>Key``); tags immutable (a tag names one build); every push scanned.
    - Keeps the last ``compute.IMAGES_KEPT`` tagged images, expires untagged ones (``compute.IMAGE_LIFECYCLE_RULES``).
    - Deleted with the stack, images included, in every profile (``empty_on_delete``, ``RemovalPolicy.DESTROY``):
      images are build outputs, rebuilt from the repository at the same tag, and a repository left behind would
      block the next deploy that creates it.
    - :meth:`image_uri` gives the reference of the image built from a Dockerfile (tagged with a digest of what it
      copies, ``policy.images.content_tag``); :meth:`image` the same as an ``ecs.ContainerImage``, whose pull the
      task's execution role is granted.

    Example::

        repository = ImageRepository(self, "WorkerImages", name_prefix="streamflix-worker", encryption_key=key)
        task = cluster.add_processing_task("Worker", image=repository.image(dockerfile, context))

    Any ``ecr.Repository`` prop may be passed; overriding a hardened default is reported as a synth warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
        **overrides: Any,
    ) -> None:
        settings = deployment_settings(scope)
        prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        removal = RemovalPolicy.DESTROY if compute.IMAGE_REPOSITORY_FORCE_DELETE else storage_removal_policy(scope)
        defaults: dict[str, Any] = {
            "repository_name": naming.resource_name("ecr_repository", prefix, settings.environment_suffix),
            "encryption": getattr(ecr.RepositoryEncryption, compute.IMAGE_REPOSITORY_ENCRYPTION),
            "image_tag_mutability": ecr.TagMutability[compute.IMAGE_TAG_MUTABILITY],
            "image_scan_on_push": compute.IMAGE_SCAN_ON_PUSH,
            "lifecycle_rules": [_lifecycle_rule(rule) for rule in compute.IMAGE_LIFECYCLE_RULES],
            "removal_policy": removal,
            # CloudFormation refuses to delete a repository that holds images: empty it first.
            "empty_on_delete": overrides.get("removal_policy", removal) == RemovalPolicy.DESTROY,
        }
        props, changed = merge_with_defaults(defaults, overrides)
        if encryption_key is not None or props["encryption"].value == ecr.RepositoryEncryption.KMS.value:
            props["encryption_key"] = encryption_key or EncryptionKey(
                scope, f"{construct_id}Key", description=f"images {construct_id}"
            )
        super().__init__(scope, construct_id, **props)
        warn_overrides(self, changed)

    def image_uri(self, dockerfile: Path, context: Path) -> str:
        """``<repository uri>:<tag>`` of the image ``dockerfile`` builds from ``context``."""
        return self.repository_uri_for_tag(images.content_tag(context, dockerfile))

    def image(self, dockerfile: Path, context: Path) -> ecs.ContainerImage:
        """The image ``dockerfile`` builds from ``context``, pulled from this repository by the tasks that run it."""
        return ecs.ContainerImage.from_ecr_repository(self, images.content_tag(context, dockerfile))


def _lifecycle_rule(rule: Mapping[str, Any]) -> ecr.LifecycleRule:
    """One rule of ``compute.IMAGE_LIFECYCLE_RULES`` (ECR's format, ages in days) as a CDK lifecycle rule."""
    selection = rule["selection"]
    by_age = selection["countType"] == "sinceImagePushed"
    return ecr.LifecycleRule(
        rule_priority=rule["rulePriority"],
        description=rule["description"],
        tag_status=ecr.TagStatus[selection["tagStatus"].upper()],
        max_image_age=Duration.days(selection["countNumber"]) if by_age else None,
        max_image_count=None if by_age else selection["countNumber"],
    )
