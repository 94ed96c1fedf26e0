"""IoT platform (seed 000): device telemetry on a 2-shard encrypted stream, device metadata in Aurora Serverless v2,
hot state in Redis, processing on ECS Fargate, all in a private VPC with flow logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.aurora_cluster import AuroraServerlessCluster
from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.container_cluster import ContainerCluster, processing_image
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.hardened_stack import HardenedStack
from constructs_lib.cdk.kinesis_stream import KinesisDataStream
from constructs_lib.cdk.network import Network
from constructs_lib.cdk.redis_cluster import RedisReplicationGroup
from constructs_lib.policy import accepted_findings, services

#: Two shards: 2,000 device messages/s in, the rate the platform is sized for (seed 000).
TELEMETRY_SHARDS = 2
#: The telemetry processor's image is built from this Dockerfile with ``stacks/`` as the context.
STACKS_DIR = Path(__file__).resolve().parent.parent
PROCESSOR_DOCKERFILE = STACKS_DIR / "iot_platform" / "processor" / "Dockerfile"


class IotPlatformStack(HardenedStack):
    """Kinesis telemetry, Aurora PostgreSQL Serverless v2, Redis and an ECS cluster with Container Insights.

    Data path: devices -> telemetry stream -> the telemetry processor (a Fargate service, ``processor/``) -> each
    reading in Aurora, each device's latest state in Redis. The processor's image is built from the repository at
    deploy, or is the prebuilt one given as context ``processorImage``.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, system="iot-platform", data_classification="internal", **kwargs)
        key = EncryptionKey(self, "Key", description=f"IoT platform data ({self.suffix})")
        network = Network(self, "Network", encryption_key=key)
        alarms = AlarmTopic(self, "Alarms", name_prefix="iot-alarms", encryption_key=key)
        telemetry = KinesisDataStream(
            self,
            "Telemetry",
            name_prefix="iot-telemetry",
            encryption_key=key,
            shard_count=TELEMETRY_SHARDS,
            alarm_topic=alarms,
        )
        metadata_db = AuroraServerlessCluster(
            self, "MetadataDb", name_prefix="iot-metadata", vpc=network, encryption_key=key
        )
        cache = RedisReplicationGroup(self, "Cache", name_prefix="iot-cache", vpc=network, encryption_key=key)
        processing = ContainerCluster(self, "Processing", name_prefix="iot-processing", vpc=network, encryption_key=key)
        db_secret = secretsmanager.Secret.from_secret_complete_arn(self, "MetadataDbSecret", metadata_db.secret_arn)
        processor = processing.add_processing_task(
            "TelemetryProcessor",
            image=processing_image(self, PROCESSOR_DOCKERFILE, STACKS_DIR),
            environment={
                "STREAM_NAME": telemetry.stream_name,
                "DB_HOST": metadata_db.endpoint_address,
                "DB_PORT": str(services.DATABASE_PORT),
                "DB_NAME": services.DATABASE_NAME,
                "REDIS_HOST": cache.primary_endpoint_address,
                "REDIS_PORT": str(services.CACHE_PORT),
            },
            secrets={
                "DB_CREDENTIALS": ecs.Secret.from_secrets_manager(db_secret),
                "REDIS_AUTH_TOKEN": ecs.Secret.from_secrets_manager(cache.auth_secret),
            },
        )
        # The service's tasks run in this group; only it may reach the database and the cache.
        tasks = ec2.SecurityGroup(
            self, "ProcessorTasks", vpc=network, description="Telemetry processor tasks", allow_all_outbound=True
        )
        metadata_db.allow_from(tasks)
        cache.allow_from(tasks)
        accept(processor, accepted_findings.CONTAINER_ENVIRONMENT)
        telemetry.grant_read(processor.task_role)
        # ECS reads both secrets at task start (the execution role), and decrypts them only through Secrets Manager.
        metadata_db.grant_connect_secret(processor.obtain_execution_role())
        cache.grant_read_auth_token(processor.obtain_execution_role())
        service = processing.add_processing_service("TelemetryProcessorService", processor, security_groups=[tasks])

        self.output("KmsKeyArn", key.key_arn, "Customer-managed key for every store and log")
        self.output("TelemetryStreamName", telemetry.stream_name, "Kinesis stream receiving device telemetry")
        self.output("TelemetryStreamArn", telemetry.stream_arn, "ARN of the telemetry stream")
        self.output("AuroraClusterIdentifier", metadata_db.cluster_identifier, "Aurora cluster identifier")
        self.output("AuroraClusterEndpoint", metadata_db.endpoint_address, "Aurora writer endpoint")
        self.output("AuroraReaderEndpoint", metadata_db.reader_endpoint_address, "Aurora reader endpoint")
        self.output("AuroraSecretArn", metadata_db.secret_arn, "RDS-managed master credentials secret")
        self.output("AuroraPort", str(services.DATABASE_PORT), "Aurora PostgreSQL port (TLS only)")
        self.output("AuroraDatabaseName", services.DATABASE_NAME, "Database the processor writes readings to")
        self.output("RedisReplicationGroupId", cache.replication_group_id, "ElastiCache replication group id")
        self.output("RedisPrimaryEndpoint", cache.primary_endpoint_address, "Redis primary endpoint (TLS)")
        self.output("RedisPort", str(services.CACHE_PORT), "Redis port (TLS only)")
        self.output("RedisAuthSecretArn", cache.auth_secret.secret_arn, "Secret holding the Redis AUTH token")
        self.output("EcsClusterName", processing.cluster_name, "ECS cluster (Container Insights on)")
        self.output("TaskDefinitionArn", processor.task_definition_arn, "Telemetry processor task definition")
        self.output("ProcessorSecurityGroupId", tasks.security_group_id, "Run the processor tasks in this group")
        self.output("ProcessorServiceName", service.service_name, "ECS service running the telemetry processor")
        self.output("VpcId", network.vpc_id, "VPC id")
        self.output("FlowLogGroupName", network.flow_log_group.log_group_name, "VPC flow log group")
        self.output("AlarmTopicArn", alarms.topic_arn, "SNS topic the alarms notify")
