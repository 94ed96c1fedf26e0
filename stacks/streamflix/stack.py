"""StreamFlixStack: Kinesis ingest and a job queue with DLQ, a Fargate job worker scaling on the backlog, Aurora
metadata, and alarms.

Seed 003 shipped an Aurora cluster with no instance, a password built from the environment name and no outputs.
Here the cluster has its instances, RDS generates and keeps the password, and every identifier a test needs is an
output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from constructs import Construct

from constructs_lib.cdktf import grants
from constructs_lib.cdktf.alarm_topic import AlarmTopic
from constructs_lib.cdktf.aurora_cluster import AuroraServerlessCluster
from constructs_lib.cdktf.container_cluster import (
    ContainerCluster,
    FargateTask,
    ImageRepository,
    QueueDepthScaling,
    TasksSecurityGroup,
    processing_image,
)
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.hardened_stack import HardenedStack
from constructs_lib.cdktf.kinesis_stream import KinesisDataStream
from constructs_lib.cdktf.log_group import EncryptedLogGroup
from constructs_lib.cdktf.network import Network
from constructs_lib.cdktf.secure_queue import SecureQueue
from constructs_lib.policy import naming, services

SYSTEM = "streamflix"
#: Processing logs are kept a week (seed 003): video-job debugging needs days, not weeks, and volume is high.
PROCESSING_LOG_RETENTION_DAYS = 7
#: The job worker's image is built from this Dockerfile with ``stacks/`` as the context.
STACKS_DIR = Path(__file__).resolve().parent.parent
WORKER_DOCKERFILE = STACKS_DIR / "streamflix" / "worker" / "Dockerfile"


@dataclass(frozen=True)
class StreamFlixProps:
    """What a deployment may choose; everything else is policy.

    ``region``: None reads context ``region`` / ``AWS_REGION`` / us-east-1. A prebuilt job worker image (ARM64 or
    multi-arch) is context ``processorImage`` / ``$PROCESSOR_IMAGE``; without one the worker runs the image built
    from ``stacks/streamflix/worker`` and pushed to the stack's own repository (README: build and push).
    """

    region: str | None = None


class StreamFlixStack(HardenedStack):
    """The StreamFlix pipeline: producers write ingest events to Kinesis and video jobs to the jobs queue; the job
    worker (a Fargate service, ``worker/``, scaling on the queue's backlog) records both in Aurora; jobs that keep
    failing land in the dead-letter queue; alarms watch throttling and dead letters.

    Example::

        app = App()
        StreamFlixStack(app, "streamflix")
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, props: StreamFlixProps | None = None) -> None:
        props = props or StreamFlixProps()
        super().__init__(
            scope, construct_id, system=SYSTEM, data_classification="confidential", region=props.region,
            engines_used=["aurora-postgresql"],
        )  # fmt: skip
        key = EncryptionKey(self, "key", alias=SYSTEM, description=f"StreamFlix data ({self.suffix})")
        topic = AlarmTopic(self, "alarms", name_prefix=f"{SYSTEM}-alarms", encryption_key=key)
        network = Network(self, "network", encryption_key=key)
        stream = KinesisDataStream(
            self, "ingest", name_prefix=f"{SYSTEM}-ingest", encryption_key=key, alarm_topic=topic
        )
        jobs = SecureQueue(self, "jobs", name_prefix=f"{SYSTEM}-jobs", encryption_key=key, alarm_topic=topic)
        database = AuroraServerlessCluster(
            self, "metadata", network=network, name_prefix=f"{SYSTEM}-metadata", encryption_key=key
        )
        tasks = TasksSecurityGroup(
            self, "tasks", vpc_id=network.vpc.id, name_prefix=f"{SYSTEM}-tasks",
            description="StreamFlix processing tasks: HTTPS to AWS APIs and PostgreSQL to the metadata cluster only",
        )  # fmt: skip
        tasks.allow_to(database.security_group.id, services.DATABASE_PORT, "PostgreSQL to the metadata cluster")
        database.allow_from(tasks.group, "StreamFlix processing tasks")

        cluster = ContainerCluster(self, "processing", name_prefix=f"{SYSTEM}-processing", encryption_key=key)
        processing_logs = EncryptedLogGroup(
            self,
            "processing-logs",
            log_group_name=f"/{SYSTEM}/" + naming.resource_name("log_group", "processing", self.suffix),
            encryption_key=key,
            retention_in_days=PROCESSING_LOG_RETENTION_DAYS,
        )
        repository = ImageRepository(self, "worker-images", name_prefix=f"{SYSTEM}-worker", encryption_key=key)
        image, pull_from = processing_image(self, repository, WORKER_DOCKERFILE, STACKS_DIR)
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
                *grants.stream_read_statements(stream, sid="ReadIngestStream"),
                *grants.queue_consume_statements(jobs, sid="ConsumeJobs"),
            ],
        )
        service = cluster.add_processing_service(
            "worker", task, name_prefix=f"{SYSTEM}-worker", security_group_ids=[tasks.id],
            subnet_ids=network.private_subnet_ids,
        )  # fmt: skip
        QueueDepthScaling(self, "worker-scaling", cluster=cluster, service=service, queue_name=jobs.name)

        for name, value in {
            "kms_key_arn": key.arn,
            "vpc_id": network.vpc.id,
            "private_subnet_ids": network.private_subnet_ids,
            "isolated_subnet_ids": network.isolated_subnet_ids,
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
            "ecs_tasks_security_group_id": tasks.id,
            "processing_log_group_name": processing_logs.name,
            "region": self.region,
        }.items():
            self.output(name, value)
