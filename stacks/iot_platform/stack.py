"""IoT platform (seed 000): device telemetry on a 2-shard encrypted stream, device metadata in Aurora Serverless v2,
hot state in Redis, processing on ECS Fargate, all in a private VPC with flow logs."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.aurora_cluster import AuroraServerlessCluster
from constructs_lib.cdk.compliance import accept
from constructs_lib.cdk.container_cluster import ContainerCluster
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.hardened_stack import HardenedStack
from constructs_lib.cdk.kinesis_stream import KinesisDataStream
from constructs_lib.cdk.network import Network
from constructs_lib.cdk.redis_cluster import RedisReplicationGroup
from constructs_lib.policy import accepted_findings

#: Two shards: 2,000 device messages/s in, the rate the platform is sized for (seed 000).
TELEMETRY_SHARDS = 2


class IotPlatformStack(HardenedStack):
    """Kinesis telemetry, Aurora PostgreSQL Serverless v2, Redis and an ECS cluster with Container Insights."""

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
        processor = processing.add_processing_task(
            "TelemetryProcessor",
            environment={
                "STREAM_NAME": telemetry.stream_name,
                "DB_ENDPOINT": metadata_db.endpoint_address,
                "CACHE_ENDPOINT": cache.primary_endpoint_address,
            },
        )
        # The tasks run in this group (services and RunTask pass it); only it may reach the database and the cache.
        tasks = ec2.SecurityGroup(
            self, "ProcessorTasks", vpc=network, description="Telemetry processor tasks", allow_all_outbound=True
        )
        metadata_db.allow_from(tasks)
        cache.allow_from(tasks)
        accept(processor, accepted_findings.CONTAINER_ENVIRONMENT)
        telemetry.grant_read(processor.task_role)
        metadata_db.grant_connect_secret(processor.task_role)
        cache.grant_read_auth_token(processor.task_role)

        self.output("KmsKeyArn", key.key_arn, "Customer-managed key for every store and log")
        self.output("TelemetryStreamName", telemetry.stream_name, "Kinesis stream receiving device telemetry")
        self.output("TelemetryStreamArn", telemetry.stream_arn, "ARN of the telemetry stream")
        self.output("AuroraClusterIdentifier", metadata_db.cluster_identifier, "Aurora cluster identifier")
        self.output("AuroraClusterEndpoint", metadata_db.endpoint_address, "Aurora writer endpoint")
        self.output("AuroraReaderEndpoint", metadata_db.reader_endpoint_address, "Aurora reader endpoint")
        self.output("AuroraSecretArn", metadata_db.secret_arn, "RDS-managed master credentials secret")
        self.output("RedisReplicationGroupId", cache.replication_group_id, "ElastiCache replication group id")
        self.output("RedisPrimaryEndpoint", cache.primary_endpoint_address, "Redis primary endpoint (TLS)")
        self.output("RedisAuthSecretArn", cache.auth_secret.secret_arn, "Secret holding the Redis AUTH token")
        self.output("EcsClusterName", processing.cluster_name, "ECS cluster (Container Insights on)")
        self.output("TaskDefinitionArn", processor.task_definition_arn, "Telemetry processor task definition")
        self.output("ProcessorSecurityGroupId", tasks.security_group_id, "Run the processor tasks in this group")
        self.output("VpcId", network.vpc_id, "VPC id")
        self.output("FlowLogGroupName", network.flow_log_group.log_group_name, "VPC flow log group")
        self.output("AlarmTopicArn", alarms.topic_arn, "SNS topic the alarms notify")
