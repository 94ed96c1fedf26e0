"""Stream processor (seed 002): Kinesis -> Lambda -> RDS PostgreSQL Multi-AZ, only the Lambda can reach the
database, failures go to a dead-letter queue; alarms (stream lag and throttling, dead letters, function errors and
throttles, database CPU, free storage and connections) go to SNS. The VPC has no route out: Secrets Manager is reached
through a private endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from constructs_lib.cdk.alarm_topic import AlarmTopic
from constructs_lib.cdk.encryption_key import EncryptionKey
from constructs_lib.cdk.hardened_stack import HardenedStack
from constructs_lib.cdk.kinesis_stream import KinesisDataStream
from constructs_lib.cdk.lambda_code import python_handler_code
from constructs_lib.cdk.network import Network
from constructs_lib.cdk.postgres_instance import PostgresInstance
from constructs_lib.cdk.stream_consumer import StreamConsumerFunction

HANDLER_DIR = Path(__file__).parent / "handler"


class StreamProcessorStack(HardenedStack):
    """Kinesis stream consumed by a VPC Lambda that writes each record once into Multi-AZ PostgreSQL."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, system="stream-processor", data_classification="internal", **kwargs)
        key = EncryptionKey(self, "Key", description=f"stream processor data ({self.suffix})")
        # The consumer's code talks only to PostgreSQL and Secrets Manager: no internet egress, no NAT; one private
        # endpoint for Secrets Manager (Kinesis polling, logs and the dead-letter queues are the Lambda service's).
        network = Network(self, "Network", encryption_key=key, internet_egress=False)
        secrets_endpoint = network.add_interface_endpoint(
            "SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER
        )
        alarms = AlarmTopic(self, "Alarms", name_prefix="stream-alarms", encryption_key=key)
        stream = KinesisDataStream(self, "Events", name_prefix="stream-events", encryption_key=key, alarm_topic=alarms)
        database = PostgresInstance(
            self,
            "EventsDb",
            name_prefix="stream-events-db",
            vpc=network,
            encryption_key=key,
            multi_az=True,
            alarm_topic=alarms,
        )
        consumer = StreamConsumerFunction(
            self,
            "Consumer",
            name_prefix="stream-consumer",
            stream=stream,
            vpc=network,
            encryption_key=key,
            alarm_topic=alarms,
            code=python_handler_code(HANDLER_DIR, ["pg8000"]),
            handler="processor.handler",
            environment={
                "DB_HOST": database.endpoint_address,
                "DB_PORT": database.port,
                "DB_NAME": database.database_name,
                "DB_SECRET_ARN": database.secret_arn,
            },
        )
        database.allow_from(consumer)
        secrets_endpoint.connections.allow_default_port_from(consumer, "the consumer reads the database secret")
        database.grant_connect_secret(consumer)

        self.output("KmsKeyArn", key.key_arn, "Customer-managed key for every store and log")
        self.output("StreamName", stream.stream_name, "Kinesis stream the processor consumes")
        self.output("StreamArn", stream.stream_arn, "ARN of the stream")
        self.output("ConsumerFunctionName", consumer.function_name, "Lambda consumer")
        self.output("ConsumerLogGroupName", consumer.log_group.log_group_name, "Lambda consumer log group")
        self.output(
            "FailedBatchQueueUrl", consumer.stream_failure_queue.queue_url, "Stream batches that failed land here"
        )
        self.output("FailedBatchQueueArn", consumer.stream_failure_queue.queue_arn, "ARN of the failed-batch queue")
        self.output("DeadLetterQueueUrl", consumer.dead_letter_queue.queue_url, "Failed asynchronous invocations")
        self.output("DatabaseIdentifier", database.instance_identifier, "RDS PostgreSQL instance identifier")
        self.output("DatabaseEndpoint", database.endpoint_address, "RDS PostgreSQL endpoint address")
        self.output("DatabasePort", database.port, "RDS PostgreSQL port")
        self.output("DatabaseName", database.database_name, "PostgreSQL database the consumer writes to")
        self.output("DatabaseSecretArn", database.secret_arn, "RDS-managed master credentials secret")
        self.output("DatabaseSecurityGroupId", database.security_group.security_group_id, "Only the consumer may enter")
        self.output("VpcId", network.vpc_id, "VPC id")
        self.output("AlarmTopicArn", alarms.topic_arn, "SNS topic the alarms notify")
