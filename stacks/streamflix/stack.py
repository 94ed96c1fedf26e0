"""StreamFlixStack: Kinesis ingest, ECS Fargate processing, Aurora metadata, a job queue with DLQ, and alarms.

Seed 003 shipped an Aurora cluster with no instance, a password built from the environment name and no outputs.
Here the cluster has its instances, RDS generates and keeps the password, and every identifier a test needs is an
output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from constructs_lib.cdktf.alarms import AlarmTopic
from constructs_lib.cdktf.aurora import AuroraServerlessCluster
from constructs_lib.cdktf.container import FargateCluster, FargateTask, ImageRepository, QueueDepthScaling
from constructs_lib.cdktf.deployment import deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.function import HTTPS_PORT
from constructs_lib.cdktf.log_group import EncryptedLogGroup
from constructs_lib.cdktf.network import ANYWHERE, Network
from constructs_lib.cdktf.provider import aws_provider, configure_backend, resolve_region
from constructs_lib.cdktf.queue import SecureQueue
from constructs_lib.cdktf.stream import KinesisStream
from constructs_lib.policy import engines, images, naming, services
from constructs_lib.policy.cdktf_backend import check_region
from constructs_lib.policy.tags import standard_tags

SYSTEM = "streamflix"
DEFAULT_REGION = "us-east-1"
#: Processing logs are kept a week (seed 003): video-job debugging needs days, not weeks, and volume is high.
PROCESSING_LOG_RETENTION_DAYS = 7
#: The job worker's image is built from this Dockerfile with ``stacks/`` as the context.
STACKS_DIR = Path(__file__).resolve().parent.parent
WORKER_DOCKERFILE = STACKS_DIR / "streamflix" / "worker" / "Dockerfile"


@dataclass(frozen=True)
class StreamFlixProps:
    """What a deployment may choose; everything else is policy.

    ``region``: None reads context ``region`` / ``AWS_REGION`` / us-east-1. ``processing_image``: a prebuilt job
    worker image (ARM64 or multi-arch); None reads context ``processorImage`` / ``$PROCESSOR_IMAGE``, else the image
    built from ``stacks/streamflix/worker`` and pushed to the stack's own repository (README: build and push).
    """

    region: str | None = None
    processing_image: str | None = None


class StreamFlixStack(TerraformStack):
    """The StreamFlix pipeline: producers write ingest events to Kinesis and video jobs to the jobs queue; the job
    worker (a Fargate service, ``worker/``, scaling on the queue's backlog) records both in Aurora; jobs that keep
    failing land in the dead-letter queue; alarms watch throttling and dead letters.

    Example::

        app = App()
        StreamFlixStack(app, "streamflix")
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, props: StreamFlixProps | None = None) -> None:
        super().__init__(scope, construct_id)
        props = props or StreamFlixProps()
        settings = deployment_settings(self)
        suffix = settings.environment_suffix
        region = check_region(props.region) if props.region else resolve_region(self, DEFAULT_REGION)
        engines.engine("aurora-postgresql").check_region(region)
        aws_provider(self, region, standard_tags(SYSTEM, suffix, settings.profile.name, "confidential"))
        configure_backend(self, construct_id, suffix, region)

        key = EncryptionKey(self, "key", alias=SYSTEM, description=f"StreamFlix data ({suffix})")
        topic = AlarmTopic(self, "alarms", name_prefix=f"{SYSTEM}-alarms", encryption_key=key)
        network = Network(self, "network", encryption_key=key)
        stream = KinesisStream(self, "ingest", name_prefix=f"{SYSTEM}-ingest", encryption_key=key, alarm_topic=topic)
        jobs = SecureQueue(self, "jobs", name_prefix=f"{SYSTEM}-jobs", encryption_key=key, alarm_topic=topic)
        database = AuroraServerlessCluster(
            self,
            "metadata",
            network=network,
            name_prefix=f"{SYSTEM}-metadata",
            encryption_key=key,
        )

        tasks_security_group = SecurityGroup(
            self,
            "tasks-security-group",
            name=naming.resource_name("security_group", f"{SYSTEM}-tasks", suffix),
            description="StreamFlix processing tasks: HTTPS to AWS APIs and PostgreSQL to the metadata cluster only",
            vpc_id=network.vpc.id,
        )
        VpcSecurityGroupEgressRule(
            self,
            "tasks-https-egress",
            security_group_id=tasks_security_group.id,
            cidr_ipv4=ANYWHERE,
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            description="HTTPS to Kinesis, SQS, Secrets Manager and the image registry",
        )
        VpcSecurityGroupEgressRule(
            self,
            "tasks-database-egress",
            security_group_id=tasks_security_group.id,
            referenced_security_group_id=database.security_group.id,
            ip_protocol="tcp",
            from_port=services.DATABASE_PORT,
            to_port=services.DATABASE_PORT,
            description="PostgreSQL to the metadata cluster",
        )
        database.allow_from(tasks_security_group, "StreamFlix processing tasks")

        cluster = FargateCluster(self, "processing", name_prefix=f"{SYSTEM}-processing", encryption_key=key)
        processing_logs = EncryptedLogGroup(
            self,
            "processing-logs",
            log_group_name=f"/{SYSTEM}/" + naming.resource_name("log_group", "processing", suffix),
            encryption_key=key,
            retention_in_days=PROCESSING_LOG_RETENTION_DAYS,
        )
        repository = ImageRepository(self, "worker-images", name_prefix=f"{SYSTEM}-worker", encryption_key=key)
        image, pull_from = self._worker_image(props, repository)
        task = FargateTask(
            self,
            "processor",
            name_prefix=f"{SYSTEM}-processor",
            image=image,
            image_repository_arn=pull_from,
            encryption_key=key,
            log_group=processing_logs,
            environment={
                "STREAM_NAME": stream.name,
                "JOB_QUEUE_URL": jobs.url,
                "DB_HOST": database.endpoint,
                "DB_NAME": services.DATABASE_NAME,
            },
            secrets={"DB_CREDENTIALS": database.secret_arn},
            secrets_key=key,
            task_statements=[
                {
                    "Sid": "ReadIngestStream",
                    "Effect": "Allow",
                    "Action": [
                        "kinesis:DescribeStream",
                        "kinesis:DescribeStreamSummary",
                        "kinesis:GetRecords",
                        "kinesis:GetShardIterator",
                        "kinesis:ListShards",
                    ],
                    "Resource": stream.arn,
                },
                {
                    "Sid": "ConsumeJobs",
                    "Effect": "Allow",
                    "Action": [
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    "Resource": jobs.arn,
                },
                {
                    "Sid": "UseDataKey",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": key.arn,
                },
            ],
        )

        service = cluster.add_processing_service(
            "worker",
            task,
            name_prefix=f"{SYSTEM}-worker",
            security_group_ids=[tasks_security_group.id],
            subnet_ids=network.private_subnet_ids,
        )
        QueueDepthScaling(self, "worker-scaling", cluster=cluster, service=service, queue_name=jobs.name)

        outputs = {
            "kms_key_arn": key.arn,
            "vpc_id": network.vpc.id,
            "private_subnet_ids": network.private_subnet_ids,
            "public_subnet_ids": network.public_subnet_ids,
            "flow_log_group_name": network.flow_log_group.name,
            "kinesis_stream_name": stream.name,
            "kinesis_stream_arn": stream.arn,
            "kinesis_throttle_alarm_name": stream.throttle_alarm.alarm_name,
            "job_queue_url": jobs.url,
            "dlq_url": jobs.dead_letter.url,
            "dlq_arn": jobs.dead_letter.arn,
            "dlq_alarm_name": jobs.dead_letter.depth_alarm.alarm_name,
            "alarm_topic_arn": topic.arn,
            "db_cluster_identifier": database.cluster.cluster_identifier,
            "db_cluster_endpoint": database.endpoint,
            "db_reader_endpoint": database.reader_endpoint,
            "db_secret_arn": database.secret_arn,
            "db_security_group_id": database.security_group.id,
            "db_name": services.DATABASE_NAME,
            "db_port": str(services.DATABASE_PORT),
            "ecs_cluster_name": cluster.name,
            "ecs_task_definition_arn": task.arn,
            "ecs_service_name": service.name,
            "worker_image_uri": image,
            "worker_image_dockerfile": WORKER_DOCKERFILE.relative_to(STACKS_DIR.parent).as_posix(),
            "ecs_tasks_security_group_id": tasks_security_group.id,
            "processing_log_group_name": processing_logs.name,
            "region": region,
        }
        for output_name, value in outputs.items():
            TerraformOutput(self, output_name, value=value)

    def _worker_image(self, props: StreamFlixProps, repository: ImageRepository) -> tuple[str, str | None]:
        """The worker's image and the ECR repository it is pulled from (None outside ECR): the prebuilt one the
        props, context or environment name, else the one built from the repository into ``repository``."""
        prebuilt = props.processing_image or self.node.try_get_context(images.CONTEXT_PROCESSOR_IMAGE)
        prebuilt = prebuilt or os.environ.get(images.ENV_PROCESSOR_IMAGE)
        if not prebuilt:
            return repository.image_uri(WORKER_DOCKERFILE, STACKS_DIR), repository.arn
        registry = images.ecr_registry(images.check_image_reference(str(prebuilt)))
        if registry is None:
            return str(prebuilt), None
        account, region, name, _ = registry
        return str(prebuilt), f"arn:aws:ecr:{region}:{account}:repository/{name}"
